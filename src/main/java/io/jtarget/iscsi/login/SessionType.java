package io.jtarget.iscsi.login;

import java.util.Optional;

/** RFC 7143 §13.21: the kind of session the initiator asks for. */
public enum SessionType {
    NORMAL(TextKeys.SESSION_TYPE_NORMAL),
    DISCOVERY(TextKeys.SESSION_TYPE_DISCOVERY);

    private final String wireValue;

    SessionType(String wireValue) {
        this.wireValue = wireValue;
    }

    public String wireValue() {
        return wireValue;
    }

    public static Optional<SessionType> fromWire(String value) {
        for (SessionType type : values()) {
            if (type.wireValue.equals(value)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
