package io.jtarget.tcmu;

/** The TCMU interface cannot be used on this machine; the message says what is missing, in one line. */
public final class TcmuUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    TcmuUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
