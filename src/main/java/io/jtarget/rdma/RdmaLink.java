package io.jtarget.rdma;

import java.net.InetSocketAddress;

/**
 * What a fabric's channel uses of its {@link RdmaConnection} while it is served: the connection's
 * state, its send queue (free slots, the {@link SendChain} to fill and post) and the way out. The
 * connection is the one implementation in production; a protocol test gives the channel a fake
 * that records the work requests posted and completes them when the test says. Every method on
 * the connection's loop, as the connection's own.
 */
public interface RdmaLink {
    /** Where the connection is in its life (CONNECTING → LIVE → DISCONNECTING → DRAINING → RELEASED). */
    RdmaConnection.State state();

    /** Send work requests that may still be posted now. */
    int sendSlotsFree();

    /** The link's reusable builder of chained send work requests, emptied. */
    SendChain chain();

    /** Starts the way out (idempotent): the handler hears {@code onDisconnecting}, then the drain, then {@code onReleased}. */
    void disconnect(String why);

    /** The peer's address (for logs). */
    InetSocketAddress remoteAddress();
}
