package io.jtarget.scsi;

/**
 * Encodes sense data in fixed (70h, SPC-5 §4.5.3) or descriptor (72h, SPC-5 §4.5.2) format.
 * Which format is used follows the control mode page's D_SENSE bit, or REQUEST SENSE's DESC bit.
 */
final class SenseData {
    static final int FIXED_CURRENT = 0x70;
    static final int DESCRIPTOR_CURRENT = 0x72;

    static final int FIXED_LENGTH = 18;
    static final int FIXED_VALID = 0x80;
    static final int FIXED_KEY_OFFSET = 2;
    static final int FIXED_INFORMATION_OFFSET = 3;
    static final int FIXED_ADDITIONAL_LENGTH_OFFSET = 7;
    static final int FIXED_ASC_OFFSET = 12;
    static final int FIXED_ASCQ_OFFSET = 13;

    static final int DESCRIPTOR_HEADER_LENGTH = 8;
    static final int DESCRIPTOR_KEY_OFFSET = 1;
    static final int DESCRIPTOR_ASC_OFFSET = 2;
    static final int DESCRIPTOR_ASCQ_OFFSET = 3;
    static final int DESCRIPTOR_ADDITIONAL_LENGTH_OFFSET = 7;
    /** SPC-5 §4.5.2.2 information sense data descriptor. */
    static final int INFORMATION_DESCRIPTOR_TYPE = 0x00;
    static final int INFORMATION_DESCRIPTOR_LENGTH = 12;
    static final int INFORMATION_DESCRIPTOR_VALID = 0x80;

    /** Marker for "no INFORMATION field". */
    static final long NO_INFORMATION = -1L;

    private SenseData() {}

    static byte[] encode(SenseReason reason, boolean descriptorFormat) {
        return encode(reason, NO_INFORMATION, descriptorFormat);
    }

    /**
     * @param information value of the INFORMATION field (e.g. the miscompare offset, SBC-4 §5.30),
     *     or {@link #NO_INFORMATION}; must be non-negative when present
     */
    static byte[] encode(SenseReason reason, long information, boolean descriptorFormat) {
        return descriptorFormat ? descriptor(reason, information) : fixed(reason, information);
    }

    private static byte[] fixed(SenseReason reason, long information) {
        byte[] sense = new byte[FIXED_LENGTH];
        sense[0] = (byte) FIXED_CURRENT;
        // The fixed format has four INFORMATION bytes; a larger value cannot be reported (VALID=0).
        if (information >= 0 && information <= 0xFFFF_FFFFL) {
            sense[0] |= (byte) FIXED_VALID;
            Bytes.putU32(sense, FIXED_INFORMATION_OFFSET, information);
        }
        sense[FIXED_KEY_OFFSET] = (byte) reason.senseKey;
        sense[FIXED_ADDITIONAL_LENGTH_OFFSET] = (byte) (FIXED_LENGTH - (FIXED_ADDITIONAL_LENGTH_OFFSET + 1));
        sense[FIXED_ASC_OFFSET] = (byte) reason.asc;
        sense[FIXED_ASCQ_OFFSET] = (byte) reason.ascq;
        return sense;
    }

    private static byte[] descriptor(SenseReason reason, long information) {
        boolean withInformation = information >= 0;
        int length = DESCRIPTOR_HEADER_LENGTH + (withInformation ? INFORMATION_DESCRIPTOR_LENGTH : 0);
        byte[] sense = new byte[length];
        sense[0] = (byte) DESCRIPTOR_CURRENT;
        sense[DESCRIPTOR_KEY_OFFSET] = (byte) reason.senseKey;
        sense[DESCRIPTOR_ASC_OFFSET] = (byte) reason.asc;
        sense[DESCRIPTOR_ASCQ_OFFSET] = (byte) reason.ascq;
        sense[DESCRIPTOR_ADDITIONAL_LENGTH_OFFSET] = (byte) (length - DESCRIPTOR_HEADER_LENGTH);
        if (withInformation) {
            int d = DESCRIPTOR_HEADER_LENGTH;
            sense[d] = (byte) INFORMATION_DESCRIPTOR_TYPE;
            sense[d + 1] = (byte) (INFORMATION_DESCRIPTOR_LENGTH - 2);
            sense[d + 2] = (byte) INFORMATION_DESCRIPTOR_VALID;
            Bytes.putU64(sense, d + 4, information);
        }
        return sense;
    }
}
