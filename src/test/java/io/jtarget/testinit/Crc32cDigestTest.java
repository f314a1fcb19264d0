package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Crc32cDigestTest {

    private static byte[] wire(byte[] data) {
        byte[] out = new byte[4];
        Crc32cDigest.put(out, 0, Crc32cDigest.of(data, 0, data.length));
        return out;
    }

    @Test
    void shouldMatchRfc3720VectorsWhenComputingDigests() {
        // RFC 3720 Appendix B.4 (carried into RFC 7143): CRC bytes in wire order.
        byte[] zeros = new byte[32];
        byte[] ones = new byte[32];
        byte[] incrementing = new byte[32];
        byte[] decrementing = new byte[32];
        for (int i = 0; i < 32; i++) {
            ones[i] = (byte) 0xFF;
            incrementing[i] = (byte) i;
            decrementing[i] = (byte) (31 - i);
        }
        assertThat(HexFormat.of().formatHex(wire(zeros))).isEqualTo("aa36918a");
        assertThat(HexFormat.of().formatHex(wire(ones))).isEqualTo("43aba862");
        assertThat(HexFormat.of().formatHex(wire(incrementing))).isEqualTo("4e79dd46");
        assertThat(HexFormat.of().formatHex(wire(decrementing))).isEqualTo("5cdb3f11");
    }

    @Test
    void shouldReadBackWhatItWroteWhenRoundTripping() {
        byte[] buf = new byte[8];
        Crc32cDigest.put(buf, 2, 0x8A9136AA);
        assertThat(Crc32cDigest.get(buf, 2)).isEqualTo(0x8A9136AA);
        assertThat(buf[2]).isEqualTo((byte) 0xAA);
    }
}
