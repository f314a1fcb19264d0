package io.jtarget.iscsi.login;

import java.util.Objects;

/**
 * One {@code key=value} pair of a login or text data segment (RFC 7143 §6.1). Keys and values
 * are case sensitive and kept exactly as received.
 */
public record KeyValue(String key, String value) {
    public KeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    public static KeyValue of(String key, String value) {
        return new KeyValue(key, value);
    }

    public static KeyValue of(String key, long value) {
        return new KeyValue(key, Long.toString(value));
    }

    @Override
    public String toString() {
        return key + "=" + value;
    }
}
