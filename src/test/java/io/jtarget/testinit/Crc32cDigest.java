package io.jtarget.testinit;

import java.util.zip.CRC32C;

/**
 * iSCSI header/data digests: CRC32C (RFC 7143 §13.1, the polynomial of RFC 3385). On the wire
 * the 32-bit CRC goes least significant byte first — RFC 3720 Appendix B.4 shows 32 zero bytes
 * giving CRC 0x8a9136aa sent as {@code aa 36 91 8a}.
 */
public final class Crc32cDigest {
    private Crc32cDigest() {}

    public static int of(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** Writes a digest in wire order. */
    public static void put(byte[] dst, int offset, int digest) {
        dst[offset] = (byte) digest;
        dst[offset + 1] = (byte) (digest >>> 8);
        dst[offset + 2] = (byte) (digest >>> 16);
        dst[offset + 3] = (byte) (digest >>> 24);
    }

    /** Reads a digest in wire order. */
    public static int get(byte[] src, int offset) {
        return (src[offset] & 0xFF) | ((src[offset + 1] & 0xFF) << 8)
                | ((src[offset + 2] & 0xFF) << 16) | ((src[offset + 3] & 0xFF) << 24);
    }
}
