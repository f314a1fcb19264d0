package io.jtarget.iscsi.login;

import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * RFC 7143 §6.1 binary-value / large-binary-value: a hex constant ("0x" or "0X" then hex digits)
 * or a base64 constant ("0b" or "0B" then RFC 4648 base64). Decimal is not a binary encoding.
 * Used for CHAP_C and CHAP_R (§12.1.3).
 */
public final class BinaryValues {
    /** Longest value accepted: CHAP challenges and responses are far shorter; this bounds a hostile one. */
    public static final int MAX_DECODED_BYTES = 1024;

    private BinaryValues() {}

    /** The decoded bytes; empty for a malformed, empty or over-long value. */
    public static Optional<byte[]> decode(String value) {
        if (value.length() < 3 || value.charAt(0) != '0') {
            return Optional.empty();
        }
        char kind = value.charAt(1);
        String body = value.substring(2);
        byte[] bytes;
        if (kind == 'x' || kind == 'X') {
            if (body.length() > 2 * MAX_DECODED_BYTES + 1) {
                return Optional.empty();
            }
            // §6.1 hex-constant: an odd number of digits has an implied leading zero.
            String even = (body.length() & 1) == 1 ? "0" + body : body;
            try {
                bytes = HexFormat.of().parseHex(even);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        } else if (kind == 'b' || kind == 'B') {
            if (body.length() > 4 * ((MAX_DECODED_BYTES + 2) / 3)) {
                return Optional.empty();
            }
            try {
                bytes = Base64.getDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        } else {
            return Optional.empty();
        }
        return bytes.length == 0 || bytes.length > MAX_DECODED_BYTES ? Optional.empty() : Optional.of(bytes);
    }

    /** Hex encoding "0x..." (what every initiator parses; libiscsi parses only this one). */
    public static String hex(byte[] bytes) {
        return "0x" + HexFormat.of().formatHex(bytes);
    }
}
