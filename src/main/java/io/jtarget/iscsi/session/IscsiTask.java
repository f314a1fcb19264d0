package io.jtarget.iscsi.session;

import io.jtarget.scsi.ScsiCommand;
import io.jtarget.scsi.TaskAttribute;
import io.netty.buffer.ByteBuf;

/**
 * One SCSI task as the iSCSI connection sees it (RFC 7143 §3.2.2): from the SCSI Command PDU,
 * through Data-Out collection and R2Ts, to the core and back to Data-In and status. Owned by
 * the connection's event loop.
 */
final class IscsiTask {

    enum State {
        /** Waiting for immediate, unsolicited or solicited Data-Out. */
        RECEIVING_DATA,
        /** Submitted to the SCSI core; waiting for its completion. */
        EXECUTING,
        /** Aborted before it reached the core (task management or session end). */
        ABORTED,
        DONE
    }

    final int itt;
    final int cmdSn;
    final boolean immediate;
    final int lun;
    final long lunField;
    final byte[] cdb;
    final TaskAttribute attribute;
    final ScsiCommand.DataDirection direction;
    final int expectedLength;
    State state = State.RECEIVING_DATA;
    /** The core's answer while it waits in the connection's completion queue. */
    io.jtarget.scsi.ScsiResponse response;

    // Data-Out collection (§11.7, §11.8): bytes land at their buffer offset in dataOut.
    ByteBuf dataOut;
    /** Bytes we will accept into dataOut (min of EDTL and the transfer limit). */
    int bufferLength;
    int received;
    /** Offsets below this are sent unsolicited (immediate + unsolicited Data-Out). */
    int unsolicitedEnd;
    /** Whether the initiator still owes unsolicited Data-Out (F bit clear on the command). */
    boolean unsolicitedPending;
    /** A Data-Out of this task failed its data digest (RFC 7143 §7.8): it ends with CHECK CONDITION. */
    boolean dataDigestFailed;
    /** Next offset to solicit with an R2T. */
    int nextR2tOffset;
    int nextR2tSn;
    int outstandingR2ts;
    /** Data-SN expected in the current unsolicited sequence (§11.7.5). */
    int unsolicitedDataSn;
    /** Outstanding R2Ts of this task by Target Transfer Tag; null until the first R2T (most tasks never have one). */
    private java.util.Map<Integer, Solicitation> solicitations;

    IscsiTask(int itt, int cmdSn, boolean immediate, int lun, long lunField, byte[] cdb,
            TaskAttribute attribute, ScsiCommand.DataDirection direction, int expectedLength) {
        this.itt = itt;
        this.cmdSn = cmdSn;
        this.immediate = immediate;
        this.lun = lun;
        this.lunField = lunField;
        this.cdb = cdb;
        this.attribute = attribute;
        this.direction = direction;
        this.expectedLength = expectedLength;
    }

    void solicit(int ttt, Solicitation solicitation) {
        if (solicitations == null) {
            solicitations = new java.util.HashMap<>(4);
        }
        solicitations.put(ttt, solicitation);
    }

    /** The outstanding R2T with this Target Transfer Tag, or null. */
    Solicitation solicitation(int ttt) {
        return solicitations == null ? null : solicitations.get(ttt);
    }

    void answered(int ttt) {
        if (solicitations != null) {
            solicitations.remove(ttt);
        }
    }

    /** Forgets every outstanding R2T, telling {@code forget} each Target Transfer Tag. */
    void clearSolicitations(java.util.function.IntConsumer forget) {
        if (solicitations == null || solicitations.isEmpty()) {
            return;
        }
        for (Integer ttt : solicitations.keySet()) {
            forget.accept(ttt);
        }
        solicitations.clear();
    }

    /** One R2T the initiator is answering (§11.8): the range it asked for and how much arrived. */
    static final class Solicitation {
        final int r2tSn;
        final int offset;
        final int length;
        int received;
        int nextDataSn;

        Solicitation(int r2tSn, int offset, int length) {
            this.r2tSn = r2tSn;
            this.offset = offset;
            this.length = length;
        }
    }

    boolean writesData() {
        return direction == ScsiCommand.DataDirection.WRITE || direction == ScsiCommand.DataDirection.BIDIRECTIONAL;
    }

    boolean allDataReceived() {
        return received >= bufferLength && !unsolicitedPending && outstandingR2ts == 0 && nextR2tOffset >= bufferLength;
    }

    /** The budget this task's Data-Out buffer ({@link #bufferLength} bytes) is counted in, until {@link #releaseData}. */
    private DataOutBudget budget;

    /** Counts the Data-Out buffer ({@link #bufferLength} bytes) in {@code budget} if it fits there. */
    boolean reserveData(DataOutBudget budget) {
        if (!budget.tryReserve(bufferLength)) {
            return false;
        }
        this.budget = budget;
        return true;
    }

    void releaseData() {
        if (dataOut != null) {
            dataOut.release();
            dataOut = null;
        }
        if (budget != null) {
            budget.release(bufferLength);
            budget = null;
        }
    }
}
