package io.jtarget.iscsi.login;

import java.util.Map;
import java.util.Optional;

/**
 * The operational values in force once login completes (or after a Full Feature Phase text
 * renegotiation), RFC 7143 §13.
 *
 * @param headerDigest CRC32C on PDU headers (connection-only)
 * @param dataDigest CRC32C on data segments (connection-only)
 * @param initiatorMaxRecvDataSegmentLength the initiator's declared MaxRecvDataSegmentLength: the
 *     most data the target may put in one PDU it sends (connection-only; 8192 if never declared)
 * @param targetMaxRecvDataSegmentLength the target's declared value: the most data the initiator
 *     may send in one PDU (8192 if the target never got to declare it)
 * @param maxBurstLength most data in one solicited sequence or Data-In sequence
 * @param firstBurstLength most unsolicited data per command (immediate + unsolicited Data-Out);
 *     never above {@code maxBurstLength}
 * @param initialR2T if true, the initiator must wait for an R2T before sending non-immediate data
 * @param immediateData if true, data may accompany the SCSI Command PDU
 * @param maxOutstandingR2T R2Ts per task that may be outstanding at once
 * @param dataPduInOrder Data PDUs within a sequence arrive in increasing offset order
 * @param dataSequenceInOrder sequences are transferred in increasing offset order
 * @param errorRecoveryLevel 0, 1 or 2
 * @param maxConnections connections this session may have
 * @param defaultTime2Wait seconds to wait before reconnect/reassign after a logout or drop
 * @param defaultTime2Retain seconds state is kept after the wait
 * @param sessionType normal or discovery
 * @param initiatorName the InitiatorName
 * @param initiatorAlias the InitiatorAlias, if declared
 * @param targetName the TargetName of a normal session; empty for discovery
 * @param transportKeys the values in force of the keys the transport added ({@link TransportKeyRules}):
 *     negotiated results, the initiator's declarations, else the defaults; empty on TCP
 */
public record NegotiatedParameters(
        boolean headerDigest,
        boolean dataDigest,
        int initiatorMaxRecvDataSegmentLength,
        int targetMaxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        boolean initialR2T,
        boolean immediateData,
        int maxOutstandingR2T,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        int errorRecoveryLevel,
        int maxConnections,
        int defaultTime2Wait,
        int defaultTime2Retain,
        SessionType sessionType,
        String initiatorName,
        Optional<String> initiatorAlias,
        Optional<String> targetName,
        Map<String, String> transportKeys) {

    public NegotiatedParameters {
        transportKeys = Map.copyOf(transportKeys);
    }

    /** Unsolicited Data-Out PDUs may be sent (§13.10: InitialR2T=No). */
    public boolean unsolicitedDataAllowed() {
        return !initialR2T;
    }

    NegotiatedParameters withInitiatorMaxRecvDataSegmentLength(int value) {
        return new NegotiatedParameters(headerDigest, dataDigest, value, targetMaxRecvDataSegmentLength,
                maxBurstLength, firstBurstLength, initialR2T, immediateData, maxOutstandingR2T, dataPduInOrder,
                dataSequenceInOrder, errorRecoveryLevel, maxConnections, defaultTime2Wait, defaultTime2Retain,
                sessionType, initiatorName, initiatorAlias, targetName, transportKeys);
    }

    NegotiatedParameters withInitiatorAlias(String alias) {
        return new NegotiatedParameters(headerDigest, dataDigest, initiatorMaxRecvDataSegmentLength,
                targetMaxRecvDataSegmentLength, maxBurstLength, firstBurstLength, initialR2T, immediateData,
                maxOutstandingR2T, dataPduInOrder, dataSequenceInOrder, errorRecoveryLevel, maxConnections,
                defaultTime2Wait, defaultTime2Retain, sessionType, initiatorName, Optional.of(alias), targetName,
                transportKeys);
    }
}
