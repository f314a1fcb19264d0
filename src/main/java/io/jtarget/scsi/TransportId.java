package io.jtarget.scsi;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An iSCSI TransportID (SPC-5 §7.6.4.6): the initiator port named in PERSISTENT RESERVE OUT
 * SPEC_I_PT / REGISTER AND MOVE parameter data and reported by READ FULL STATUS.
 *
 * <p>Format 00b carries the iSCSI name alone and so names every initiator port of that iSCSI
 * initiator device ({@code isid == null}); format 01b carries {@code <name>,i,0x<ISID>}, one port.
 *
 * @param initiatorName the iSCSI initiator name
 * @param isid twelve lower-case hex digits, or null for "any ISID" (format 00b)
 */
record TransportId(String initiatorName, String isid) {
    static final int PROTOCOL_ISCSI = 0x5;
    static final int PROTOCOL_MASK = 0x0F;
    static final int FORMAT_SHIFT = 6;
    static final int FORMAT_NAME = 0b00;
    static final int FORMAT_NAME_AND_ISID = 0b01;
    static final int HEADER_LENGTH = 4;
    /** SPC-5 §7.6.4.6: ADDITIONAL LENGTH is a multiple of four and at least 20 (name of at least 16 bytes + pad). */
    static final int MIN_ADDITIONAL_LENGTH = 20;
    static final String ISID_SEPARATOR = ",i,0x";
    static final int ISID_HEX_DIGITS = 12;
    /** An iSCSI name is at most 223 bytes (RFC 7143 §4.2.7.1). */
    static final int MAX_NAME_BYTES = 223;

    /** A parsed TransportID and how many bytes of parameter data it occupied. */
    record Parsed(TransportId id, int length) {}

    /**
     * Parse the TransportID at {@code off}; null when it is malformed, not iSCSI, or does not fit
     * in {@code end} (the caller answers INVALID FIELD IN PARAMETER LIST).
     */
    static Parsed parse(byte[] data, int off, int end) {
        if (end - off < HEADER_LENGTH) {
            return null;
        }
        int format = (data[off] & 0xff) >>> FORMAT_SHIFT;
        if ((data[off] & PROTOCOL_MASK) != PROTOCOL_ISCSI
                || (format != FORMAT_NAME && format != FORMAT_NAME_AND_ISID)) {
            return null;
        }
        int additional = Bytes.u16(data, off + 2);
        if (additional % 4 != 0 || additional < MIN_ADDITIONAL_LENGTH || additional > end - off - HEADER_LENGTH) {
            return null;
        }
        int start = off + HEADER_LENGTH;
        int nul = start;
        while (nul < start + additional && data[nul] != 0) {
            nul++;
        }
        if (nul == start + additional || nul == start) {
            return null; // the name must be null terminated and not empty
        }
        String text = new String(data, start, nul - start, StandardCharsets.UTF_8);
        TransportId id;
        if (format == FORMAT_NAME) {
            if (text.contains(",")) {
                return null;
            }
            id = new TransportId(text, null);
        } else {
            id = split(text);
            if (id.isid == null || id.isid.length() != ISID_HEX_DIGITS
                    || !id.isid.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                return null;
            }
        }
        if (id.initiatorName.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            return null;
        }
        return new Parsed(id, HEADER_LENGTH + additional);
    }

    /** Encode as format 01b when the ISID is known, else format 00b. */
    byte[] encode() {
        String text = isid == null ? initiatorName : initiatorName + ISID_SEPARATOR + isid;
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int additional = Math.max(MIN_ADDITIONAL_LENGTH, (utf8.length + 1 + 3) & ~3);
        byte[] d = new byte[HEADER_LENGTH + additional];
        int format = isid == null ? FORMAT_NAME : FORMAT_NAME_AND_ISID;
        d[0] = (byte) ((format << FORMAT_SHIFT) | PROTOCOL_ISCSI);
        Bytes.putU16(d, 2, additional);
        System.arraycopy(utf8, 0, d, HEADER_LENGTH, utf8.length);
        return d;
    }

    /** The initiator port of an I_T nexus whose port name follows RFC 7143 §4.4.2 ({@code name,i,0xISID}). */
    static TransportId of(ItNexus nexus) {
        return split(nexus.initiatorPort());
    }

    /**
     * {@code <name>,i,0x<ISID>} (the separator in either case, its last occurrence) as name and
     * lower-case ISID; text without a separator after a non-empty name is a name alone (ISID null).
     */
    private static TransportId split(String text) {
        int sep = lastSeparator(text);
        if (sep <= 0) {
            return new TransportId(text, null);
        }
        return new TransportId(text.substring(0, sep),
                text.substring(sep + ISID_SEPARATOR.length()).toLowerCase(Locale.ROOT));
    }

    /** Where the last {@link #ISID_SEPARATOR} starts, ASCII letters compared case-insensitively; -1 if none. */
    private static int lastSeparator(String text) {
        int n = ISID_SEPARATOR.length();
        candidates:
        for (int i = text.length() - n; i >= 0; i--) {
            for (int k = 0; k < n; k++) {
                char c = text.charAt(i + k);
                if (c >= 'A' && c <= 'Z') {
                    c = (char) (c + ('a' - 'A'));
                }
                if (c != ISID_SEPARATOR.charAt(k)) {
                    continue candidates;
                }
            }
            return i;
        }
        return -1;
    }

    /** True when this TransportID names the nexus' initiator port (iSCSI names compare case-insensitively). */
    boolean matches(TransportId port) {
        return initiatorName.equalsIgnoreCase(port.initiatorName) && (isid == null || isid.equals(port.isid));
    }
}
