package io.jtarget.iser;

import io.jtarget.iscsi.login.KeyRegistry;

/**
 * The target's own values of what an iSER connection negotiates beyond RFC 7143 (RFC 7145 §6),
 * and so the size of the buffers it registers for control-type PDUs.
 *
 * @param targetRecvDataSegmentLength the most data the target accepts in one control-type PDU
 *     (immediate data, text, NOP-Out): the size of its posted receive buffers; the initiator's
 *     offer is answered with the minimum (§6.4)
 * @param initiatorRecvDataSegmentLength the most data the target is prepared to put in one
 *     control-type PDU it sends (its send buffers); answered with the minimum (§6.5)
 * @param maxOutstandingUnexpectedPdus how many PDUs outside the command window (immediate NOP-Out,
 *     TMF, Logout, Text) the target has receive buffers for; answered with the minimum, 0 meaning
 *     "no limit" on the initiator's side (§6.7)
 */
public record IserLimits(
        int targetRecvDataSegmentLength,
        int initiatorRecvDataSegmentLength,
        int maxOutstandingUnexpectedPdus) {

    public IserLimits {
        if (targetRecvDataSegmentLength < KeyRegistry.MIN_DATA_LENGTH
                || targetRecvDataSegmentLength > KeyRegistry.MAX_DATA_LENGTH) {
            throw new IllegalArgumentException("targetRecvDataSegmentLength out of range: " + targetRecvDataSegmentLength);
        }
        if (initiatorRecvDataSegmentLength < KeyRegistry.MIN_DATA_LENGTH
                || initiatorRecvDataSegmentLength > KeyRegistry.MAX_DATA_LENGTH) {
            throw new IllegalArgumentException(
                    "initiatorRecvDataSegmentLength out of range: " + initiatorRecvDataSegmentLength);
        }
        if (maxOutstandingUnexpectedPdus < 2) {
            // §6.7: a limit is at least 2; the target always has one.
            throw new IllegalArgumentException("maxOutstandingUnexpectedPdus below 2: " + maxOutstandingUnexpectedPdus);
        }
    }
}
