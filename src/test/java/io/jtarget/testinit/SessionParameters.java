package io.jtarget.testinit;

import java.util.List;
import java.util.Map;

/**
 * The outcome of login negotiation (RFC 7143 §13) as this initiator computed it from its offers
 * and the target's answers.
 *
 * @param initiatorMaxRecvDataSegmentLength what we declared: the largest data segment the target may send us
 * @param targetMaxRecvDataSegmentLength what the target declared (8192 when it did not): our limit for
 *     immediate data and Data-Out
 * @param targetKeys every key the target sent during login, in order
 */
public record SessionParameters(
        boolean headerDigest,
        boolean dataDigest,
        boolean initialR2T,
        boolean immediateData,
        int maxBurstLength,
        int firstBurstLength,
        int maxOutstandingR2T,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        int errorRecoveryLevel,
        int maxConnections,
        int defaultTime2Wait,
        int defaultTime2Retain,
        int initiatorMaxRecvDataSegmentLength,
        int targetMaxRecvDataSegmentLength,
        Map<String, List<String>> targetKeys) {

    /** Unsolicited data (immediate plus unsolicited Data-Out) allowed for one command (RFC 7143 §13.14). */
    public int unsolicitedLimit() {
        if (initialR2T && !immediateData) {
            return 0;
        }
        return firstBurstLength;
    }
}
