package io.jtarget.rdma;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The active side: connects to a listening peer ({@code rdma_resolve_addr},
 * {@code rdma_resolve_route}, {@code rdma_connect} with private data). Its connections live on
 * the connector's channel loop. jtarget is a target; this side serves tests and tools (the
 * RDMA self-test, a future SRP or iSER test initiator).
 */
public final class RdmaConnector extends RdmaEndpoint {
    private static final int RESOLVE_TIMEOUT_MS = 2000;

    private RdmaConnector(RdmaNative n, CmChannel cm) {
        super(n, cm);
    }

    /** Opens a connector whose channel one loop of {@code loops} watches (not called on a loop). */
    public static RdmaConnector open(EventLoopGroup loops) throws RdmaException {
        RdmaNative n = nativesWithDevice();
        return new RdmaConnector(n, CmChannel.open(n, loops.next()));
    }

    @Override
    void stop() {}

    /**
     * Connects to {@code remote} with {@code privateData} (at most 56 bytes over IB/RoCE). The
     * stage completes when the connection is LIVE (after {@link RdmaConnection.Handler#onEstablished}),
     * or fails: {@link RdmaRejectedException} with the peer's reject private data, or an
     * {@link RdmaException} naming the step that failed.
     */
    public CompletionStage<RdmaConnection> connect(InetSocketAddress remote, RdmaConnectionConfig config,
            byte[] privateData, RdmaConnection.Handler handler) {
        CompletableFuture<RdmaConnection> result = new CompletableFuture<>();
        EventLoop loop = cm.loop();
        loop.execute(() -> new Attempt(remote, config, privateData, handler, result).start());
        return result;
    }

    /** One connect, step by step on the channel's loop. */
    private final class Attempt {
        private final InetSocketAddress remote;
        private final RdmaConnectionConfig config;
        private final byte[] privateData;
        private final RdmaConnection.Handler handler;
        private final CompletableFuture<RdmaConnection> result;
        private MemorySegment id;
        private RdmaConnection connection;

        Attempt(InetSocketAddress remote, RdmaConnectionConfig config, byte[] privateData,
                RdmaConnection.Handler handler, CompletableFuture<RdmaConnection> result) {
            this.remote = remote;
            this.config = config;
            this.privateData = privateData;
            this.handler = handler;
            this.result = result;
        }

        void start() {
            try {
                id = cm.createId(this::onEvent);
                try (Arena a = Arena.ofConfined()) {
                    int rc = (int) n.rdmaResolveAddr.invokeExact(n.state(), id, MemorySegment.NULL,
                            sockaddr(a, remote), RESOLVE_TIMEOUT_MS);
                    if (rc != 0) {
                        throw n.failure("rdma_resolve_addr(" + remote + ")");
                    }
                }
            } catch (Throwable t) {
                fail(t);
            }
        }

        private void onEvent(MemorySegment event, int type, int status) {
            try {
                switch (type) {
                    case CmChannel.ADDR_RESOLVED -> {
                        RdmaDevice device = deviceOf(id);
                        connection = new RdmaConnection(n, cm.loop(), cm, id, device, config, handler, totals);
                        connection.addresses(localOf(id), remoteOf(id));
                        track(connection);
                        connection.setUp();
                        int rc = (int) n.rdmaResolveRoute.invokeExact(n.state(), id, RESOLVE_TIMEOUT_MS);
                        if (rc != 0) {
                            throw n.failure("rdma_resolve_route(" + remote + ")");
                        }
                    }
                    case CmChannel.ROUTE_RESOLVED -> connection.connect(privateData);
                    case CmChannel.ESTABLISHED -> {
                        connection.peerPrivateData(CmChannel.privateData(event));
                        connection.onCmEvent(type, status, "ESTABLISHED");
                        if (connection.state() == RdmaConnection.State.LIVE) {
                            result.complete(connection);
                        } else {
                            result.completeExceptionally(new RdmaException("connection closed while established: "
                                    + connection.disconnectReason(), 0));
                        }
                    }
                    case CmChannel.REJECTED -> {
                        RdmaRejectedException e = new RdmaRejectedException(status, CmChannel.privateData(event));
                        result.completeExceptionally(e);
                        connection.onCmEvent(type, status, "REJECTED");
                    }
                    default -> {
                        if (connection != null) {
                            connection.onCmEvent(type, status, n.eventName(type));
                        }
                        if (!result.isDone()) {
                            fail(new RdmaException("connect to " + remote + ": " + n.eventName(type)
                                    + " (status " + status + ")", 0));
                        }
                    }
                }
            } catch (Throwable t) {
                fail(t);
            }
        }

        private void fail(Throwable t) {
            result.completeExceptionally(t instanceof RdmaException ? t : new RdmaException(String.valueOf(t), t));
            if (connection != null) {
                connection.disconnect("connect failed: " + t.getMessage());
            } else if (id != null) {
                MemorySegment dead = id;
                id = null;
                cm.destroyId(dead);
            }
        }
    }
}
