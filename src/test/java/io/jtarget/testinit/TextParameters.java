package io.jtarget.testinit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Text-format key=value pairs, each terminated by a NUL (RFC 7143 §6.1), in wire order.
 * Keys may repeat (SendTargets answers repeat TargetName/TargetAddress).
 */
public final class TextParameters {
    /** RFC 7143 §6.1: a key name is at most 63 bytes. */
    public static final int MAX_KEY_LENGTH = 63;

    private final List<Map.Entry<String, String>> entries = new ArrayList<>();

    public TextParameters add(String key, String value) {
        entries.add(Map.entry(key, value));
        return this;
    }

    public TextParameters addAll(TextParameters other) {
        entries.addAll(other.entries);
        return this;
    }

    public List<Map.Entry<String, String>> entries() {
        return Collections.unmodifiableList(entries);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public boolean contains(String key) {
        return entries.stream().anyMatch(e -> e.getKey().equals(key));
    }

    public Optional<String> first(String key) {
        return entries.stream().filter(e -> e.getKey().equals(key)).map(Map.Entry::getValue).findFirst();
    }

    public Map<String, List<String>> asMultiMap() {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : entries) {
            map.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        }
        return map;
    }

    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : entries) {
            out.writeBytes((e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /**
     * Parses a complete text (all continuation PDUs joined). Every pair must be NUL-terminated
     * and contain '=' after a non-empty key of at most 63 bytes (RFC 7143 §6.1).
     */
    public static TextParameters decode(byte[] text) throws ProtocolViolationException {
        TextParameters params = new TextParameters();
        int start = 0;
        while (start < text.length) {
            int end = start;
            while (end < text.length && text[end] != 0) {
                end++;
            }
            if (end == text.length) {
                throw new ProtocolViolationException("text key=value pair not NUL-terminated: '"
                        + new String(text, start, end - start, StandardCharsets.UTF_8) + "' (RFC 7143 §6.1)");
            }
            String pair = new String(text, start, end - start, StandardCharsets.UTF_8);
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ProtocolViolationException("malformed text pair '" + pair + "' (RFC 7143 §6.1)");
            }
            if (eq > MAX_KEY_LENGTH) {
                throw new ProtocolViolationException("text key longer than 63 bytes: '" + pair + "' (RFC 7143 §6.1)");
            }
            params.add(pair.substring(0, eq), pair.substring(eq + 1));
            start = end + 1;
        }
        return params;
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
