package io.jtarget.iscsi.login;

/**
 * What an iSER portal negotiates beyond RFC 7143 (RFC 7145 §6). Present in {@link LoginSettings}
 * only for a portal reached over RDMA: there the target answers RDMAExtensions=Yes and a normal
 * session must agree to it, because a reliable-connected queue pair has no TCP streaming mode to
 * fall back to.
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
public record IserLoginLimits(
        int targetRecvDataSegmentLength,
        int initiatorRecvDataSegmentLength,
        int maxOutstandingUnexpectedPdus) {

    public IserLoginLimits {
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
