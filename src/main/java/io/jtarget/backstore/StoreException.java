package io.jtarget.backstore;

import java.io.IOException;

/**
 * A backing-store failure whose cause the SCSI core can name to the initiator: each {@link Kind} has its
 * own sense (the core's SenseReason table), where an untyped {@link IOException} is a MEDIUM ERROR.
 */
public class StoreException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why an I/O failed, as far as the initiator should know. */
    public enum Kind {
        /** The store did not answer within the I/O deadline; the I/O may still happen. */
        TIMEOUT,
        /** The store cannot be reached now (cluster unreachable, connection lost); retrying later may work. */
        UNAVAILABLE,
        /** This gateway was fenced off the store (Ceph blocklist); it reconnects on its own. */
        FENCED,
        /** A thin store ran out of space for a write (SBC-4 §4.7.3.7). */
        NO_SPACE,
        /** The data could not be read or written (the medium failed). */
        MEDIUM,
        /** The store refuses writes (a snapshot, a read-only image). */
        READ_ONLY,
    }

    private final Kind kind;

    public StoreException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public StoreException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The kind of {@code error} when it is a StoreException, else {@link Kind#MEDIUM}. */
    public static Kind kindOf(Throwable error) {
        return error instanceof StoreException s ? s.kind : Kind.MEDIUM;
    }
}
