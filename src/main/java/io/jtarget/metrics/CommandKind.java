package io.jtarget.metrics;

/**
 * What a SCSI command does to the medium, the grouping every per-LUN counter uses. The SCSI core
 * maps opcodes to kinds once, in a table; counting never looks at a CDB twice.
 */
public enum CommandKind {
    /** READ(6/10/12/16): data to the initiator. */
    READ,
    /** WRITE(6/10/12/16), WRITE AND VERIFY, COMPARE AND WRITE, ORWRITE, WRITE ATOMIC, WRITE SAME: data to the medium. */
    WRITE,
    /** SYNCHRONIZE CACHE: making written data durable. */
    FLUSH,
    /** Everything else (INQUIRY, TEST UNIT READY, UNMAP, reservations, ...). */
    OTHER;

    private static final CommandKind[] VALUES = values();

    /** The kinds in ordinal order, without the copy {@link #values()} makes. */
    public static CommandKind byOrdinal(int ordinal) {
        return VALUES[ordinal];
    }

    /** The label value used in metrics and the stats table: lower case. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
