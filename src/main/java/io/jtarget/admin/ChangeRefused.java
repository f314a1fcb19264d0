package io.jtarget.admin;

import io.jtarget.config.ConfigError;
import io.jtarget.config.ConfigException;
import io.jtarget.registry.RegistryException;
import java.util.List;

/**
 * A management request that was refused; the server and the configuration file are as they were.
 * The message is one line for the operator; {@link #errors} lists every configuration error with
 * its path when there were several.
 */
public final class ChangeRefused extends Exception {
    /** What kind of refusal; the admin API answers with the matching HTTP status. */
    public enum Kind {
        BAD_VALUE(400),
        NOT_FOUND(404),
        CONFLICT(409),
        BUSY(409),
        FAILED(500);

        final int httpStatus;

        Kind(int httpStatus) {
            this.httpStatus = httpStatus;
        }
    }

    private final Kind kind;
    private final List<ConfigError> errors;

    public ChangeRefused(Kind kind, String message) {
        this(kind, message, List.of(), null);
    }

    private ChangeRefused(Kind kind, String message, List<ConfigError> errors, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.errors = List.copyOf(errors);
    }

    static ChangeRefused of(ConfigException e) {
        return new ChangeRefused(Kind.BAD_VALUE, e.getMessage(), e.errors(), e);
    }

    static ChangeRefused of(RegistryException e) {
        Kind kind = switch (e.reason()) {
            case BAD_VALUE -> Kind.BAD_VALUE;
            case CONFLICT -> Kind.CONFLICT;
            case NOT_FOUND -> Kind.NOT_FOUND;
            case BUSY -> Kind.BUSY;
            case STORE_FAILED -> Kind.FAILED;
        };
        return new ChangeRefused(kind, e.getMessage(), List.of(), e);
    }

    static ChangeRefused failed(String message, Throwable cause) {
        return new ChangeRefused(Kind.FAILED, message, List.of(), cause);
    }

    public Kind kind() {
        return kind;
    }

    public List<ConfigError> errors() {
        return errors;
    }
}
