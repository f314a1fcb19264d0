package io.jtarget.iscsi.transport;

import io.netty.buffer.ByteBuf;

/**
 * A SCSI task as a transport moves its data: the identifiers its PDUs or RDMA operations carry,
 * the Data-Out buffer, and one slot for the transport's own per-task state (TCP: its R2Ts).
 */
public interface TransferTask {
    int itt();

    /** The LUN field of the command PDU, echoed in R2T and Data-In. */
    long lunField();

    /** Expected Data Transfer Length of the command (unsigned). */
    int expectedLength();

    /** Where Data-Out lands, at its buffer offset; {@link #bufferLength()} bytes, from the data allocator. */
    ByteBuf dataOutBuffer();

    /** Bytes of Data-Out the buffer accepts: EDTL, bounded by the largest transfer. */
    int bufferLength();

    /** A Data-Out PDU of this task failed its data digest (RFC 7143 §7.8): it will end with CHECK CONDITION. */
    void dataDigestFailed();

    /** The transport's own state for this task, or null. */
    Object transportState();

    void transportState(Object state);
}
