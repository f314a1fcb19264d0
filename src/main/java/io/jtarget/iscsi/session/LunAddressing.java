package io.jtarget.iscsi.session;

/**
 * The 8-byte LUN field (SAM-5 §4.7.2). We accept the two single-level forms initiators use:
 * peripheral device addressing (method 00b, bus 0: LUN 0..255) and flat space addressing
 * (method 01b: LUN 0..16383). Anything else names no logical unit of ours.
 */
public final class LunAddressing {
    /** A LUN no target has; the core answers LOGICAL UNIT NOT SUPPORTED for it. */
    public static final int UNSUPPORTED = -1;

    private LunAddressing() {}

    public static int decode(long lunField) {
        int b0 = (int) (lunField >>> 56) & 0xff;
        int b1 = (int) (lunField >>> 48) & 0xff;
        long rest = lunField & 0x0000_ffff_ffff_ffffL;
        if (rest != 0) {
            return UNSUPPORTED; // second and later levels are not used
        }
        return switch (b0 >>> 6) {
            case 0 -> (b0 & 0x3f) == 0 ? b1 : UNSUPPORTED;
            case 1 -> ((b0 & 0x3f) << 8) | b1;
            default -> UNSUPPORTED;
        };
    }

    /** Encode as REPORT LUNS does: peripheral addressing below 256, flat above (SAM-5 §4.7.3). */
    public static long encode(int lun) {
        if (lun < 256) {
            return ((long) lun) << 48;
        }
        return ((long) (0x40 | (lun >>> 8)) << 56) | ((long) (lun & 0xff) << 48);
    }
}
