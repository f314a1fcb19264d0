package io.jtarget.iscsi.pdu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PduCodecTest {

    private final List<Object> received = new ArrayList<>();

    @AfterEach
    void releaseAll() {
        for (Object o : received) {
            if (o instanceof IscsiPdu p) {
                p.release();
            } else if (o instanceof PduDecoder.DecodeError e) {
                e.release();
            }
        }
    }

    /** A PDU as an initiator would put it on the wire. */
    static byte[] wire(int opcode, int itt, byte[] ahs, byte[] data, boolean headerDigest, boolean dataDigest) {
        ByteBuf out = Unpooled.buffer();
        ByteBuf bhs = Unpooled.buffer(48);
        bhs.writeZero(48);
        bhs.setByte(0, opcode);
        bhs.setByte(1, 0x80);
        bhs.setByte(4, ahs.length / 4);
        bhs.setMedium(5, data.length);
        bhs.setInt(16, itt);
        out.writeBytes(bhs);
        out.writeBytes(ahs);
        if (headerDigest) {
            out.writeIntLE(Crc32c.compute(Unpooled.wrappedBuffer(bhs.array(), 0, 48), Unpooled.wrappedBuffer(ahs)));
        }
        out.writeBytes(data);
        int pad = Crc32c.padding(data.length);
        out.writeZero(pad);
        if (dataDigest && data.length > 0) {
            out.writeIntLE(Crc32c.computeWithPadding(Unpooled.wrappedBuffer(data), pad));
        }
        return ByteBufUtil.getBytes(out);
    }

    private EmbeddedChannel channel(int maxData, boolean hd, boolean dd) {
        PduDecoder decoder = new PduDecoder(maxData);
        decoder.setDigests(hd, dd);
        return new EmbeddedChannel(decoder);
    }

    private void drain(EmbeddedChannel ch) {
        Object o;
        while ((o = ch.readInbound()) != null) {
            received.add(o);
        }
    }

    @Test
    void crc32cMatchesTheRfc7143TestVector() {
        // RFC 7143 Appendix B.4: 32 bytes of zeros -> CRC aa 36 91 8a on the wire.
        ByteBuf out = Unpooled.buffer();
        Crc32c.writeWire(out, Crc32c.compute(Unpooled.wrappedBuffer(new byte[32])));
        assertThat(ByteBufUtil.hexDump(out)).isEqualTo("aa36918a");
        byte[] ones = new byte[32];
        java.util.Arrays.fill(ones, (byte) 0xff);
        out.clear();
        Crc32c.writeWire(out, Crc32c.compute(Unpooled.wrappedBuffer(ones)));
        assertThat(ByteBufUtil.hexDump(out)).isEqualTo("43aba862");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 48, 49, 100})
    void shouldDecodeWhenInputArrivesInFragments(int fragment) {
        byte[] data = "InitiatorName=iqn.x\0".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = concat(wire(Opcode.TEXT_REQUEST, 7, new byte[0], data, false, false),
                wire(Opcode.NOP_OUT, 8, new byte[0], new byte[0], false, false));
        EmbeddedChannel ch = channel(8192, false, false);
        for (int i = 0; i < bytes.length; i += fragment) {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(fragment, bytes.length - i)));
            drain(ch);
        }
        assertThat(received).hasSize(2);
        IscsiPdu text = (IscsiPdu) received.get(0);
        assertThat(text.opcode()).isEqualTo(Opcode.TEXT_REQUEST);
        assertThat(text.itt()).isEqualTo(7);
        assertThat(text.dataSegmentLength()).isEqualTo(data.length);
        assertThat(ByteBufUtil.getBytes(text.data())).isEqualTo(data);
        assertThat(((IscsiPdu) received.get(1)).opcode()).isEqualTo(Opcode.NOP_OUT);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void shouldDecodeEveryInitiatorOpcodeWithDigests() {
        int[] opcodes = {Opcode.NOP_OUT, Opcode.SCSI_COMMAND, Opcode.TASK_MGMT_REQUEST, Opcode.LOGIN_REQUEST,
            Opcode.TEXT_REQUEST, Opcode.SCSI_DATA_OUT, Opcode.LOGOUT_REQUEST, Opcode.SNACK_REQUEST};
        EmbeddedChannel ch = channel(8192, true, true);
        Random random = new Random(42);
        for (int i = 0; i < opcodes.length; i++) {
            byte[] data = new byte[random.nextInt(50)];
            random.nextBytes(data);
            ch.writeInbound(Unpooled.wrappedBuffer(wire(opcodes[i], i, new byte[0], data, true, true)));
            drain(ch);
            IscsiPdu pdu = (IscsiPdu) received.getLast();
            assertThat(pdu.opcode()).isEqualTo(opcodes[i]);
            assertThat(ByteBufUtil.getBytes(pdu.data())).isEqualTo(data);
        }
        assertThat(received).hasSize(opcodes.length);
    }

    @Test
    void shouldKeepAdditionalHeaderSegments() {
        byte[] ahs = new byte[8];
        ahs[1] = 5; // length 5: type + 4 bytes
        ahs[2] = 1; // extended CDB
        ahs[4] = 0x11;
        EmbeddedChannel ch = channel(8192, true, false);
        ch.writeInbound(Unpooled.wrappedBuffer(wire(Opcode.SCSI_COMMAND, 1, ahs, new byte[0], true, false)));
        drain(ch);
        IscsiPdu pdu = (IscsiPdu) received.getFirst();
        assertThat(pdu.totalAhsLengthWords()).isEqualTo(2);
        assertThat(ByteBufUtil.getBytes(pdu.ahs())).isEqualTo(ahs);
    }

    @Test
    void shouldFailTheConnectionWhenTheHeaderDigestIsWrong() {
        byte[] bytes = wire(Opcode.NOP_OUT, 1, new byte[0], new byte[0], true, false);
        bytes[48] ^= 1;
        EmbeddedChannel ch = channel(8192, true, false);
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(bytes)))
                .isInstanceOf(DecoderException.class)
                .hasCauseInstanceOf(PduFormatException.class);
        // Later bytes are dropped, never parsed as a header.
        ch.writeInbound(Unpooled.wrappedBuffer(wire(Opcode.NOP_OUT, 2, new byte[0], new byte[0], true, false)));
        drain(ch);
        assertThat(received).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldReportADataDigestErrorAndStayInSync() {
        byte[] bad = wire(Opcode.SCSI_DATA_OUT, 1, new byte[0], new byte[] {1, 2, 3, 4, 5}, false, true);
        bad[48] ^= 0x40;
        byte[] good = wire(Opcode.NOP_OUT, 2, new byte[0], new byte[0], false, true);
        EmbeddedChannel ch = channel(8192, false, true);
        ch.writeInbound(Unpooled.wrappedBuffer(concat(bad, good)));
        drain(ch);
        assertThat(received).hasSize(2);
        assertThat(received.get(0)).isInstanceOfSatisfying(PduDecoder.DecodeError.class,
                e -> assertThat(e.kind()).isEqualTo(PduDecoder.DecodeError.Kind.DATA_DIGEST_ERROR));
        assertThat(((IscsiPdu) received.get(1)).itt()).isEqualTo(2);
    }

    @Test
    void shouldSkipAnOversizedDataSegmentWithoutBufferingIt() {
        byte[] big = new byte[10_000];
        byte[] bytes = concat(wire(Opcode.SCSI_DATA_OUT, 1, new byte[0], big, false, false),
                wire(Opcode.NOP_OUT, 2, new byte[0], new byte[0], false, false));
        EmbeddedChannel ch = channel(8192, false, false);
        for (int i = 0; i < bytes.length; i += 1000) {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(1000, bytes.length - i)));
            drain(ch);
        }
        assertThat(received).hasSize(2);
        assertThat(received.get(0)).isInstanceOfSatisfying(PduDecoder.DecodeError.class,
                e -> assertThat(e.kind()).isEqualTo(PduDecoder.DecodeError.Kind.DATA_SEGMENT_TOO_LONG));
        assertThat(((IscsiPdu) received.get(1)).itt()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRoundTripThroughTheEncoder(boolean digests) {
        PduEncoder.DigestSettings settings = new PduEncoder.DigestSettings();
        settings.set(digests, digests);
        EmbeddedChannel out = new EmbeddedChannel(new PduEncoder(settings));
        byte[] payload = new byte[1001];
        new Random(1).nextBytes(payload);
        IscsiPdu pdu = HeaderBuilder.of(out.alloc(), Opcode.SCSI_DATA_IN, 0x81).itt(99).pdu(Unpooled.wrappedBuffer(payload));
        out.writeOutbound(pdu);
        ByteBuf wire = Unpooled.buffer();
        ByteBuf part;
        while ((part = out.readOutbound()) != null) {
            wire.writeBytes(part);
            part.release();
        }
        int expectedLength = 48 + (digests ? 4 : 0) + 1001 + 3 + (digests ? 4 : 0);
        assertThat(wire.readableBytes()).isEqualTo(expectedLength);
        EmbeddedChannel in = channel(8192, digests, digests);
        in.writeInbound(wire);
        drain(in);
        IscsiPdu decoded = (IscsiPdu) received.getFirst();
        assertThat(decoded.opcode()).isEqualTo(Opcode.SCSI_DATA_IN);
        assertThat(decoded.flags()).isEqualTo(0x81);
        assertThat(decoded.itt()).isEqualTo(99);
        assertThat(ByteBufUtil.getBytes(decoded.data())).isEqualTo(payload);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
