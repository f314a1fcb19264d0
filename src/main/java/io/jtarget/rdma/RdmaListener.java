package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The passive side: an RDMA CM id bound to an address and listening ({@code rdma_bind_addr},
 * {@code rdma_listen}), its event channel watched by one loop of the group. Each connect request
 * is handed to the {@link Acceptor} on the loop the new connection will live on (the group's
 * {@code next()}), where it is accepted or rejected with private data (iSER's hello, SRP's
 * login response or reject).
 */
public final class RdmaListener extends RdmaEndpoint {
    private static final Logger log = LoggerFactory.getLogger(RdmaListener.class);
    private static final int BACKLOG = 128;

    /** Decides on connect requests; called on the request's loop. */
    @FunctionalInterface
    public interface Acceptor {
        /**
         * Must {@link ConnectRequest#accept} or {@link ConnectRequest#reject} before returning
         * (a request left undecided is rejected without private data).
         */
        void onConnectRequest(ConnectRequest request);
    }

    private final EventLoopGroup loops;
    private final Acceptor acceptor;
    private MemorySegment listenId;
    private InetSocketAddress localAddress;
    private volatile RdmaDevice boundDevice;
    private volatile boolean stopped;

    private RdmaListener(RdmaNative n, CmChannel cm, EventLoopGroup loops, Acceptor acceptor) {
        super(n, cm);
        this.loops = loops;
        this.acceptor = acceptor;
    }

    /**
     * Listens on {@code address} (port 0: any free port). Blocks until listening; call it from a
     * thread that is not one of the group's loops.
     *
     * @throws RdmaUnavailableException rdma-core is missing, there is no RDMA device, or none
     *     serves {@code address}: the message is the one line to show the operator
     */
    public static RdmaListener open(InetSocketAddress address, EventLoopGroup loops, Acceptor acceptor)
            throws RdmaException {
        RdmaNative n = nativesWithDevice();
        CmChannel cm = CmChannel.open(n, loops.next());
        RdmaListener listener = new RdmaListener(n, cm, loops, acceptor);
        CompletableFuture<Void> bound = new CompletableFuture<>();
        cm.loop().execute(() -> {
            try {
                listener.bindAndListen(address);
                bound.complete(null);
            } catch (RdmaException | RuntimeException e) {
                bound.completeExceptionally(e);
            }
        });
        try {
            CmChannel.await(bound);
        } catch (RdmaException e) {
            cm.close();
            throw e;
        }
        return listener;
    }

    private void bindAndListen(InetSocketAddress address) throws RdmaException {
        listenId = cm.createId(this::onListenEvent);
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) n.rdmaBindAddr.invokeExact(n.state(), listenId, sockaddr(a, address));
            if (rc != 0) {
                int errno = n.lastErrno();
                if (errno == RdmaNative.EADDRNOTAVAIL || errno == RdmaNative.ENODEV) {
                    throw RdmaUnavailableException.noDeviceFor(address.getAddress().getHostAddress(),
                            n.failure("rdma_bind_addr", errno).getMessage());
                }
                throw n.failure("rdma_bind_addr(" + address + ")", errno);
            }
            rc = (int) n.rdmaListen.invokeExact(n.state(), listenId, BACKLOG);
            if (rc != 0) {
                throw n.failure("rdma_listen(" + address + ")");
            }
        } catch (RdmaException | RuntimeException e) {
            cm.destroyId(listenId);
            listenId = null;
            throw e;
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        localAddress = localOf(listenId);
        MemorySegment id = listenId.reinterpret(Structs.CM_ID_DST_ADDR + 128);
        if (!id.get(ADDRESS, Structs.CM_ID_VERBS).equals(MemorySegment.NULL)) {
            // Bound to one device's address: fabrics can register their pools before the first request.
            boundDevice = deviceOf(id);
        }
        log.debug("RDMA listening on {}", localAddress);
    }

    /**
     * The device a listener bound to a specific address serves, so a fabric can register its
     * memory before the first connect request (an initiator's CM timeouts do not wait for that);
     * empty for a wildcard address, whose requests may come from any device.
     */
    public Optional<RdmaDevice> boundDevice() {
        return Optional.ofNullable(boundDevice);
    }

    /** The bound address (with the real port when 0 was asked). */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    void stop() {
        stopped = true;
        if (listenId != null) {
            cm.destroyId(listenId);
            listenId = null;
        }
    }

    private void onListenEvent(MemorySegment event, int type, int status) {
        if (type == CmChannel.DEVICE_REMOVAL) {
            log.error("RDMA device of {} removed: the listener takes no more connections", localAddress);
            return;
        }
        if (type != CmChannel.CONNECT_REQUEST) {
            log.debug("RDMA listener event {}", n.eventName(type));
            return;
        }
        MemorySegment id = event.get(ADDRESS, Structs.CM_EVENT_ID).reinterpret(Structs.CM_ID_DST_ADDR + 128);
        long conn = Structs.CM_EVENT_PARAM_CONN;
        byte[] privateData = CmChannel.privateData(event);
        int responderResources = event.get(JAVA_BYTE, conn + Structs.offset(Structs.RDMA_CONN_PARAM,
                "responder_resources")) & 0xff;
        int initiatorDepth = event.get(JAVA_BYTE, conn + Structs.offset(Structs.RDMA_CONN_PARAM,
                "initiator_depth")) & 0xff;
        RdmaDevice device;
        try {
            device = deviceOf(id);
        } catch (RdmaException e) {
            log.warn("RDMA connect request from {} refused: {}", remoteOf(id), e.getMessage());
            cm.rejectAndDestroyId(id, null);
            return;
        }
        if (stopped) {
            cm.rejectAndDestroyId(id, null);
            return;
        }
        EventLoop loop = loops.next();
        ConnectRequest request = new ConnectRequest(this, loop, id, device, privateData, localOf(id), remoteOf(id),
                responderResources, initiatorDepth);
        cm.adopt(id, request::onCmEvent);
        loop.execute(() -> {
            try {
                acceptor.onConnectRequest(request);
            } catch (RuntimeException e) {
                log.error("RDMA connect request handler failed", e);
            }
            request.rejectIfUndecided();
        });
    }

    boolean stopped() {
        return stopped;
    }

    @Override
    public String toString() {
        return "RdmaListener[" + localAddress + "]";
    }
}
