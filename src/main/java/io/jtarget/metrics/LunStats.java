package io.jtarget.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one logical unit has done since it was opened: commands by {@link CommandKind}, bytes read
 * and written, latency per kind, CHECK CONDITIONs by sense key, other non-GOOD statuses, commands
 * in flight. Every logical unit owns one; the SCSI core calls {@link #started} and {@link #ended}
 * once per command, from whichever thread the command runs on.
 *
 * <p>Cost on the command path: two {@link System#nanoTime()} reads and five {@link LongAdder} adds,
 * no allocation, no map lookup, no tags. Readers (the Prometheus endpoint, the admin API's stats)
 * sum the adders when asked; counts are monotonic, {@link #inFlight()} is a gauge.
 */
public final class LunStats {
    /** SPC-5 §4.5.6: the sense key is 4 bits. */
    public static final int SENSE_KEYS = 16;

    /** Non-GOOD statuses other than CHECK CONDITION that are counted (SAM-5 §5.3.1). */
    public enum Outcome {
        RESERVATION_CONFLICT,
        TASK_SET_FULL,
        BUSY,
        /** Ended by task management (reported as TASK ABORTED or silently). */
        ABORTED,
        OTHER_STATUS
    }

    private static final int KINDS = CommandKind.values().length;
    /** SAM-5 status codes this class tells apart. */
    private static final int CHECK_CONDITION = 0x02;
    private static final int BUSY = 0x08;
    private static final int RESERVATION_CONFLICT = 0x18;
    private static final int TASK_SET_FULL = 0x28;
    private static final int TASK_ABORTED = 0x40;
    /** SPC-5 §4.5.6 Table 52, as label values. */
    private static final String[] SENSE_KEY_NAMES = {
        "no_sense", "recovered_error", "not_ready", "medium_error", "hardware_error", "illegal_request",
        "unit_attention", "data_protect", "blank_check", "vendor_specific", "copy_aborted", "aborted_command",
        "reserved_0c", "volume_overflow", "miscompare", "completed"
    };

    private final LongAdder[] commands = adders(KINDS);
    private final LatencyHistogram[] latency = new LatencyHistogram[KINDS];
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder inFlight = new LongAdder();
    private final LongAdder[] checkConditions = adders(SENSE_KEYS);
    private final LongAdder[] outcomes = adders(Outcome.values().length);

    public LunStats() {
        for (int i = 0; i < KINDS; i++) {
            latency[i] = new LatencyHistogram();
        }
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    /** A command reached the logical unit; returns its start time for {@link #ended}. */
    public long started() {
        inFlight.increment();
        return System.nanoTime();
    }

    /**
     * The command that {@link #started} at {@code startNanos} ended.
     *
     * @param status the SAM status delivered (or {@code aborted})
     * @param senseKey the sense key of a CHECK CONDITION, otherwise ignored
     * @param bytes data moved to or from the medium: read bytes for {@link CommandKind#READ}, written
     *     bytes for {@link CommandKind#WRITE}; ignored for other kinds
     */
    public void ended(CommandKind kind, long startNanos, int status, int senseKey, long bytes, boolean aborted) {
        long elapsed = System.nanoTime() - startNanos;
        inFlight.decrement();
        int k = kind.ordinal();
        commands[k].increment();
        latency[k].record(elapsed);
        if (aborted) {
            outcomes[Outcome.ABORTED.ordinal()].increment();
            return;
        }
        switch (status) {
            case 0 -> {
                if (kind == CommandKind.READ) {
                    bytesRead.add(bytes);
                } else if (kind == CommandKind.WRITE) {
                    bytesWritten.add(bytes);
                }
            }
            case CHECK_CONDITION -> checkConditions[senseKey & (SENSE_KEYS - 1)].increment();
            case RESERVATION_CONFLICT -> outcomes[Outcome.RESERVATION_CONFLICT.ordinal()].increment();
            case TASK_SET_FULL -> outcomes[Outcome.TASK_SET_FULL.ordinal()].increment();
            case BUSY -> outcomes[Outcome.BUSY.ordinal()].increment();
            case TASK_ABORTED -> outcomes[Outcome.ABORTED.ordinal()].increment();
            default -> outcomes[Outcome.OTHER_STATUS.ordinal()].increment();
        }
    }

    public long commands(CommandKind kind) {
        return commands[kind.ordinal()].sum();
    }

    public LatencyHistogram latency(CommandKind kind) {
        return latency[kind.ordinal()];
    }

    public long bytesRead() {
        return bytesRead.sum();
    }

    public long bytesWritten() {
        return bytesWritten.sum();
    }

    public long inFlight() {
        return inFlight.sum();
    }

    /** CHECK CONDITIONs with this sense key (0..15). */
    public long checkConditions(int senseKey) {
        return checkConditions[senseKey].sum();
    }

    public long outcomes(Outcome outcome) {
        return outcomes[outcome.ordinal()].sum();
    }

    /** SPC-5 §4.5.6 Table 52: the sense key names, for labels. */
    public static String senseKeyName(int key) {
        return SENSE_KEY_NAMES[key & (SENSE_KEYS - 1)];
    }
}
