package io.jtarget.iscsi.login;

import java.util.Optional;

/** RFC 7143 §13.1: the digests every implementation supports. */
public enum DigestType {
    NONE(TextKeys.NONE),
    CRC32C("CRC32C");

    private final String wireValue;

    DigestType(String wireValue) {
        this.wireValue = wireValue;
    }

    public String wireValue() {
        return wireValue;
    }

    public static Optional<DigestType> fromWire(String value) {
        for (DigestType type : values()) {
            if (type.wireValue.equals(value)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
