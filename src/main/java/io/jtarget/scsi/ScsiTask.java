package io.jtarget.scsi;

import io.jtarget.metrics.CommandKind;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One command in flight: its context and the exactly-once delivery of its completion.
 *
 * <p>States: RUNNING → DONE, or RUNNING → ABORTING → DONE. A task management function moves a
 * running task to ABORTING; the task still waits for its backend to finish (the backend owns the
 * buffers until then) and then delivers {@link ScsiResponse#abortedSilently()} instead of its real
 * result, releasing the real result's buffers, and only then runs the TMF's listeners. A task that
 * has not started (it waits in its task set) or whose work goes on without it ({@link
 * #detachOnAbort}) has nothing to wait for and ends at once. The monitor is this task's own: it is
 * only contended when an abort races the completion.
 */
final class ScsiTask {
    private static final Logger LOG = LoggerFactory.getLogger(ScsiTask.class);

    private enum State {
        RUNNING,
        ABORTING,
        DONE
    }

    private final ScsiCommand command;
    private final LogicalUnit lu;
    private final ScsiCompletion done;
    private State state = State.RUNNING; // guarded by this
    private List<Runnable> afterAbort; // guarded by this
    private boolean reportAbortedStatus; // guarded by this
    private boolean detached; // guarded by this
    private int commandTransferLength;
    /** Bytes a write command puts on the medium when that is not its Data-Out; -1: its Data-Out. */
    private long writtenToMedium = -1;
    /** When the LU's statistics saw the command start (0 when it addresses no LU). */
    private final long startNanos;
    /** Its place in the logical unit's task set; null before admission or when it never entered one. */
    volatile TaskSet.Entry taskSetEntry;

    ScsiTask(ScsiCommand command, LogicalUnit lu, ScsiCompletion done) {
        this.command = command;
        this.lu = lu;
        this.done = done;
        this.startNanos = lu == null ? 0 : lu.stats().started();
    }

    ScsiCommand command() {
        return command;
    }

    byte[] cdb() {
        return command.cdb();
    }

    /** The logical unit, or null when the command addresses a LUN that does not exist. */
    LogicalUnit lu() {
        return lu;
    }

    /** Bytes the CDB asks to transfer, for residual reporting; recorded once the CDB is parsed. */
    void commandTransferLength(long bytes) {
        this.commandTransferLength = (int) Math.min(bytes, Integer.MAX_VALUE);
    }

    int commandTransferLength() {
        return commandTransferLength;
    }

    /**
     * What a write command puts on the medium, for the written-bytes counter, where that differs
     * from its Data-Out: COMPARE AND WRITE writes half of it, WRITE SAME one block many times (or
     * nothing, when it deallocates).
     */
    void writtenToMedium(long bytes) {
        this.writtenToMedium = bytes;
    }

    void good() {
        complete(ScsiResponse.good(null, commandTransferLength));
    }

    /** GOOD with parameter data truncated to {@code allocationLength} (SPC-5 §4.2.5.6). */
    void goodWithData(byte[] data, int allocationLength) {
        commandTransferLength(allocationLength);
        int n = Math.min(data.length, allocationLength);
        if (n == 0) {
            complete(ScsiResponse.good(null, commandTransferLength));
            return;
        }
        ByteBuf buf = command.allocator().ioBuffer(n);
        buf.writeBytes(data, 0, n);
        complete(ScsiResponse.good(buf, commandTransferLength));
    }

    void fail(SenseReason reason) {
        fail(reason, SenseData.NO_INFORMATION);
    }

    void fail(SenseReason reason, long information) {
        boolean descriptor = lu != null && lu.modeParameters().descriptorSense();
        complete(ScsiResponse.checkCondition(SenseData.encode(reason, information, descriptor), commandTransferLength));
    }

    /** CHECK CONDITION pointing at the CDB field at fault (SPC-5 §4.4.2.2); {@code bit} -1 for a whole byte. */
    void failCdbField(SenseReason reason, int byteOffset, int bit) {
        boolean descriptor = lu != null && lu.modeParameters().descriptorSense();
        complete(ScsiResponse.checkCondition(SenseData.encodeCdbField(reason, byteOffset, bit, descriptor),
                commandTransferLength));
    }

    /**
     * The command's parameter list of {@code length} bytes (SPC-5 §4.2.5.5 PARAMETER LIST LENGTH), or
     * null once the task has failed with PARAMETER LIST LENGTH ERROR because less data arrived.
     */
    byte[] parameterList(long length) {
        ByteBuf out = command.dataOut();
        if (out == null || out.readableBytes() < length) {
            fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            return null;
        }
        byte[] list = new byte[(int) length];
        out.getBytes(out.readerIndex(), list);
        return list;
    }

    /** SAM-5 §5.3.1 RESERVATION CONFLICT status: no sense data. */
    void reservationConflict() {
        complete(new ScsiResponse(ScsiStatus.RESERVATION_CONFLICT, null, null, commandTransferLength, false));
    }

    boolean isDone() {
        synchronized (this) {
            return state == State.DONE;
        }
    }

    boolean isRunning() {
        synchronized (this) {
            return state == State.RUNNING;
        }
    }

    /**
     * Deliver the command's outcome, exactly once. When the task was aborted meanwhile the outcome's
     * buffers are released and the fabric is told the task was aborted.
     */
    void complete(ScsiResponse response) {
        List<Runnable> listeners;
        boolean aborted;
        boolean reportStatus;
        synchronized (this) {
            reportStatus = reportAbortedStatus;
            if (state == State.DONE) {
                release(response);
                if (detached) {
                    return; // the detached work finished after its task was aborted: nobody waits
                }
                LOG.error("task {} on {} completed twice; second completion dropped", command.taskTag(), command.nexus());
                return;
            }
            aborted = state == State.ABORTING;
            state = State.DONE;
            listeners = afterAbort;
            afterAbort = null;
        }
        if (lu != null) {
            // Leave the task set before the fabric sees the response: a later ABORT TASK for this
            // tag must find nothing (the libiscsi AbortTaskSimpleAsync expectation).
            lu.taskSet().remove(this);
            count(response, aborted);
        }
        if (aborted) {
            release(response);
            done.complete(reportStatus
                    ? new ScsiResponse(ScsiStatus.TASK_ABORTED, null, null, 0, false)
                    : ScsiResponse.abortedSilently());
            for (Runnable listener : listeners) {
                listener.run();
            }
        } else {
            done.complete(response);
        }
    }

    /**
     * Abort this task (SAM-5 §7.1): if it is still running, {@code whenAborted} runs after its aborted
     * completion has been delivered and true is returned; if it already completed, false.
     *
     * @param reportStatus deliver TASK ABORTED status rather than abort silently (TAS=1, SAM-5 §5.6)
     */
    boolean abort(Runnable whenAborted, boolean reportStatus) {
        boolean now;
        synchronized (this) {
            if (state == State.DONE) {
                return false;
            }
            state = State.ABORTING;
            reportAbortedStatus |= reportStatus;
            if (afterAbort == null) {
                afterAbort = new ArrayList<>(1);
            }
            afterAbort.add(whenAborted);
            now = detached;
        }
        // A task taken out of the task set before it started will never run, so nothing else ends it.
        if (now || (lu != null && lu.taskSet().cancelWaiting(this))) {
            complete(ScsiResponse.abortedSilently());
        }
        return true;
    }

    /**
     * The work this task started goes on without it (SBC-4 §4.11: a sanitize operation continues
     * when its SANITIZE command is aborted, and across resets): an abort ends the task at once
     * instead of waiting for the work, whose later completion is then dropped.
     */
    void detachOnAbort() {
        synchronized (this) {
            detached = true;
        }
    }

    /** Counted before the response leaves: the fabric may release its buffers at once. */
    private void count(ScsiResponse response, boolean aborted) {
        int opcode = command.opcode();
        CommandKind kind = CommandKinds.of(opcode);
        long bytes = kind == CommandKind.READ
                ? (response.dataIn() == null ? 0 : response.dataIn().readableBytes())
                : writtenToMedium >= 0 ? writtenToMedium : response.commandTransferLength();
        lu.stats().ended(kind, startNanos, response.status(), SenseData.senseKey(response.sense()), bytes, aborted);
    }

    private static void release(ScsiResponse response) {
        if (response.dataIn() != null) {
            response.dataIn().release();
        }
    }
}
