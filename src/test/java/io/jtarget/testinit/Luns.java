package io.jtarget.testinit;

/**
 * LUN encoding in the 8-byte LUN field (SAM-5 §4.7): peripheral device addressing for 0..255,
 * flat space addressing (method 01b) for 256..16383.
 */
public final class Luns {
    private Luns() {}

    public static long encode(int lun) {
        if (lun < 0 || lun > 0x3FFF) {
            throw new IllegalArgumentException("LUN out of the single-level range 0..16383: " + lun);
        }
        if (lun < 256) {
            return (long) lun << 48;
        }
        return ((long) (0x40 | (lun >>> 8)) << 56) | ((long) (lun & 0xFF) << 48);
    }

    /** Decodes a single-level peripheral or flat-space LUN; -1 for other forms. */
    public static int decode(long field) {
        int method = (int) (field >>> 62) & 0x3;
        if ((field & 0x0000FFFFFFFFFFFFL) != 0) {
            return -1;
        }
        int bus = (int) (field >>> 56) & 0x3F;
        int low = (int) (field >>> 48) & 0xFF;
        return switch (method) {
            case 0 -> bus == 0 ? low : -1;
            case 1 -> (bus << 8) | low;
            default -> -1;
        };
    }
}
