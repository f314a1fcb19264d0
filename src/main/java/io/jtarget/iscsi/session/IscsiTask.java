package io.jtarget.iscsi.session;

import io.jtarget.iscsi.transport.TransferTask;
import io.jtarget.scsi.ScsiCommand;
import io.jtarget.scsi.ScsiResponse;
import io.jtarget.scsi.TaskAttribute;
import io.netty.buffer.ByteBuf;

/**
 * One SCSI task as the iSCSI connection sees it (RFC 7143 §3.2.2): from the SCSI Command PDU,
 * through Data-Out collection (immediate and unsolicited data here, the solicited rest through
 * the transport's fetch), to the core and back to Data-In and status. Owned by the connection's
 * event loop.
 */
final class IscsiTask implements TransferTask {

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
    /** The core's answer on its way back to the loop. */
    ScsiResponse response;

    // Data-Out collection (§11.7, §11.8): bytes land at their buffer offset in dataOut.
    ByteBuf dataOut;
    /** Bytes we will accept into dataOut (min of EDTL and the transfer limit). */
    int bufferLength;
    int received;
    /** Offsets below this are sent unsolicited (immediate + unsolicited Data-Out). */
    int unsolicitedEnd;
    /** Whether the initiator still owes unsolicited Data-Out (F bit clear on the command). */
    boolean unsolicitedPending;
    /** Data-SN expected in the current unsolicited sequence (§11.7.5). */
    int unsolicitedDataSn;
    /** The transport is fetching the solicited part, {@link #solicitedLength} bytes (R2Ts / RDMA Read). */
    boolean solicitedPending;
    int solicitedLength;
    /** A Data-Out of this task failed its data digest (RFC 7143 §7.8): it ends with CHECK CONDITION. */
    boolean digestFailed;
    private Object transportState;

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

    @Override
    public int itt() {
        return itt;
    }

    @Override
    public long lunField() {
        return lunField;
    }

    @Override
    public int expectedLength() {
        return expectedLength;
    }

    @Override
    public ByteBuf dataOutBuffer() {
        return dataOut;
    }

    @Override
    public int bufferLength() {
        return bufferLength;
    }

    @Override
    public void dataDigestFailed() {
        digestFailed = true;
    }

    @Override
    public Object transportState() {
        return transportState;
    }

    @Override
    public void transportState(Object state) {
        this.transportState = state;
    }

    boolean writesData() {
        return direction == ScsiCommand.DataDirection.WRITE || direction == ScsiCommand.DataDirection.BIDIRECTIONAL;
    }

    boolean allDataReceived() {
        return !unsolicitedPending && !solicitedPending && received >= bufferLength;
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
