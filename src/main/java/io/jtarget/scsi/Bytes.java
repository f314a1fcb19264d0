package io.jtarget.scsi;

/** Big-endian field access on CDBs and parameter data (SCSI fields are big-endian, SPC-5 §3.5). */
final class Bytes {
    private Bytes() {}

    static int u8(byte[] b, int off) {
        return b[off] & 0xff;
    }

    static int u16(byte[] b, int off) {
        return (u8(b, off) << 8) | u8(b, off + 1);
    }

    static int u24(byte[] b, int off) {
        return (u8(b, off) << 16) | u16(b, off + 1);
    }

    static long u32(byte[] b, int off) {
        return ((long) u16(b, off) << 16) | u16(b, off + 2);
    }

    /** Unsigned 64-bit value in a (signed) long; compare with {@link Long#compareUnsigned}. */
    static long u64(byte[] b, int off) {
        return (u32(b, off) << 32) | u32(b, off + 4);
    }

    static void putU16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void putU24(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 16);
        putU16(b, off + 1, v);
    }

    static void putU32(byte[] b, int off, long v) {
        putU16(b, off, (int) (v >>> 16));
        putU16(b, off + 2, (int) v);
    }

    static void putU64(byte[] b, int off, long v) {
        putU32(b, off, v >>> 32);
        putU32(b, off + 4, v);
    }

    static void putAscii(byte[] b, int off, int width, String s) {
        for (int i = 0; i < width; i++) {
            char c = i < s.length() ? s.charAt(i) : ' ';
            b[off + i] = (byte) (c >= 0x20 && c <= 0x7e ? c : ' ');
        }
    }
}
