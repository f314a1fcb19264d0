package io.jtarget.scsi;

import java.util.List;
import java.util.function.Consumer;

/**
 * The fabric-independent SCSI target: the LUN map of one target and the command pipeline
 * (unit attention → reservations → execute) in front of each logical unit. Fabrics (iSCSI
 * today, others later) talk to it only through this class and the callbacks they pass.
 *
 * <p>Thread-safety: every method may be called from any fabric thread (each connection's
 * event loop); completions may run on any thread.
 */
public final class ScsiTargetCore implements AutoCloseable {

    // SKELETON: the SCSI emulation work fills this in; the signatures are the contract.

    public ScsiTargetCore(String targetName, List<LogicalUnit> logicalUnits) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Execute one command; {@code done} is called exactly once. */
    public void submit(ScsiCommand command, ScsiCompletion done) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Run a task management function. {@code done} is called once every task it affects has
     * been aborted (their completions have been delivered with {@code aborted=true} or
     * {@code TASK ABORTED} status), so the fabric can answer the TMF after them.
     */
    public void taskManagement(TaskManagementRequest request, Consumer<TaskManagementResponse> done) {
        throw new UnsupportedOperationException("not yet");
    }

    /** A new I_T nexus exists (iSCSI: a session reached full feature phase). */
    public void nexusEstablished(ItNexus nexus) {
        throw new UnsupportedOperationException("not yet");
    }

    /** The I_T nexus is gone (session closed or reinstated): abort its tasks (SAM-5 §6.3.4 I_T nexus loss). */
    public void nexusLost(ItNexus nexus) {
        throw new UnsupportedOperationException("not yet");
    }

    public List<LogicalUnit> logicalUnits() {
        throw new UnsupportedOperationException("not yet");
    }

    /** Flush and close every logical unit's backing store. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("not yet");
    }
}
