package io.jtarget.scsi;

import io.jtarget.backstore.StoreException;

/**
 * Why a command did not end with GOOD status. Emulation code returns a reason; this enum is the
 * one table that maps it to sense key / additional sense code / qualifier (SPC-5 §4.5.6, Annex F.2).
 */
enum SenseReason {
    NO_SENSE(SenseKey.NO_SENSE, 0x00, 0x00),
    /** SBC-4 §4.20.3: stopped power condition; a START STOP UNIT with START=1 is required. */
    NOT_READY_INITIALIZING_COMMAND_REQUIRED(SenseKey.NOT_READY, 0x04, 0x02),
    MEDIUM_NOT_PRESENT(SenseKey.NOT_READY, 0x3A, 0x00),
    /** SBC-4 §4.11.3: medium access while a SANITIZE runs. */
    NOT_READY_SANITIZE_IN_PROGRESS(SenseKey.NOT_READY, 0x04, 0x1B),
    /** SBC-4 §4.11: a sanitize failed; medium access fails until the failure is exited. */
    SANITIZE_COMMAND_FAILED(SenseKey.MEDIUM_ERROR, 0x31, 0x03),
    UNRECOVERED_READ_ERROR(SenseKey.MEDIUM_ERROR, 0x11, 0x00),
    WRITE_ERROR(SenseKey.MEDIUM_ERROR, 0x0C, 0x00),
    INTERNAL_TARGET_FAILURE(SenseKey.HARDWARE_ERROR, 0x44, 0x00),
    // Backing-store failures that are not the medium's (StoreException.Kind). ABORTED COMMAND and NOT READY,
    // BECOMING READY are what initiators retry (Linux scsi_io_completion: ACTION_RETRY / ACTION_DELAYED_RETRY).
    /** SPC-5 Annex F.2: the store behind the LU cannot be reached. */
    LOGICAL_UNIT_COMMUNICATION_FAILURE(SenseKey.ABORTED_COMMAND, 0x08, 0x00),
    /** The store did not answer within the I/O deadline. */
    LOGICAL_UNIT_COMMUNICATION_TIME_OUT(SenseKey.ABORTED_COMMAND, 0x08, 0x01),
    /** The gateway was fenced (blocklisted) and is reconnecting: the LU is on its way back. */
    NOT_READY_BECOMING_READY(SenseKey.NOT_READY, 0x04, 0x01),
    /** SBC-4 §4.7.3.7: a thin LU ran out of space for a write. */
    SPACE_ALLOCATION_FAILED_WRITE_PROTECT(SenseKey.DATA_PROTECT, 0x27, 0x07),
    PARAMETER_LIST_LENGTH_ERROR(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00),
    INVALID_COMMAND_OPERATION_CODE(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00),
    LBA_OUT_OF_RANGE(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00),
    INVALID_FIELD_IN_CDB(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00),
    LOGICAL_UNIT_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00),
    INVALID_FIELD_IN_PARAMETER_LIST(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00),
    SAVING_PARAMETERS_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x39, 0x00),
    MEDIUM_REMOVAL_PREVENTED(SenseKey.ILLEGAL_REQUEST, 0x53, 0x02),
    POWER_ON_RESET_OR_BUS_DEVICE_RESET(SenseKey.UNIT_ATTENTION, 0x29, 0x00),
    BUS_DEVICE_RESET_FUNCTION_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x03),
    I_T_NEXUS_LOSS_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x07),
    MODE_PARAMETERS_CHANGED(SenseKey.UNIT_ATTENTION, 0x2A, 0x01),
    /** SBC-4 §4.6: the block count changed (the store was resized). */
    CAPACITY_DATA_HAS_CHANGED(SenseKey.UNIT_ATTENTION, 0x2A, 0x09),
    /** SPC-5 §5.14.11.4: another I_T nexus preempted or cleared this nexus' reservation/registration. */
    RESERVATIONS_PREEMPTED(SenseKey.UNIT_ATTENTION, 0x2A, 0x03),
    RESERVATIONS_RELEASED(SenseKey.UNIT_ATTENTION, 0x2A, 0x04),
    REGISTRATIONS_PREEMPTED(SenseKey.UNIT_ATTENTION, 0x2A, 0x05),
    /** SPC-5 §6.17.3: RELEASE naming a TYPE or SCOPE other than the held reservation's. */
    INVALID_RELEASE_OF_PERSISTENT_RESERVATION(SenseKey.ILLEGAL_REQUEST, 0x26, 0x04),
    COMMANDS_CLEARED_BY_ANOTHER_INITIATOR(SenseKey.UNIT_ATTENTION, 0x2F, 0x00),
    /** SAM-5 §5.10: a new command reused the tag of a task still in flight on the same nexus. */
    OVERLAPPED_COMMANDS_ATTEMPTED(SenseKey.ABORTED_COMMAND, 0x4E, 0x00),
    // Transport (fabric) errors that end a task, RFC 7143 §11.4.7.2 and SPC-5 Table F.2.
    UNEXPECTED_UNSOLICITED_DATA(SenseKey.ABORTED_COMMAND, 0x0C, 0x0C),
    NOT_ENOUGH_UNSOLICITED_DATA(SenseKey.ABORTED_COMMAND, 0x0C, 0x0D),
    PROTOCOL_SERVICE_CRC_ERROR(SenseKey.ABORTED_COMMAND, 0x47, 0x05),
    DATA_PHASE_ERROR(SenseKey.ABORTED_COMMAND, 0x4B, 0x00),
    TOO_MUCH_WRITE_DATA(SenseKey.ABORTED_COMMAND, 0x4B, 0x02),
    DATA_OFFSET_ERROR(SenseKey.ABORTED_COMMAND, 0x4B, 0x05),
    WRITE_PROTECTED(SenseKey.DATA_PROTECT, 0x27, 0x00),
    // EXTENDED COPY parameter list errors (SPC-4 §6.4.3, Annex D).
    TOO_MANY_TARGET_DESCRIPTORS(SenseKey.ILLEGAL_REQUEST, 0x26, 0x06),
    UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE(SenseKey.ILLEGAL_REQUEST, 0x26, 0x07),
    TOO_MANY_SEGMENT_DESCRIPTORS(SenseKey.ILLEGAL_REQUEST, 0x26, 0x08),
    UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE(SenseKey.ILLEGAL_REQUEST, 0x26, 0x09),
    /** SPC-4 §6.4.5: a CSCD descriptor names a logical unit the copy manager cannot reach. */
    COPY_TARGET_DEVICE_NOT_REACHABLE(SenseKey.COPY_ABORTED, 0x08, 0x04),
    /** SPC-4 Annex D: the segment reads past the end of the source (COPY TARGET DEVICE DATA UNDERRUN). */
    COPY_TARGET_DEVICE_DATA_UNDERRUN(SenseKey.COPY_ABORTED, 0x0D, 0x03),
    /** The segment writes past the end of the destination (COPY TARGET DEVICE DATA OVERRUN). */
    COPY_TARGET_DEVICE_DATA_OVERRUN(SenseKey.COPY_ABORTED, 0x0D, 0x02),
    COPY_ABORTED_READ_ERROR(SenseKey.COPY_ABORTED, 0x11, 0x00),
    COPY_ABORTED_WRITE_ERROR(SenseKey.COPY_ABORTED, 0x0C, 0x00),
    MISCOMPARE_DURING_VERIFY(SenseKey.MISCOMPARE, 0x1D, 0x00);

    final int senseKey;
    final int asc;
    final int ascq;

    SenseReason(int senseKey, int asc, int ascq) {
        this.senseKey = senseKey;
        this.asc = asc;
        this.ascq = ascq;
    }

    /**
     * The sense of a failed medium access: a typed store failure ({@link StoreException.Kind}) has its own;
     * anything else is the medium's, {@code mediumReason} (UNRECOVERED READ ERROR or WRITE ERROR).
     */
    static SenseReason forStoreFailure(Throwable error, SenseReason mediumReason) {
        return switch (StoreException.kindOf(error)) {
            case TIMEOUT -> LOGICAL_UNIT_COMMUNICATION_TIME_OUT;
            case UNAVAILABLE -> LOGICAL_UNIT_COMMUNICATION_FAILURE;
            case FENCED -> NOT_READY_BECOMING_READY;
            case NO_SPACE -> SPACE_ALLOCATION_FAILED_WRITE_PROTECT;
            case READ_ONLY -> WRITE_PROTECTED;
            case MEDIUM -> mediumReason;
        };
    }

    /** The 29h "reset class" unit attentions supersede each other (SPC-5 §5.14). */
    boolean isResetClass() {
        return senseKey == SenseKey.UNIT_ATTENTION && asc == 0x29;
    }
}
