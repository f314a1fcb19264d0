package io.jtarget.testinit;

import io.jtarget.testinit.IscsiWire.ScsiStatus;

/**
 * How one SCSI command ended, with the iSCSI facts of its transfer so tests can assert on them
 * (how the write data travelled, how Data-In was split).
 *
 * @param response iSCSI response code (RFC 7143 §11.4.3), 0 when status came in a Data-In
 * @param status SCSI status
 * @param sense parsed sense data, null when none came
 * @param data the Data-In bytes received (reads), exactly as many as arrived
 * @param residualOverflow the O flag (§11.4.5)
 * @param residualUnderflow the U flag
 * @param residualCount the residual count
 * @param statusInDataIn status arrived in the final Data-In (S bit, §11.7.4)
 * @param dataInPdus how many Data-In PDUs carried data for this command
 * @param largestDataIn the largest Data-In data segment seen
 * @param immediateBytes write data sent inside the command PDU
 * @param unsolicitedBytes write data sent in unsolicited Data-Out PDUs
 * @param solicitedBytes write data sent in answer to R2Ts
 * @param r2ts how many R2Ts the target sent
 * @param largestR2t the largest Desired Data Transfer Length asked for in one R2T
 */
public record ScsiResult(
        int response,
        int status,
        SenseData sense,
        byte[] data,
        boolean residualOverflow,
        boolean residualUnderflow,
        int residualCount,
        boolean statusInDataIn,
        int dataInPdus,
        int largestDataIn,
        int immediateBytes,
        int unsolicitedBytes,
        int solicitedBytes,
        int r2ts,
        int largestR2t) {

    public boolean isGood() {
        return response == IscsiWire.ScsiResponse.RESPONSE_COMPLETED && status == ScsiStatus.GOOD;
    }

    public boolean isCheckCondition() {
        return status == ScsiStatus.CHECK_CONDITION;
    }

    /** Throws an AssertionError describing the failure unless the command completed with GOOD status. */
    public ScsiResult requireGood() {
        if (!isGood()) {
            throw new AssertionError("command did not complete with GOOD: " + this);
        }
        return this;
    }

    public int senseKey() {
        return sense == null ? -1 : sense.senseKey();
    }

    @Override
    public String toString() {
        return String.format("ScsiResult[response=0x%02x status=0x%02x%s data=%d bytes%s%s]",
                response, status, sense == null ? "" : " " + sense, data.length,
                residualOverflow ? " overflow " + residualCount : "",
                residualUnderflow ? " underflow " + residualCount : "");
    }
}
