package io.jtarget.iser;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class IserHeaderTest {
    @Test
    void shouldReadTheStagsOfAWriteCommandAsLinuxIbIserLaysThemOut() {
        // struct iser_ctrl of a WRITE with unsolicited data: flags ISCSI_CTRL|WSV, write rkey/va,
        // read fields zero; all big-endian.
        ByteBuf buf = Unpooled.wrappedBuffer(HexFormat.of().parseHex(
                "18000000" + "00abcdef" + "00007f0012345000" + "00000000" + "0000000000000000"));

        assertThat(IserHeader.opcode(buf, 0)).isEqualTo(IserHeader.OPCODE_ISCSI_CONTROL);
        assertThat(IserHeader.writeValid(buf, 0)).isTrue();
        assertThat(IserHeader.readValid(buf, 0)).isFalse();
        assertThat(IserHeader.writeBuffer(buf, 0)).isEqualTo(new RemoteBuffer(0x00abcdef, 0x7f0012345000L));
        assertThat(buf.readerIndex()).isZero();
    }

    @Test
    void shouldRoundTripAnInitiatorHeaderAtAnOffset() {
        ByteBuf buf = Unpooled.buffer(64).writeZero(64);
        RemoteBuffer write = new RemoteBuffer(0xdeadbeef, 0xffff_8000_0000_1000L);
        RemoteBuffer read = new RemoteBuffer(7, 0x1000);

        IserHeader.writeInitiatorControl(buf, 8, write, read);

        assertThat((int) buf.getUnsignedByte(8)).isEqualTo(0x1c);
        assertThat(IserHeader.writeBuffer(buf, 8)).isEqualTo(write);
        assertThat(IserHeader.readBuffer(buf, 8)).isEqualTo(read);
        assertThat(IserHeader.readValid(buf, 8)).isTrue();
        assertThat(buf.getLong(0)).as("bytes before the header untouched").isZero();
    }

    @Test
    void shouldWriteTheTargetsControlHeaderWithoutStags() {
        ByteBuf buf = Unpooled.buffer(IserHeader.LENGTH).writeBytes(new byte[IserHeader.LENGTH]);
        buf.setByte(5, 0x55);

        IserHeader.writeTargetControl(buf, 0);

        assertThat(HexFormat.of().formatHex(buf.array())).isEqualTo("10" + "00".repeat(IserHeader.LENGTH - 1));
    }

    @Test
    void shouldTellHelloFromControl() {
        ByteBuf buf = Unpooled.wrappedBuffer(new byte[IserHeader.LENGTH]);
        buf.setByte(0, 0x21);
        assertThat(IserHeader.opcode(buf, 0)).isEqualTo(IserHeader.OPCODE_HELLO);
    }

    @Test
    void shouldAddressBytesWithinARemoteBuffer() {
        assertThat(new RemoteBuffer(1, 0x1000).at(0x200)).isEqualTo(0x1200);
    }
}
