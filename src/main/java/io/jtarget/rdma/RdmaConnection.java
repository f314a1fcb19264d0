package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.jtarget.net.WatchedFd;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reliable-connected queue pair with its RDMA CM id, completion queue and receive buffers,
 * living on one event loop for its whole life (every method: that loop only, unless it says
 * otherwise). An iSER connection or an SRP channel sits on top as its {@link Handler}.
 *
 * <h2>Lifecycle</h2>
 * {@code CONNECTING → LIVE → DISCONNECTING → DRAINING → RELEASED}. Every way out (the upper
 * layer's {@link #disconnect}, the peer's disconnect, a failed work request, a connect that never
 * completes, device removal, shutdown) goes through {@link #disconnect}: {@code rdma_disconnect}
 * moves the QP to the error state, the device flushes every posted work request
 * ({@code IBV_WC_WR_FLUSH_ERR}), and the drain counts completions until nothing is posted (a
 * signaled marker covers unsignaled sends). Only then are the QP, CQ, completion channel, receive
 * buffers and CM id destroyed, in that order and exactly once, and {@link Handler#onReleased}
 * runs. A drain that sees no end within {@link RdmaConnectionConfig#drainTimeoutMillis} destroys
 * the QP first (which stops the device using our memory) and then the rest.
 *
 * <h2>Completions</h2>
 * The completion channel's descriptor is watched by the loop ({@link WatchedFd}). A wake-up reads
 * the CQ events (acknowledged in batches), polls at most {@link #POLL_BATCH} completions per
 * round, re-arms ({@code ibv_req_notify_cq}) and polls once more, so a completion that arrived
 * between the last poll and the re-arm is never missed. A full batch leaves the rest to a loop
 * task, after the loop's other connections had their turn.
 */
public final class RdmaConnection implements RdmaLink {
    private static final Logger log = LoggerFactory.getLogger(RdmaConnection.class);

    /** Completions handled per poll round. */
    public static final int POLL_BATCH = 16;
    /** CQ events read before they are acknowledged together. */
    static final int ACK_BATCH = 16;

    public enum State { CONNECTING, LIVE, DISCONNECTING, DRAINING, RELEASED }

    /** What the upper layer (an iSER connection, an SRP channel) hears; every call on the connection's loop. */
    public interface Handler {
        /** The connection is established: sends may be posted. */
        default void onEstablished(RdmaConnection connection) {}

        /**
         * A message arrived in a receive buffer. The buffer is posted again when this returns,
         * unless the handler {@link Received#keep keeps} it.
         */
        void onReceive(RdmaConnection connection, Received message);

        /**
         * A signaled send work request completed: {@code status} 0 is success; otherwise an
         * {@code ibv_wc_status} (5, {@code IBV_WC_WR_FLUSH_ERR}, while draining).
         */
        default void onSendCompleted(RdmaConnection connection, long cookie, int status) {}

        /** Send slots freed after a post was refused for want of them. */
        default void onWritable(RdmaConnection connection) {}

        /** The connection leaves CONNECTING/LIVE (once): stop posting; completions still come. */
        default void onDisconnecting(RdmaConnection connection, String reason) {}

        /** Everything is destroyed (once); no call follows. Memory the handler kept may be reused now. */
        void onReleased(RdmaConnection connection);
    }

    /** A received message: a view of one registered receive buffer. */
    public final class Received {
        private final RegisteredBuffer buffer;
        private final int index;
        private int length;
        private boolean kept;

        Received(RegisteredBuffer buffer, int index) {
            this.buffer = buffer;
            this.index = index;
        }

        /** The bytes received. */
        public MemorySegment segment() {
            return buffer.segment().asSlice(0, length);
        }

        /** The bytes received as a ByteBuf view (no copy; valid until reposted; releasing it does nothing). */
        public ByteBuf byteBuf() {
            return buffer.byteBuf().writerIndex(length);
        }

        public int length() {
            return length;
        }

        /**
         * Keeps the buffer past the callback (e.g. immediate data read later); the peer has one
         * receive credit less until {@link #repost}.
         */
        public void keep() {
            kept = true;
        }

        /** Posts a kept buffer again (on the loop). After the connection starts draining, does nothing. */
        public void repost() {
            if (!kept) {
                throw new IllegalStateException("receive buffer " + index + " is not kept");
            }
            kept = false;
            queueRepost(index);
            flushReposts();
        }
    }

    private static final long RECV_TAG = 1L << 63;
    private static final long MARKER_TAG = 1L << 62;
    private static final int IBV_WC_SUCCESS = 0;
    private static final int IBV_WC_WR_FLUSH_ERR = 5;
    private static final long NO_COOKIE = Long.MIN_VALUE;

    final RdmaNative n;
    private final EventLoop loop;
    private final CmChannel cm;
    private final MemorySegment cmId;
    private final RdmaDevice device;
    private final RdmaConnectionConfig config;
    private final Handler handler;
    private final RdmaCounters counters = new RdmaCounters();
    private final RdmaCounters.Totals totals;
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    private final Arena arena = Arena.ofShared();
    private byte[] peerPrivateData = new byte[0];
    private InetSocketAddress localAddress;
    private InetSocketAddress remoteAddress;

    private State state = State.CONNECTING;
    private String reason;

    // native objects, set by setUp
    private MemorySegment compChannel = MemorySegment.NULL;
    private MemorySegment cq = MemorySegment.NULL;
    private MemorySegment qp = MemorySegment.NULL;
    private WatchedFd watched;
    private MemorySegment postSendFn;
    private MemorySegment postRecvFn;
    private MemorySegment pollCqFn;
    private MemorySegment reqNotifyFn;
    private MemorySegment wcs;
    private MemorySegment badWr;
    private MemorySegment cqEventOut;
    private MemorySegment recvWrs;
    private MemorySegment recvSges;
    private MemorySegment markerWr;

    // receive side
    private RdmaBufferPool recvPool;
    private Received[] received;
    private int recvPosted;
    private int[] repostQueue;
    private int repostCount;

    // send side: a ring of slots in posting order; wr_id is the slot's sequence number
    private long[] cookies;
    private boolean[] hwSignaled;
    private long sendHead;
    private long sendTail;
    private int unsignaledRun;
    private boolean markerPosted;
    private boolean wantWritable;
    private SendChain chain;

    private int unackedCqEvents;
    private boolean polling;
    private boolean pollScheduled;
    private ScheduledFuture<?> drainTimer;
    /** Non-null when the connect request is to be rejected (with this private data) before the id goes. */
    private byte[] rejectOnRelease;

    RdmaConnection(RdmaNative n, EventLoop loop, CmChannel cm, MemorySegment cmId, RdmaDevice device,
            RdmaConnectionConfig config, Handler handler, RdmaCounters.Totals totals) {
        this.n = n;
        this.loop = loop;
        this.cm = cm;
        this.cmId = cmId;
        this.device = device;
        this.config = config;
        this.handler = handler;
        this.totals = totals;
    }

    // ---------------------------------------------------------------- public surface

    @Override
    public State state() {
        return state;
    }

    public EventLoop loop() {
        return loop;
    }

    public RdmaDevice device() {
        return device;
    }

    public RdmaConnectionConfig config() {
        return config;
    }

    /** Per-connection counts; exact on the loop. */
    public RdmaCounters counters() {
        return counters;
    }

    /** Private data the peer sent: in its connect request (passive side) or its accept (active side). */
    public byte[] peerPrivateData() {
        return peerPrivateData.clone();
    }

    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    /** Why the connection left LIVE (null while connecting or live). */
    public String disconnectReason() {
        return reason;
    }

    /** Completes (on the loop) once the connection is RELEASED; any thread may wait on it. */
    public CompletionStage<Void> releaseFuture() {
        return released;
    }

    /** Send work requests that may still be posted now. */
    @Override
    public int sendSlotsFree() {
        return config.sendQueueDepth() - (int) (sendHead - sendTail);
    }

    /** Receive buffers posted now (the peer's receive credits). */
    public int recvPosted() {
        return recvPosted;
    }

    /** The connection's reusable builder of chained send work requests (SEND, RDMA Write, RDMA Read). */
    @Override
    public SendChain chain() {
        return chain.reset();
    }

    /** SEND of {@code length} bytes of {@code buffer} from {@code offset}, signaled with {@code cookie}. */
    public boolean postSend(RegisteredBuffer buffer, int offset, int length, long cookie) {
        return chain.reset().add(buffer, offset, length).send(cookie, SendChain.SIGNALED).post();
    }

    /** RDMA Write of a local range to the peer's {@code remoteAddress}/{@code rkey}. */
    public boolean postRdmaWrite(RegisteredBuffer buffer, int offset, int length, long remoteAddress, int rkey,
            long cookie, int flags) {
        return chain.reset().add(buffer, offset, length).rdmaWrite(remoteAddress, rkey, cookie, flags).post();
    }

    /** RDMA Read of the peer's {@code remoteAddress}/{@code rkey} into a local range (signaled). */
    public boolean postRdmaRead(RegisteredBuffer buffer, int offset, int length, long remoteAddress, int rkey,
            long cookie) {
        return chain.reset().add(buffer, offset, length).rdmaRead(remoteAddress, rkey, cookie, SendChain.SIGNALED)
                .post();
    }

    /**
     * Starts the way out (idempotent; any thread): CONNECTING or LIVE → DISCONNECTING →
     * DRAINING → RELEASED.
     */
    @Override
    public void disconnect(String why) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> disconnect(why));
            return;
        }
        if (state != State.CONNECTING && state != State.LIVE) {
            return;
        }
        reason = why;
        state = State.DISCONNECTING;
        log.debug("RDMA connection {} disconnecting: {}", remoteAddress, why);
        try {
            handler.onDisconnecting(this, why);
        } catch (RuntimeException e) {
            log.error("onDisconnecting failed", e);
        }
        boolean inError = false;
        if (!qp.equals(MemorySegment.NULL)) {
            try {
                // Moves the QP to the error state (librdmacm does it for IB/RoCE), then tells the peer.
                int rc = (int) n.rdmaDisconnect.invokeExact(n.state(), cmId);
                inError = rc == 0;
                if (rc != 0) {
                    log.debug("{}", n.failure("rdma_disconnect").getMessage());
                }
            } catch (Throwable t) {
                throw RdmaNative.rethrow(t);
            }
        }
        state = State.DRAINING;
        discardReposts();
        if (!inError) {
            // No flush will come from a QP we could not move to error: destroying it is what stops the device.
            release();
            return;
        }
        drainTimer = loop.schedule(this::drainTimedOut, config.drainTimeoutMillis(), TimeUnit.MILLISECONDS);
        postMarkerIfNeeded();
        if (!polling) {
            pollRound();
        }
    }

    // ---------------------------------------------------------------- set-up (by listener/connector)

    void addresses(InetSocketAddress local, InetSocketAddress remote) {
        this.localAddress = local;
        this.remoteAddress = remote;
    }

    void peerPrivateData(byte[] data) {
        this.peerPrivateData = data;
    }

    /**
     * Creates the completion channel, CQ and QP, posts every receive buffer, arms the CQ and
     * watches the completion channel; on the loop. On failure everything made is destroyed.
     */
    void setUp() throws RdmaException {
        assert loop.inEventLoop();
        try {
            setUpNative();
        } catch (RdmaException | RuntimeException e) {
            rejectOnRelease = new byte[0];
            state = State.DRAINING;
            reason = "set-up failed: " + e.getMessage();
            release();
            throw e;
        }
    }

    private void setUpNative() throws RdmaException {
        int sq = config.sendQueueDepth();
        int rq = config.recvQueueDepth();
        try {
            compChannel = (MemorySegment) n.ibvCreateCompChannel.invokeExact(n.state(), device.context());
            if (compChannel.equals(MemorySegment.NULL)) {
                throw n.failure("ibv_create_comp_channel");
            }
            compChannel = compChannel.reinterpret(Structs.COMP_CHANNEL_FD + 4);
            int fd = compChannel.get(JAVA_INT, Structs.COMP_CHANNEL_FD);
            n.setNonBlocking(fd);
            // +1: the drain's marker
            MemorySegment c = (MemorySegment) n.ibvCreateCq.invokeExact(n.state(), device.context(), sq + 1 + rq,
                    MemorySegment.NULL, compChannel, 0);
            if (c.equals(MemorySegment.NULL)) {
                throw n.failure("ibv_create_cq(" + (sq + 1 + rq) + ")");
            }
            cq = c.reinterpret(8);
            MemorySegment attr = arena.allocate(Structs.IBV_QP_INIT_ATTR);
            attr.set(ADDRESS, Structs.offset(Structs.IBV_QP_INIT_ATTR, "send_cq"), cq);
            attr.set(ADDRESS, Structs.offset(Structs.IBV_QP_INIT_ATTR, "recv_cq"), cq);
            attr.set(JAVA_INT, Structs.offset(Structs.IBV_QP_INIT_ATTR, "max_send_wr"), sq + 1);
            attr.set(JAVA_INT, Structs.offset(Structs.IBV_QP_INIT_ATTR, "max_recv_wr"), rq);
            attr.set(JAVA_INT, Structs.offset(Structs.IBV_QP_INIT_ATTR, "max_send_sge"), config.maxSge());
            attr.set(JAVA_INT, Structs.offset(Structs.IBV_QP_INIT_ATTR, "max_recv_sge"), 1);
            attr.set(JAVA_INT, Structs.offset(Structs.IBV_QP_INIT_ATTR, "max_inline_data"), config.maxInlineData());
            attr.set(JAVA_INT, Structs.offset(Structs.IBV_QP_INIT_ATTR, "qp_type"), RdmaNative.IBV_QPT_RC);
            attr.set(JAVA_INT, Structs.offset(Structs.IBV_QP_INIT_ATTR, "sq_sig_all"), 0);
            int rc = (int) n.rdmaCreateQp.invokeExact(n.state(), cmId, device.pd(), attr);
            if (rc != 0) {
                throw n.failure("rdma_create_qp");
            }
            qp = cmId.get(ADDRESS, Structs.CM_ID_QP).reinterpret(Structs.QP_QP_NUM + 4);
        } catch (RdmaException e) {
            throw e;
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        postSendFn = RdmaNative.opsFunction(qp, Structs.CONTEXT_OPS_POST_SEND);
        postRecvFn = RdmaNative.opsFunction(qp, Structs.CONTEXT_OPS_POST_RECV);
        pollCqFn = RdmaNative.opsFunction(cq, Structs.CONTEXT_OPS_POLL_CQ);
        reqNotifyFn = RdmaNative.opsFunction(cq, Structs.CONTEXT_OPS_REQ_NOTIFY_CQ);

        wcs = arena.allocate(Structs.IBV_WC, POLL_BATCH);
        badWr = arena.allocate(ADDRESS);
        cqEventOut = arena.allocate(ADDRESS, 2);
        markerWr = arena.allocate(Structs.IBV_SEND_WR);
        cookies = new long[sq];
        hwSignaled = new boolean[sq];
        chain = new SendChain(this::postChain, arena, Math.min(sq, SendChain.MAX_WRS), config.maxSge());

        recvPool = device.privatePool("recv", config.recvBufferSize(), rq, RdmaBufferPool.LOCAL_WRITE);
        received = new Received[rq];
        repostQueue = new int[rq];
        recvWrs = arena.allocate(Structs.IBV_RECV_WR, rq);
        recvSges = arena.allocate(Structs.IBV_SGE, rq);
        for (int i = 0; i < rq; i++) {
            RegisteredBuffer b = recvPool.allocate();
            received[i] = new Received(b, i);
            MemorySegment sge = recvSges.asSlice(i * Structs.IBV_SGE.byteSize(), Structs.IBV_SGE.byteSize());
            sge.set(JAVA_LONG, 0, b.address());
            sge.set(JAVA_INT, 8, b.capacity());
            sge.set(JAVA_INT, 12, b.lkey());
            queueRepost(i);
        }
        flushReposts();
        if (recvPosted != rq) {
            throw new RdmaException("ibv_post_recv: could not post the receive buffers", 0);
        }
        arm();
        WatchedFd.watch(loop, compChannel.get(JAVA_INT, Structs.COMP_CHANNEL_FD), this::onCompletionChannel)
                .whenComplete((w, e) -> {
                    if (e != null) {
                        disconnect("cannot watch the completion channel: " + e.getMessage());
                    } else if (state == State.RELEASED) {
                        w.close();
                    } else {
                        watched = w;
                    }
                });
    }

    /**
     * Accepts ({@code rdma_accept}) with our private data and RDMA Read depths; after {@link #setUp}.
     * The connect request's values are already from our side (the IB CM swaps the peer's, see
     * Linux's cm_format_req_event): {@code responderResources} is the peer's initiator depth (Reads
     * it will send us), {@code initiatorDepth} the peer's responder resources (Reads we may send).
     * Linux's SRP initiator offers 4 responder resources and an initiator depth of 0.
     */
    void accept(byte[] privateData, int responderResources, int initiatorDepth) throws RdmaException {
        withConnParam("rdma_accept", n.rdmaAccept, privateData,
                Math.min(config.responderResources(), responderResources),
                Math.min(config.initiatorDepth(), initiatorDepth));
    }

    /** Rejects a connect request ({@code rdma_reject} with private data) and releases; before accept. */
    void reject(byte[] privateData) {
        if (state == State.RELEASED) {
            return;
        }
        rejectOnRelease = privateData == null ? new byte[0] : privateData;
        reason = "rejected";
        state = State.DRAINING;
        release();
    }

    /** Connects ({@code rdma_connect}) with our private data; after {@link #setUp}, route resolved. */
    void connect(byte[] privateData) throws RdmaException {
        withConnParam("rdma_connect", n.rdmaConnect, privateData, config.responderResources(), config.initiatorDepth());
    }

    /** Calls {@code rdma_accept} or {@code rdma_connect} (same signature) with a {@code struct rdma_conn_param}. */
    private void withConnParam(String function, java.lang.invoke.MethodHandle call, byte[] privateData,
            int responderResources, int initiatorDepth) throws RdmaException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment param = connParam(a, privateData, responderResources, initiatorDepth);
            int rc = (int) call.invokeExact(n.state(), cmId, param);
            if (rc != 0) {
                throw n.failure(function);
            }
        } catch (RdmaException e) {
            throw e;
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
    }

    static MemorySegment connParam(Arena a, byte[] privateData, int responderResources, int initiatorDepth) {
        MemorySegment param = a.allocate(Structs.RDMA_CONN_PARAM);
        if (privateData != null && privateData.length > 0) {
            if (privateData.length > 255) {
                throw new IllegalArgumentException("RDMA CM private data is at most 255 bytes: " + privateData.length);
            }
            param.set(ADDRESS, 0, a.allocateFrom(JAVA_BYTE, privateData));
            param.set(JAVA_BYTE, Structs.offset(Structs.RDMA_CONN_PARAM, "private_data_len"), (byte) privateData.length);
        }
        param.set(JAVA_BYTE, Structs.offset(Structs.RDMA_CONN_PARAM, "responder_resources"), (byte) responderResources);
        param.set(JAVA_BYTE, Structs.offset(Structs.RDMA_CONN_PARAM, "initiator_depth"), (byte) initiatorDepth);
        param.set(JAVA_BYTE, Structs.offset(Structs.RDMA_CONN_PARAM, "flow_control"), (byte) 1);
        param.set(JAVA_BYTE, Structs.offset(Structs.RDMA_CONN_PARAM, "retry_count"), (byte) 7);
        // 7: retry forever on receiver-not-ready; the peer's receive credits bound what we send.
        param.set(JAVA_BYTE, Structs.offset(Structs.RDMA_CONN_PARAM, "rnr_retry_count"), (byte) 7);
        return param;
    }

    /** A CM event for this connection's id, forwarded to its loop by the listener or connector. */
    void onCmEvent(int type, int status, String name) {
        switch (type) {
            case CmChannel.ESTABLISHED -> establish();
            case CmChannel.DISCONNECTED -> disconnect("peer disconnected");
            case CmChannel.DEVICE_REMOVAL -> disconnect("RDMA device removed");
            case CmChannel.TIMEWAIT_EXIT, CmChannel.CONNECT_RESPONSE -> { }
            default -> disconnect("RDMA CM " + name + " (status " + status + ")");
        }
    }

    /**
     * CONNECTING → LIVE, once: on the CM's ESTABLISHED event, or earlier on the first message
     * received (the peer may send as soon as it has our accept; its first SEND can complete
     * here before the CM reports ESTABLISHED, and the QP is ready to send since the accept).
     */
    private void establish() {
        if (state != State.CONNECTING) {
            return;
        }
        state = State.LIVE;
        try {
            handler.onEstablished(this);
        } catch (RuntimeException e) {
            log.error("onEstablished failed", e);
            disconnect("onEstablished failed: " + e);
        }
    }

    // ---------------------------------------------------------------- receive side

    private void queueRepost(int index) {
        repostQueue[repostCount++] = index;
    }

    private void discardReposts() {
        repostCount = 0;
    }

    /** Posts every queued receive buffer in one {@code ibv_post_recv} call. */
    private void flushReposts() {
        if (repostCount == 0) {
            return;
        }
        if (state != State.CONNECTING && state != State.LIVE) {
            repostCount = 0;
            return;
        }
        long wrSize = Structs.IBV_RECV_WR.byteSize();
        MemorySegment first = MemorySegment.NULL;
        for (int i = repostCount - 1; i >= 0; i--) {
            int index = repostQueue[i];
            MemorySegment wr = recvWrs.asSlice(i * wrSize, wrSize);
            wr.set(JAVA_LONG, 0, RECV_TAG | index);
            wr.set(ADDRESS, 8, first);
            wr.set(ADDRESS, 16, recvSges.asSlice(index * Structs.IBV_SGE.byteSize()));
            wr.set(JAVA_INT, 24, 1);
            first = wr;
        }
        int count = repostCount;
        repostCount = 0;
        counters.postRecvCalls++;
        int rc;
        try {
            rc = (int) n.postRecvOp.invokeExact(postRecvFn, qp, first, badWr);
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        if (rc != 0) {
            // Which ones made it: every WR before bad_wr.
            long bad = badWr.get(ADDRESS, 0).address();
            int posted = bad == 0 ? 0 : (int) ((bad - recvWrs.address()) / wrSize);
            recvPosted += posted;
            counters.recvWorkRequests += posted;
            disconnect("ibv_post_recv: " + n.errorText(rc));
            return;
        }
        recvPosted += count;
        counters.recvWorkRequests += count;
    }

    // ---------------------------------------------------------------- send side (SendChain posts here)

    boolean postChain(MemorySegment firstWr, int wrCount, long[] chainCookies, int[] chainFlags) {
        if (state != State.LIVE) {
            return false;
        }
        if (wrCount > sendSlotsFree()) {
            wantWritable = true;
            return false;
        }
        long wrSize = Structs.IBV_SEND_WR.byteSize();
        int depth = config.sendQueueDepth();
        for (int i = 0; i < wrCount; i++) {
            MemorySegment wr = firstWr.asSlice(i * wrSize, wrSize);
            long seq = sendHead + i;
            int slot = (int) (seq % depth);
            int flags = chainFlags[i];
            boolean signaled = (flags & SendChain.SIGNALED) != 0;
            boolean notify = signaled;
            if (!signaled && ++unsignaledRun >= depth / 2) {
                // The device frees send slots only through a signaled completion: signal at least every half ring.
                signaled = true;
                flags |= SendChain.SIGNALED;
            }
            if (signaled) {
                unsignaledRun = 0;
            }
            cookies[slot] = notify ? chainCookies[i] : NO_COOKIE;
            hwSignaled[slot] = signaled;
            wr.set(JAVA_LONG, 0, seq);
            wr.set(JAVA_INT, Structs.offset(Structs.IBV_SEND_WR, "send_flags"), flags);
        }
        counters.postSendCalls++;
        int rc;
        try {
            rc = (int) n.postSendOp.invokeExact(postSendFn, qp, firstWr, badWr);
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        int posted = wrCount;
        if (rc != 0) {
            long bad = badWr.get(ADDRESS, 0).address();
            posted = bad == 0 ? 0 : (int) ((bad - firstWr.address()) / wrSize);
        }
        sendHead += posted;
        counters.sendWorkRequests += posted;
        if (rc != 0) {
            disconnect("ibv_post_send: " + n.errorText(rc));
            return false;
        }
        return true;
    }

    /** Makes sure the last outstanding send is signaled, so the drain sees the send queue end. */
    private void postMarkerIfNeeded() {
        if (sendHead == sendTail || markerPosted) {
            return;
        }
        int last = (int) ((sendHead - 1) % config.sendQueueDepth());
        if (hwSignaled[last]) {
            return;
        }
        // A zero-length signaled RDMA Write (no SGE), flushed in the error state like everything before it.
        markerWr.fill((byte) 0);
        markerWr.set(JAVA_LONG, 0, MARKER_TAG);
        markerWr.set(JAVA_INT, Structs.offset(Structs.IBV_SEND_WR, "opcode"), SendChain.IBV_WR_RDMA_WRITE);
        markerWr.set(JAVA_INT, Structs.offset(Structs.IBV_SEND_WR, "send_flags"), SendChain.SIGNALED);
        counters.postSendCalls++;
        int rc;
        try {
            rc = (int) n.postSendOp.invokeExact(postSendFn, qp, markerWr, badWr);
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        if (rc == 0) {
            markerPosted = true;
            counters.sendWorkRequests++;
        } else {
            log.debug("drain marker not posted: {}", n.errorText(rc));
        }
    }

    // ---------------------------------------------------------------- completions

    private void onCompletionChannel() {
        counters.wakeups++;
        // Read every pending CQ event (non-blocking); acknowledge them in batches.
        while (true) {
            int rc;
            try {
                rc = (int) n.ibvGetCqEvent.invokeExact(n.state(), compChannel, cqEventOut, cqEventOut.asSlice(8));
            } catch (Throwable t) {
                throw RdmaNative.rethrow(t);
            }
            if (rc != 0) {
                break;
            }
            counters.cqEvents++;
            if (++unackedCqEvents >= ACK_BATCH) {
                ackCqEvents();
            }
        }
        if (state == State.RELEASED) {
            return;
        }
        pollRound();
    }

    private void ackCqEvents() {
        if (unackedCqEvents > 0) {
            try {
                n.ibvAckCqEvents.invokeExact(cq, unackedCqEvents);
            } catch (Throwable t) {
                throw RdmaNative.rethrow(t);
            }
            unackedCqEvents = 0;
        }
    }

    private void arm() {
        counters.reqNotifyCalls++;
        int rc;
        try {
            rc = (int) n.reqNotifyCqOp.invokeExact(reqNotifyFn, cq, 0);
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        if (rc != 0) {
            disconnect("ibv_req_notify_cq: " + n.errorText(rc));
        }
    }

    /** One bounded round: poll, and if the CQ ran dry re-arm and poll once more (the race-free pattern). */
    private void pollRound() {
        pollScheduled = false;
        if (state == State.RELEASED) {
            return;
        }
        polling = true;
        boolean more = false;
        try {
            int got = pollOnce();
            if (got < POLL_BATCH && state != State.RELEASED) {
                arm();
                got = pollOnce();
            }
            more = got == POLL_BATCH;
            flushReposts();
        } finally {
            polling = false;
        }
        if (state == State.RELEASED) {
            return;
        }
        if (wantWritable && state == State.LIVE && sendSlotsFree() > 0) {
            wantWritable = false;
            try {
                handler.onWritable(this);
            } catch (RuntimeException e) {
                log.error("onWritable failed", e);
            }
        }
        if (state == State.DRAINING && sendHead == sendTail && recvPosted == 0) {
            release();
        } else if (more && !pollScheduled && state != State.RELEASED) {
            pollScheduled = true;
            loop.execute(this::pollRound);
        }
    }

    private int pollOnce() {
        if (state == State.RELEASED) {
            return 0;
        }
        counters.pollCqCalls++;
        int got;
        try {
            got = (int) n.pollCqOp.invokeExact(pollCqFn, cq, POLL_BATCH, wcs);
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        if (got < 0) {
            disconnect("ibv_poll_cq failed (" + got + ")");
            return 0;
        }
        long wcSize = Structs.IBV_WC.byteSize();
        for (int i = 0; i < got; i++) {
            if (state == State.RELEASED) {
                return 0; // a handler's disconnect could not drain and destroyed everything
            }
            long base = i * wcSize;
            long wrId = wcs.get(JAVA_LONG, base);
            int status = wcs.get(JAVA_INT, base + 8);
            int byteLen = wcs.get(JAVA_INT, base + 20);
            counters.completions++;
            if (status != IBV_WC_SUCCESS) {
                counters.errorCompletions++;
            }
            if ((wrId & RECV_TAG) != 0) {
                onRecvCompletion((int) (wrId & ~RECV_TAG), status, byteLen);
            } else if (wrId == MARKER_TAG) {
                markerPosted = false;
                retireThrough(sendHead - 1, IBV_WC_WR_FLUSH_ERR);
            } else {
                onSendCompletion(wrId, status);
            }
        }
        return got;
    }

    private void onRecvCompletion(int index, int status, int byteLen) {
        recvPosted--;
        if (status != IBV_WC_SUCCESS) {
            if (status != IBV_WC_WR_FLUSH_ERR || state == State.LIVE) {
                disconnect("receive failed: " + n.wcStatus(status));
            }
            return;
        }
        Received r = received[index];
        r.length = byteLen;
        r.kept = false;
        establish();
        if (state != State.LIVE) {
            return; // a message after disconnect began: dropped, the buffer stays unposted
        }
        try {
            handler.onReceive(this, r);
        } catch (RuntimeException e) {
            log.error("onReceive failed", e);
            disconnect("onReceive failed: " + e);
        }
        if (!r.kept) {
            queueRepost(index);
        }
    }

    private void onSendCompletion(long seq, int status) {
        if (seq < sendTail || seq >= sendHead) {
            log.warn("completion for unknown send {} (outstanding {}..{})", seq, sendTail, sendHead);
            return;
        }
        retireThrough(seq, status);
        if (status != IBV_WC_SUCCESS && (status != IBV_WC_WR_FLUSH_ERR || state == State.LIVE)) {
            disconnect("send work request failed: " + n.wcStatus(status));
        }
    }

    /**
     * Sends complete in order: a completion for {@code seq} retires every earlier unsignaled send
     * (they succeeded, or were flushed) and itself.
     */
    private void retireThrough(long seq, int status) {
        int depth = config.sendQueueDepth();
        while (sendTail <= seq) {
            int slot = (int) (sendTail % depth);
            long cookie = cookies[slot];
            sendTail++;
            if (cookie != NO_COOKIE) {
                try {
                    handler.onSendCompleted(this, cookie, sendTail - 1 == seq ? status : statusOfEarlier(status));
                } catch (RuntimeException e) {
                    log.error("onSendCompleted failed", e);
                }
            }
        }
    }

    private static int statusOfEarlier(int status) {
        // An earlier signaled send whose own completion we did not see cannot have been lost unless flushed.
        return status == IBV_WC_SUCCESS ? IBV_WC_SUCCESS : IBV_WC_WR_FLUSH_ERR;
    }

    // ---------------------------------------------------------------- the end

    private void drainTimedOut() {
        if (state == State.DRAINING) {
            log.warn("RDMA connection {}: drain timed out with {} sends and {} receives outstanding;"
                    + " destroying the QP", remoteAddress, sendHead - sendTail, recvPosted);
            release();
        }
    }

    /** Destroys everything, in order, exactly once; on the loop. */
    private void release() {
        if (state == State.RELEASED) {
            return;
        }
        state = State.RELEASED;
        if (drainTimer != null) {
            drainTimer.cancel(false);
        }
        if (watched != null) {
            watched.close();
        }
        try {
            if (!qp.equals(MemorySegment.NULL)) {
                n.rdmaDestroyQp.invokeExact(cmId);
            }
            if (!cq.equals(MemorySegment.NULL)) {
                // Whatever is left in the CQ belongs to the destroyed QP; ibv_destroy_cq needs every event acked.
                ackCqEvents();
                int rc = (int) n.ibvDestroyCq.invokeExact(cq);
                if (rc != 0) {
                    log.warn("ibv_destroy_cq: {}", n.errorText(rc));
                }
            }
            if (!compChannel.equals(MemorySegment.NULL)) {
                int rc = (int) n.ibvDestroyCompChannel.invokeExact(compChannel);
                if (rc != 0) {
                    log.warn("ibv_destroy_comp_channel: {}", n.errorText(rc));
                }
            }
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        } finally {
            if (recvPool != null) {
                device.closePrivatePool(recvPool);
            }
            if (rejectOnRelease != null) {
                cm.rejectAndDestroyId(cmId, rejectOnRelease);
            } else {
                cm.destroyId(cmId);
            }
            counters.addTo(totals);
            // The arena's memory (work requests, completions) is no longer read by anyone: the QP and CQ are gone.
            loop.execute(arena::close);
        }
        log.debug("RDMA connection {} released ({})", remoteAddress, counters.snapshot());
        try {
            handler.onReleased(this);
        } catch (RuntimeException e) {
            log.error("onReleased failed", e);
        } finally {
            released.complete(null);
        }
    }

    @Override
    public String toString() {
        return "RdmaConnection[" + remoteAddress + " " + state + "]";
    }
}
