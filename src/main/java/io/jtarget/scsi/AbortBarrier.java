package io.jtarget.scsi;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Aborts a group of tasks and runs {@code whenAllAborted} once every one of them has delivered its
 * aborted completion (a TMF response must follow the responses of the tasks it aborted, RFC 7143
 * §11.5.1 / SAM-5 §7.1). Call {@link #arm()} after the last {@link #abort}.
 */
final class AbortBarrier {
    private final AtomicInteger outstanding = new AtomicInteger(1);
    private final Runnable whenAllAborted;

    AbortBarrier(Runnable whenAllAborted) {
        this.whenAllAborted = whenAllAborted;
    }

    /** @return true if the task was still running and is now being aborted */
    boolean abort(ScsiTask task) {
        return abort(task, false);
    }

    /**
     * @param reportStatus end the task with TASK ABORTED status instead of silently (TAS=1 and the
     *     task belongs to another I_T nexus than the one that aborted it, SAM-5 §5.6)
     * @return true if the task was still running and is now being aborted
     */
    boolean abort(ScsiTask task, boolean reportStatus) {
        outstanding.incrementAndGet();
        if (task.abort(this::arrive, reportStatus)) {
            return true;
        }
        arrive();
        return false;
    }

    void arm() {
        arrive();
    }

    private void arrive() {
        if (outstanding.decrementAndGet() == 0) {
            whenAllAborted.run();
        }
    }
}
