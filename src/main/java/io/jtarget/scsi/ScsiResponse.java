package io.jtarget.scsi;

import io.netty.buffer.ByteBuf;

/**
 * The outcome of one command, handed from the core to the fabric.
 *
 * <p>{@code dataIn} (may be null) is owned by the fabric from here on: it sends up to the
 * expected transfer length of it and releases it. {@code dataIn.readableBytes()} is what the
 * command produced (for INQUIRY, the lesser of the allocation length and the data available);
 * the fabric derives the residual from it and the initiator's expected length.
 *
 * @param status SAM status byte, see {@link ScsiStatus}
 * @param sense sense data (already in the format the initiator asked for), or null
 * @param dataIn data for the initiator, or null
 * @param commandTransferLength bytes the CDB asked to transfer (for writes: what the command
 *     consumed from the initiator), used by the fabric for residual reporting (RFC 7143 §11.4.5)
 * @param aborted true when the task was aborted by task management and the fabric must not
 *     send any response for it (RFC 7143 §11.5.1)
 */
public record ScsiResponse(int status, byte[] sense, ByteBuf dataIn, int commandTransferLength, boolean aborted) {

    public static ScsiResponse good(ByteBuf dataIn, int commandTransferLength) {
        return new ScsiResponse(ScsiStatus.GOOD, null, dataIn, commandTransferLength, false);
    }

    public static ScsiResponse checkCondition(byte[] sense, int commandTransferLength) {
        return new ScsiResponse(ScsiStatus.CHECK_CONDITION, sense, null, commandTransferLength, false);
    }

    public static ScsiResponse abortedSilently() {
        return new ScsiResponse(ScsiStatus.TASK_ABORTED, null, null, 0, true);
    }
}
