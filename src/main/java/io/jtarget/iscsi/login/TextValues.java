package io.jtarget.iscsi.login;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/** Value syntax of RFC 7143 §6.1: numbers, booleans, lists, iSCSI names and local names. */
final class TextValues {
    /** Numbers larger than this are reported as this (out of range for every key we know). */
    static final long TOO_LARGE = Long.MAX_VALUE;

    // RFC 7143 §4.2.7.2: "iqn." date "." naming authority; "eui." 16 hex; "naa." 16 or 32 hex.
    private static final Pattern IQN = Pattern.compile("iqn\\.\\d{4}-\\d{2}\\.[^\\s,]+");
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9A-Fa-f]{16}");
    private static final Pattern NAA = Pattern.compile("naa\\.(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})");

    private TextValues() {}

    /**
     * Parses a numerical-value (§6.1): a decimal constant, or a hex ("0x") or base64 ("0b")
     * constant. Values beyond 2^62 are returned as {@link #TOO_LARGE}.
     */
    static OptionalLong parseNumber(String value) {
        if (value.length() > 2 && value.charAt(0) == '0' && (value.charAt(1) == 'x' || value.charAt(1) == 'X')) {
            return accumulate(value.substring(2), 16);
        }
        if (value.length() > 2 && value.charAt(0) == '0' && (value.charAt(1) == 'b' || value.charAt(1) == 'B')) {
            return parseBase64(value.substring(2));
        }
        return accumulate(value, 10);
    }

    private static OptionalLong accumulate(String digits, int radix) {
        if (digits.isEmpty()) {
            return OptionalLong.empty();
        }
        long result = 0;
        for (int i = 0; i < digits.length(); i++) {
            int digit = Character.digit(digits.charAt(i), radix);
            if (digit < 0 || digits.charAt(i) > 0x7f) {
                return OptionalLong.empty();
            }
            if (result > (1L << 62) / radix) {
                result = TOO_LARGE;
            } else if (result != TOO_LARGE) {
                result = result * radix + digit;
            }
        }
        return OptionalLong.of(result);
    }

    private static OptionalLong parseBase64(String encoded) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            return OptionalLong.empty();
        }
        if (bytes.length == 0) {
            return OptionalLong.empty();
        }
        long result = 0;
        for (byte b : bytes) {
            if (result > (1L << 54)) {
                return OptionalLong.of(TOO_LARGE);
            }
            result = (result << 8) | (b & 0xff);
        }
        return OptionalLong.of(result);
    }

    /** "Yes" / "No" exactly (§6.1 boolean-value; values are case sensitive). */
    static Boolean parseBoolean(String value) {
        return switch (value) {
            case TextKeys.YES -> Boolean.TRUE;
            case TextKeys.NO -> Boolean.FALSE;
            default -> null;
        };
    }

    static String booleanValue(boolean value) {
        return value ? TextKeys.YES : TextKeys.NO;
    }

    /** Splits a list-of-values (§6.1); empty items make the whole list invalid (empty result). */
    static List<String> parseList(String value) {
        List<String> items = new ArrayList<>();
        int start = 0;
        while (true) {
            int comma = value.indexOf(',', start);
            String item = comma < 0 ? value.substring(start) : value.substring(start, comma);
            if (item.isEmpty() || TextParameters.utf8Length(item) > TextKeys.MAX_SIMPLE_VALUE_BYTES) {
                return List.of();
            }
            items.add(item);
            if (comma < 0) {
                return items;
            }
            start = comma + 1;
        }
    }

    /** RFC 7143 §4.2.7: an iSCSI name in one of the iqn., eui., naa. formats, at most 223 bytes. */
    static boolean isIscsiName(String value) {
        if (value.isEmpty() || TextParameters.utf8Length(value) > TextKeys.MAX_ISCSI_NAME_BYTES) {
            return false;
        }
        return IQN.matcher(value).matches() || EUI.matcher(value).matches() || NAA.matcher(value).matches();
    }

    /** RFC 7143 §6.1 iSCSI-local-name-value: UTF-8 text, at most 255 bytes. */
    static boolean isLocalName(String value) {
        return TextParameters.utf8Length(value) <= TextKeys.MAX_SIMPLE_VALUE_BYTES;
    }

    static boolean isReservedAnswer(String value) {
        return value.equals(TextKeys.REJECT) || value.equals(TextKeys.IRRELEVANT)
                || value.equals(TextKeys.NOT_UNDERSTOOD);
    }
}
