package io.jtarget.rdma;

import java.io.IOException;

/** A verbs or RDMA CM call failed; {@link #errno()} is the C library's error number (0 when none). */
public class RdmaException extends IOException {
    private final int errno;

    public RdmaException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public RdmaException(String message, Throwable cause) {
        super(message, cause);
        this.errno = 0;
    }

    public int errno() {
        return errno;
    }
}
