package io.jtarget.iscsi.session;

/**
 * The negotiated values the full feature phase runs by (RFC 7143 §13), as one immutable view.
 *
 * @param maxSendDataSegment the initiator's MaxRecvDataSegmentLength: largest data segment we send
 * @param maxRecvDataSegment our MaxRecvDataSegmentLength: largest data segment we accept
 * @param maxBurstLength largest solicited Data-Out sequence and Data-In sequence (§13.13)
 * @param firstBurstLength largest amount of unsolicited data per command (§13.14)
 * @param initialR2T whether the initiator must wait for an R2T before sending non-immediate data
 * @param immediateData whether data may ride on the SCSI Command PDU
 * @param maxOutstandingR2T R2Ts per task that may be outstanding at once (§13.17)
 * @param headerDigest CRC32C on headers
 * @param dataDigest CRC32C on data segments
 */
public record TransferLimits(
        int maxSendDataSegment,
        int maxRecvDataSegment,
        int maxBurstLength,
        int firstBurstLength,
        boolean initialR2T,
        boolean immediateData,
        int maxOutstandingR2T,
        boolean headerDigest,
        boolean dataDigest) {
    public static TransferLimits from(io.jtarget.iscsi.login.NegotiatedParameters p) {
        return new TransferLimits(
                p.initiatorMaxRecvDataSegmentLength(),
                p.targetMaxRecvDataSegmentLength(),
                p.maxBurstLength(),
                p.firstBurstLength(),
                p.initialR2T(),
                p.immediateData(),
                p.maxOutstandingR2T(),
                p.headerDigest(),
                p.dataDigest());
    }
}
