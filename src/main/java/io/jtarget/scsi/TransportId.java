package io.jtarget.scsi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A TransportID (SPC-5 §7.6.4): the initiator port of an I_T nexus in the form its fabric defines.
 * The fabric supplies it with every nexus ({@link ItNexus#transportId()}); persistent reservations
 * keep it per registration, READ FULL STATUS reports it, SPEC_I_PT and REGISTER AND MOVE name one.
 *
 * <p>Two forms: {@link Iscsi} (protocol identifier 5h, §7.6.4.6) and {@link Srp} (protocol
 * identifier 4h, §7.6.4.5). A TransportID of one form never matches a port of the other.
 */
public sealed interface TransportId permits TransportId.Iscsi, TransportId.Srp {
    int PROTOCOL_MASK = 0x0F;
    int FORMAT_SHIFT = 6;
    int HEADER_LENGTH = 4;

    /** A parsed TransportID and how many bytes of parameter data it occupied. */
    record Parsed(TransportId id, int length) {}

    /** The TransportID as SPC-5 encodes it in parameter data. */
    byte[] encode();

    /** True when this TransportID names {@code port}, the initiator port of a nexus. */
    boolean matches(TransportId port);

    /**
     * The initiator's name for access rules and LUN masks: the iSCSI name, or for SRP the initiator
     * port identifier as {@code 0x} and 32 lower-case hex digits.
     */
    String initiatorName();

    /**
     * Parse the TransportID at {@code off}; null when it is malformed, of a protocol this target
     * does not serve, or does not fit in {@code end} (the caller answers INVALID FIELD IN PARAMETER LIST).
     */
    static Parsed parse(byte[] data, int off, int end) {
        if (end - off < HEADER_LENGTH) {
            return null;
        }
        return switch (data[off] & PROTOCOL_MASK) {
            case Iscsi.PROTOCOL -> Iscsi.parse(data, off, end);
            case Srp.PROTOCOL -> Srp.parse(data, off, end);
            default -> null;
        };
    }

    /** The initiator port of a nexus. */
    static TransportId of(ItNexus nexus) {
        return nexus.transportId();
    }

    /**
     * An iSCSI TransportID (SPC-5 §7.6.4.6). Format 00b carries the iSCSI name alone and so names
     * every initiator port of that iSCSI initiator device ({@code isid == null}); format 01b carries
     * {@code <name>,i,0x<ISID>}, one port.
     *
     * @param initiatorName the iSCSI initiator name
     * @param isid twelve lower-case hex digits, or null for "any ISID" (format 00b)
     */
    record Iscsi(String initiatorName, String isid) implements TransportId {
        static final int PROTOCOL = 0x5;
        static final int FORMAT_NAME = 0b00;
        static final int FORMAT_NAME_AND_ISID = 0b01;
        /** SPC-5 §7.6.4.6: ADDITIONAL LENGTH is a multiple of four and at least 20 (name of at least 16 bytes + pad). */
        static final int MIN_ADDITIONAL_LENGTH = 20;
        static final String ISID_SEPARATOR = ",i,0x";
        static final int ISID_HEX_DIGITS = 12;
        /** An iSCSI name is at most 223 bytes (RFC 7143 §4.2.7.1). */
        static final int MAX_NAME_BYTES = 223;

        static Parsed parse(byte[] data, int off, int end) {
            int format = (data[off] & 0xff) >>> FORMAT_SHIFT;
            if (format != FORMAT_NAME && format != FORMAT_NAME_AND_ISID) {
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
            Iscsi id;
            if (format == FORMAT_NAME) {
                if (text.contains(",")) {
                    return null;
                }
                id = new Iscsi(text, null);
            } else {
                id = ofPortName(text);
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
        @Override
        public byte[] encode() {
            String text = isid == null ? initiatorName : initiatorName + ISID_SEPARATOR + isid;
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            int additional = Math.max(MIN_ADDITIONAL_LENGTH, (utf8.length + 1 + 3) & ~3);
            byte[] d = new byte[HEADER_LENGTH + additional];
            int format = isid == null ? FORMAT_NAME : FORMAT_NAME_AND_ISID;
            d[0] = (byte) ((format << FORMAT_SHIFT) | PROTOCOL);
            Bytes.putU16(d, 2, additional);
            System.arraycopy(utf8, 0, d, HEADER_LENGTH, utf8.length);
            return d;
        }

        /** iSCSI names compare case-insensitively; a name-only TransportID names every ISID. */
        @Override
        public boolean matches(TransportId port) {
            return port instanceof Iscsi p && initiatorName.equalsIgnoreCase(p.initiatorName)
                    && (isid == null || isid.equals(p.isid));
        }

        /**
         * An iSCSI initiator port name (RFC 7143 §4.4.2): {@code <name>,i,0x<ISID>} (the separator
         * in either case, its last occurrence) as name and lower-case ISID; text without a separator
         * after a non-empty name is a name alone (ISID null).
         */
        public static Iscsi ofPortName(String text) {
            int sep = lastSeparator(text);
            if (sep <= 0) {
                return new Iscsi(text, null);
            }
            return new Iscsi(text.substring(0, sep),
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
    }

    /**
     * An SCSI RDMA Protocol TransportID (SPC-5 §7.6.4.5): format 00b, the 16-byte INITIATOR PORT
     * IDENTIFIER of SRP-2 §5.6.2.1 (the SRP_LOGIN_REQ's), 24 bytes in all.
     *
     * @param portId the 16-byte initiator port identifier (copied; never changed)
     */
    record Srp(byte[] portId) implements TransportId {
        static final int PROTOCOL = 0x4;
        public static final int PORT_ID_LENGTH = 16;
        static final int LENGTH = 24;
        static final int PORT_ID_OFFSET = 8;

        public Srp {
            if (portId.length != PORT_ID_LENGTH) {
                throw new IllegalArgumentException("an SRP initiator port identifier has 16 bytes");
            }
            portId = portId.clone();
        }

        static Parsed parse(byte[] data, int off, int end) {
            if ((data[off] & 0xff) >>> FORMAT_SHIFT != 0 || end - off < LENGTH) {
                return null;
            }
            return new Parsed(new Srp(Arrays.copyOfRange(data, off + PORT_ID_OFFSET, off + PORT_ID_OFFSET
                    + PORT_ID_LENGTH)), LENGTH);
        }

        @Override
        public byte[] encode() {
            byte[] d = new byte[LENGTH];
            d[0] = PROTOCOL;
            System.arraycopy(portId, 0, d, PORT_ID_OFFSET, PORT_ID_LENGTH);
            return d;
        }

        @Override
        public boolean matches(TransportId port) {
            return port instanceof Srp p && Arrays.equals(portId, p.portId);
        }

        @Override
        public String initiatorName() {
            return "0x" + HexFormat.of().formatHex(portId);
        }

        /** The identifier written as {@link #initiatorName()} gives it (with or without {@code 0x}); null if not one. */
        public static Srp ofName(String text) {
            String hex = text.startsWith("0x") || text.startsWith("0X") ? text.substring(2) : text;
            if (hex.length() != 2 * PORT_ID_LENGTH || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                return null;
            }
            return new Srp(HexFormat.of().parseHex(hex));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Srp s && Arrays.equals(portId, s.portId);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(portId);
        }

        @Override
        public String toString() {
            return "SRP " + initiatorName();
        }

        @Override
        public byte[] portId() {
            return portId.clone();
        }
    }
}
