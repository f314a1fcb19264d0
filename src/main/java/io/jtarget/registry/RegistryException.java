package io.jtarget.registry;

/**
 * A change the registry refused; nothing was changed. The message is one line for an operator
 * (the admin API and CLI show it as it is), the reason says which kind of refusal it was.
 */
public final class RegistryException extends Exception {
    /** Why a change was refused. */
    public enum Reason {
        /** A value is malformed or out of range. */
        BAD_VALUE,
        /** The name or number is taken already. */
        CONFLICT,
        /** No such target, LUN or session. */
        NOT_FOUND,
        /** The object is in use (a reservation, a prevented medium removal); force overrides. */
        BUSY,
        /** The backing store could not be opened, resized or closed. */
        STORE_FAILED
    }

    private final Reason reason;

    public RegistryException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public RegistryException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
