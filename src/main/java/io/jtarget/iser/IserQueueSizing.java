package io.jtarget.iser;

import io.jtarget.iscsi.pdu.Bhs;

/**
 * How many work requests and registered buffers one iSER connection needs, derived once from the
 * command window and the portal's iSER limits so that nothing is allocated per I/O.
 *
 * <p>Receives: the initiator may have one command PDU in flight for every CmdSN of the window
 * (RFC 7143 §4.2.2.1) plus the PDUs outside the window it may send at any time (immediate NOP-Out,
 * TMF, Logout, Text: MaxOutstandingUnexpectedPDUs, RFC 7145 §6.7). Each needs a receive posted
 * before it arrives, or the RDMA layer answers receiver-not-ready and the initiator retries. A
 * receive buffer holds the iSER header, a BHS, the largest AHS (255 words) and the largest data
 * segment the target declared (TargetRecvDataSegmentLength, §6.4) with its padding.
 *
 * <p>Sends: each command gets one response, and the target itself may send unexpected PDUs
 * (NOP-In, Async Message, Reject). Each command costs at most one RDMA Read or Write chain and one
 * Send on the send queue.
 *
 * @param receiveBuffers receive work requests kept posted
 * @param receiveBufferBytes bytes of one receive buffer
 * @param sendBuffers control-PDU send buffers
 * @param sendBufferBytes bytes of one send buffer (iSER header, BHS, InitiatorRecvDataSegmentLength)
 * @param sendQueueDepth send work requests outstanding at most (the send credits)
 */
public record IserQueueSizing(
        int receiveBuffers,
        int receiveBufferBytes,
        int sendBuffers,
        int sendBufferBytes,
        int sendQueueDepth) {

    static final int MAX_AHS_BYTES = 255 * 4;
    /** Buffers are laid out on cache-line boundaries. */
    static final int ALIGNMENT = 64;
    /** RDMA operations one command may chain: one per registered region of its data buffer. */
    static final int RDMA_OPERATIONS_PER_COMMAND = 2;

    /**
     * @param commandWindow commands the CmdSN window admits at once (MaxCmdSN - ExpCmdSN + 1)
     * @param limits the portal's iSER limits
     */
    public static IserQueueSizing of(int commandWindow, IserLimits limits) {
        if (commandWindow < 1) {
            throw new IllegalArgumentException("command window below 1: " + commandWindow);
        }
        int unexpected = limits.maxOutstandingUnexpectedPdus();
        int receives = commandWindow + unexpected;
        int receiveBytes = align(IserHeader.LENGTH + Bhs.LENGTH + MAX_AHS_BYTES
                + pad4(limits.targetRecvDataSegmentLength()));
        int sends = commandWindow + unexpected;
        int sendBytes = align(IserHeader.LENGTH + Bhs.LENGTH + pad4(limits.initiatorRecvDataSegmentLength()));
        int sendQueue = commandWindow * (1 + RDMA_OPERATIONS_PER_COMMAND) + unexpected;
        return new IserQueueSizing(receives, receiveBytes, sends, sendBytes, sendQueue);
    }

    /** Registered bytes this connection keeps for control PDUs. */
    public long controlBufferBytes() {
        return (long) receiveBuffers * receiveBufferBytes + (long) sendBuffers * sendBufferBytes;
    }

    private static int pad4(int length) {
        return (length + 3) & ~3;
    }

    private static int align(int length) {
        return (length + ALIGNMENT - 1) & ~(ALIGNMENT - 1);
    }
}
