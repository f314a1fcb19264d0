package io.jtarget.rdma;

/**
 * The shape of one RC queue pair and its buffers.
 *
 * @param sendQueueDepth send work requests outstanding at once (SEND, RDMA Write, RDMA Read)
 * @param recvQueueDepth receive buffers posted at once: the peer's credits (iSER
 *     MaxOutstandingUnexpectedPDUs, SRP REQ_LIM)
 * @param recvBufferSize bytes of each receive buffer (the largest message the peer may SEND)
 * @param maxSge scatter/gather entries per send work request
 * @param maxInlineData bytes a SEND may carry inline (0: none)
 * @param responderResources RDMA Reads the peer may have outstanding against us (capped by its offer)
 * @param initiatorDepth RDMA Reads we may have outstanding against the peer (capped by its offer)
 * @param drainTimeoutMillis how long a drain waits for flushed completions before it destroys the
 *     queue pair anyway (destroying it stops the device touching our memory)
 */
public record RdmaConnectionConfig(int sendQueueDepth, int recvQueueDepth, int recvBufferSize, int maxSge,
        int maxInlineData, int responderResources, int initiatorDepth, long drainTimeoutMillis) {

    public RdmaConnectionConfig {
        if (sendQueueDepth < 2 || recvQueueDepth < 1 || recvBufferSize < 1 || maxSge < 1 || maxInlineData < 0
                || responderResources < 0 || responderResources > 255 || initiatorDepth < 0 || initiatorDepth > 255
                || drainTimeoutMillis < 1) {
            throw new IllegalArgumentException("bad RDMA connection config " + this);
        }
    }

    /** 128 sends, 32 receives of 8 KiB + 64, 8 SGEs, 16 RDMA Reads each way, 5 s drain. */
    public static RdmaConnectionConfig defaults() {
        return new RdmaConnectionConfig(128, 32, 8192 + 64, 8, 0, 16, 16, 5000);
    }

    public RdmaConnectionConfig withRecv(int depth, int bufferSize) {
        return new RdmaConnectionConfig(sendQueueDepth, depth, bufferSize, maxSge, maxInlineData,
                responderResources, initiatorDepth, drainTimeoutMillis);
    }

    public RdmaConnectionConfig withSendQueueDepth(int depth) {
        return new RdmaConnectionConfig(depth, recvQueueDepth, recvBufferSize, maxSge, maxInlineData,
                responderResources, initiatorDepth, drainTimeoutMillis);
    }
}
