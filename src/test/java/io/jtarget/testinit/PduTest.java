package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.testinit.IscsiWire.Opcode;
import org.junit.jupiter.api.Test;

class PduTest {

    @Test
    void shouldFillLengthsAndPadWhenEncoding() {
        Pdu pdu = Pdu.create(Opcode.NOP_OUT).immediate(true).itt(0x01020304).data(new byte[] {1, 2, 3, 4, 5});
        byte[] wire = pdu.encode(false, false);
        assertThat(wire).hasSize(48 + 8);
        assertThat(wire[0]).isEqualTo((byte) 0x40);
        assertThat(pdu.headerDataSegmentLength()).isEqualTo(5);
        assertThat(wire[5]).isZero();
        assertThat(wire[7]).isEqualTo((byte) 5);
        assertThat(Bytes.getInt(wire, 16)).isEqualTo(0x01020304);
        assertThat(wire).endsWith(1, 2, 3, 4, 5, 0, 0, 0);
    }

    @Test
    void shouldAppendDigestsWhenNegotiated() {
        Pdu pdu = Pdu.create(Opcode.SCSI_COMMAND).ahs(new byte[8]).data(new byte[6]);
        byte[] wire = pdu.encode(true, true);
        assertThat(wire).hasSize(48 + 8 + 4 + 8 + 4);
        assertThat(wire[4]).as("TotalAHSLength in words").isEqualTo((byte) 2);
        assertThat(Crc32cDigest.get(wire, 56)).isEqualTo(Crc32cDigest.of(wire, 0, 56));
        assertThat(Crc32cDigest.get(wire, 68)).as("data digest covers the padding").isEqualTo(Crc32cDigest.of(wire, 60, 8));
    }

    @Test
    void shouldOmitDataDigestWhenThereIsNoData() {
        assertThat(Pdu.create(Opcode.NOP_OUT).encode(true, true)).hasSize(52);
    }

    @Test
    void shouldRefuseAhsWhenNotWholeWords() {
        assertThatThrownBy(() -> Pdu.create(Opcode.SCSI_COMMAND).ahs(new byte[3]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
