package io.jtarget.scsi;

/**
 * Errors a fabric detects in a task's data transfer, which end that task with CHECK CONDITION
 * and ABORTED COMMAND (RFC 7143 §11.4.7.2; SPC-5 Annex F). The fabric answers them itself; the
 * sense comes from the same reason table as everything else.
 */
public enum TransportError {
    /** Data-Out out of DataSN order, or a solicited sequence ended short. */
    DATA_PHASE_ERROR(SenseReason.DATA_PHASE_ERROR),
    /** Data-Out outside the range the target solicited or expects. */
    DATA_OFFSET_ERROR(SenseReason.DATA_OFFSET_ERROR),
    /** More data than the expected data transfer length. */
    TOO_MUCH_WRITE_DATA(SenseReason.TOO_MUCH_WRITE_DATA),
    /** Unsolicited data the negotiated parameters do not allow. */
    UNEXPECTED_UNSOLICITED_DATA(SenseReason.UNEXPECTED_UNSOLICITED_DATA),
    /** The unsolicited sequence ended before FirstBurstLength or the expected length. */
    NOT_ENOUGH_UNSOLICITED_DATA(SenseReason.NOT_ENOUGH_UNSOLICITED_DATA),
    /** A data digest did not match. */
    PROTOCOL_SERVICE_CRC_ERROR(SenseReason.PROTOCOL_SERVICE_CRC_ERROR);

    private final SenseReason reason;

    TransportError(SenseReason reason) {
        this.reason = reason;
    }

    /** Fixed-format sense data (70h), which every initiator understands. */
    public byte[] sense() {
        return SenseData.encode(reason, false);
    }
}
