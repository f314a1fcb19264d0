package io.jtarget.testinit;

import java.io.IOException;

/** The target closed (or reset) the TCP connection. */
public class ConnectionClosedException extends IOException {
    public ConnectionClosedException(String message) {
        super(message);
    }

    public ConnectionClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
