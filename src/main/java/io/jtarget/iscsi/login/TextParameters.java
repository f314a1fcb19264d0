package io.jtarget.iscsi.login;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes and encodes a logical text data segment (RFC 7143 §6.1): UTF-8 {@code key=value} pairs,
 * each followed by one NUL. The caller reassembles the segment from the PDUs of a C-bit sequence
 * first. Decoding never throws on bad input: it returns {@link Decoded.Malformed}.
 */
public final class TextParameters {
    private static final byte NUL = 0;
    private static final byte EQUALS = '=';

    private TextParameters() {}

    /** The outcome of decoding one segment. */
    public sealed interface Decoded {
        /** The pairs, in the order received. */
        record Ok(List<KeyValue> pairs) implements Decoded {
            public Ok {
                pairs = List.copyOf(pairs);
            }
        }

        /** The segment breaks §6.1 or a configured bound; {@code pairIndex} is the offending pair (0-based). */
        record Malformed(TextError error, int pairIndex, String detail) implements Decoded {}
    }

    /** Decodes the readable bytes of {@code segment} without consuming or releasing it. */
    public static Decoded decode(ByteBuf segment, TextLimits limits) {
        byte[] bytes = new byte[segment.readableBytes()];
        segment.getBytes(segment.readerIndex(), bytes);
        return decode(bytes, limits);
    }

    public static Decoded decode(byte[] segment, TextLimits limits) {
        if (segment.length > limits.maxSegmentBytes()) {
            return new Decoded.Malformed(TextError.SEGMENT_TOO_LONG, 0,
                    segment.length + " bytes > " + limits.maxSegmentBytes());
        }
        List<KeyValue> pairs = new ArrayList<>();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int start = 0;
        while (start < segment.length) {
            int index = pairs.size();
            int end = indexOf(segment, NUL, start, segment.length);
            if (end < 0) {
                return new Decoded.Malformed(TextError.MISSING_NUL_TERMINATOR, index,
                        "last pair not NUL-terminated");
            }
            if (end == start) {
                // Some initiators pad with NULs; tolerate them only at the very end.
                if (allNul(segment, start)) {
                    break;
                }
                return new Decoded.Malformed(TextError.EMPTY_PAIR, index, "empty pair at offset " + start);
            }
            if (pairs.size() == limits.maxKeys()) {
                return new Decoded.Malformed(TextError.TOO_MANY_KEYS, index, "more than " + limits.maxKeys());
            }
            int equals = indexOf(segment, EQUALS, start, end);
            if (equals < 0) {
                return new Decoded.Malformed(TextError.MISSING_EQUALS, index, "no '=' in pair");
            }
            int keyLength = equals - start;
            if (keyLength > TextKeys.MAX_KEY_NAME_BYTES) {
                return new Decoded.Malformed(TextError.KEY_TOO_LONG, index, keyLength + " bytes");
            }
            int valueLength = end - equals - 1;
            if (valueLength > limits.maxValueBytes()) {
                return new Decoded.Malformed(TextError.VALUE_TOO_LONG, index, valueLength + " bytes");
            }
            String key = new String(segment, start, keyLength, StandardCharsets.US_ASCII);
            if (!isValidKeyName(segment, start, equals)) {
                return new Decoded.Malformed(TextError.INVALID_KEY_NAME, index, "bad key name");
            }
            String value;
            try {
                value = utf8.decode(ByteBuffer.wrap(segment, equals + 1, valueLength)).toString();
            } catch (CharacterCodingException e) {
                return new Decoded.Malformed(TextError.INVALID_UTF8, index, "value of " + key);
            }
            pairs.add(new KeyValue(key, value));
            start = end + 1;
        }
        return new Decoded.Ok(pairs);
    }

    /** Encodes pairs as {@code key=value\0...}, every pair NUL-terminated (§6.1). */
    public static byte[] encode(List<KeyValue> pairs) {
        byte[] out = new byte[encodedLength(pairs)];
        int position = 0;
        for (KeyValue pair : pairs) {
            byte[] key = pair.key().getBytes(StandardCharsets.UTF_8);
            byte[] value = pair.value().getBytes(StandardCharsets.UTF_8);
            System.arraycopy(key, 0, out, position, key.length);
            position += key.length;
            out[position++] = EQUALS;
            System.arraycopy(value, 0, out, position, value.length);
            position += value.length;
            out[position++] = NUL;
        }
        return out;
    }

    /** Appends the encoded pairs to {@code out}. */
    public static void encode(List<KeyValue> pairs, ByteBuf out) {
        out.writeBytes(encode(pairs));
    }

    public static int encodedLength(List<KeyValue> pairs) {
        int length = 0;
        for (KeyValue pair : pairs) {
            length += utf8Length(pair.key()) + 1 + utf8Length(pair.value()) + 1;
        }
        return length;
    }

    /**
     * RFC 7143 §6.1: a key is a standard-label (a capital letter, then letters, digits, '.', '-',
     * '+', '@', '_'), or an extension key "X-..." / "X#..." using the same characters. A lower-case
     * first letter is accepted too: RFC 7144 §2.1 defines "iSCSIProtocolLevel", and a key that is
     * merely unknown deserves NotUnderstood, not a failed login.
     */
    static boolean isValidKeyName(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= TextKeys.MAX_KEY_NAME_BYTES && isValidKeyName(bytes, 0, bytes.length);
    }

    private static boolean isValidKeyName(byte[] bytes, int from, int to) {
        if (to <= from || !isLetter(bytes[from])) {
            return false;
        }
        for (int i = from + 1; i < to; i++) {
            byte c = bytes[i];
            boolean extensionMark = c == '#' && i == from + 1 && bytes[from] == 'X';
            if (!isLabelCharacter(c) && !extensionMark) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLetter(byte c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isLabelCharacter(byte c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '-' || c == '+' || c == '@' || c == '_';
    }

    static int utf8Length(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                length += 4;
                i++;
            } else {
                length += 3;
            }
        }
        return length;
    }

    private static int indexOf(byte[] bytes, byte wanted, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    private static boolean allNul(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] != NUL) {
                return false;
            }
        }
        return true;
    }
}
