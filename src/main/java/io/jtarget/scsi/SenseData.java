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

    /** Sense-key specific field pointer (SPC-5 §4.4.2.2 Table 53): SKSV, C/D (1: in the CDB), BPV. */
    static final int SKS_VALID = 0x80;
    static final int SKS_IN_CDB = 0x40;
    static final int SKS_BIT_POINTER_VALID = 0x08;
    static final int FIXED_SKS_OFFSET = 15;
    static final int SKS_DESCRIPTOR_TYPE = 0x02;
    static final int SKS_DESCRIPTOR_LENGTH = 8;

    /** Marker for "no INFORMATION field". */
    static final long NO_INFORMATION = -1L;

    private SenseData() {}

    /** The sense key of fixed or descriptor format sense data (SPC-5 §4.5.2, §4.5.3); 0 when there is none. */
    static int senseKey(byte[] sense) {
        if (sense == null || sense.length <= FIXED_KEY_OFFSET) {
            return 0;
        }
        int responseCode = sense[0] & 0x7e;
        return sense[responseCode == DESCRIPTOR_CURRENT ? DESCRIPTOR_KEY_OFFSET : FIXED_KEY_OFFSET] & 0x0f;
    }

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

    /**
     * Sense data that points at the offending CDB field (SPC-5 §4.4.2.2): initiators and conformance
     * tools use the pointer to tell an invalid field from an unsupported command.
     *
     * @param byteOffset the CDB byte of the field; {@code bit} its most significant bit, or -1
     */
    static byte[] encodeCdbField(SenseReason reason, int byteOffset, int bit, boolean descriptorFormat) {
        byte[] sks = new byte[3];
        sks[0] = (byte) (SKS_VALID | SKS_IN_CDB | (bit >= 0 ? SKS_BIT_POINTER_VALID | (bit & 0x07) : 0));
        Bytes.putU16(sks, 1, byteOffset);
        return withSenseKeySpecific(reason, sks, descriptorFormat);
    }

    /**
     * Sense data with a PROGRESS INDICATION (SPC-5 §4.4.2.4.4): how far a long operation (format,
     * sanitize) is, as a fraction of 65536, for REQUEST SENSE and NOT READY answers.
     */
    static byte[] encodeProgress(SenseReason reason, int fractionOf65536, boolean descriptorFormat) {
        byte[] sks = new byte[3];
        sks[0] = (byte) SKS_VALID;
        Bytes.putU16(sks, 1, Math.max(0, Math.min(0xFFFF, fractionOf65536)));
        return withSenseKeySpecific(reason, sks, descriptorFormat);
    }

    private static byte[] withSenseKeySpecific(SenseReason reason, byte[] sks, boolean descriptorFormat) {
        if (!descriptorFormat) {
            byte[] sense = fixed(reason, NO_INFORMATION);
            System.arraycopy(sks, 0, sense, FIXED_SKS_OFFSET, sks.length);
            return sense;
        }
        byte[] header = descriptor(reason, NO_INFORMATION);
        byte[] sense = new byte[header.length + SKS_DESCRIPTOR_LENGTH];
        System.arraycopy(header, 0, sense, 0, header.length);
        sense[DESCRIPTOR_ADDITIONAL_LENGTH_OFFSET] = (byte) (sense.length - DESCRIPTOR_HEADER_LENGTH);
        int d = header.length;
        sense[d] = (byte) SKS_DESCRIPTOR_TYPE;
        sense[d + 1] = (byte) (SKS_DESCRIPTOR_LENGTH - 2);
        System.arraycopy(sks, 0, sense, d + 4, sks.length);
        return sense;
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
