package io.jtarget.rdma;

import io.netty.channel.EventLoop;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A peer's RDMA CM connect request as a listener's {@link RdmaListener.Acceptor} sees it: the
 * private data (iSER's hello, SRP's login request), the addresses and the peer's RDMA Read
 * offers. Decide once, on {@link #loop}: {@link #accept} or {@link #reject}.
 */
public final class ConnectRequest {
    private static final Logger log = LoggerFactory.getLogger(ConnectRequest.class);

    private final RdmaListener listener;
    private final EventLoop loop;
    private final MemorySegment id;
    private final RdmaDevice device;
    private final byte[] privateData;
    private final InetSocketAddress localAddress;
    private final InetSocketAddress remoteAddress;
    private final int responderResources;
    private final int initiatorDepth;
    private volatile RdmaConnection connection;
    private boolean decided;

    ConnectRequest(RdmaListener listener, EventLoop loop, MemorySegment id, RdmaDevice device, byte[] privateData,
            InetSocketAddress localAddress, InetSocketAddress remoteAddress, int responderResources,
            int initiatorDepth) {
        this.listener = listener;
        this.loop = loop;
        this.id = id;
        this.device = device;
        this.privateData = privateData;
        this.localAddress = localAddress;
        this.remoteAddress = remoteAddress;
        this.responderResources = responderResources;
        this.initiatorDepth = initiatorDepth;
    }

    /**
     * The request's private data (a copy). Over IB and RoCE the CM delivers the whole private data
     * area of the REQ (56 bytes after the RDMA CM header), zero-padded beyond what the peer wrote.
     */
    public byte[] privateData() {
        return privateData.clone();
    }

    public InetSocketAddress localAddress() {
        return localAddress;
    }

    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    /**
     * Responder resources as the CM reports them from our side: RDMA Reads the peer wants
     * outstanding against us (its initiator depth; bounds our responder resources).
     */
    public int responderResources() {
        return responderResources;
    }

    /**
     * Initiator depth as the CM reports it from our side: RDMA Reads the peer serves for us at once
     * (its responder resources; bounds our initiator depth).
     */
    public int initiatorDepth() {
        return initiatorDepth;
    }

    /** The device the request came in on: upper layers make their buffer pools here. */
    public RdmaDevice device() {
        return device;
    }

    /** The loop the connection will live on; the acceptor runs here. */
    public EventLoop loop() {
        return loop;
    }

    /**
     * Creates the QP (CQ, completion channel, posted receive buffers) and accepts with
     * {@code privateData} (at most 196 bytes over IB/RoCE). The connection is CONNECTING until
     * the CM reports it established ({@link RdmaConnection.Handler#onEstablished}).
     *
     * @throws RdmaException the QP could not be made or the accept failed; the request is then rejected
     */
    public RdmaConnection accept(RdmaConnectionConfig config, RdmaConnection.Handler handler, byte[] privateData)
            throws RdmaException {
        decide();
        if (listener.stopped()) {
            listener.cm.rejectAndDestroyId(id, null);
            throw new RdmaException("listener closed", 0);
        }
        RdmaConnection c = new RdmaConnection(listener.n, loop, listener.cm, id, device, config, handler,
                listener.totals);
        c.addresses(localAddress, remoteAddress);
        c.peerPrivateData(this.privateData);
        connection = c;
        listener.track(c);
        c.setUp();
        try {
            c.accept(privateData, responderResources, initiatorDepth);
        } catch (RdmaException | RuntimeException e) {
            c.reject(null);
            throw e;
        }
        return c;
    }

    /** Rejects ({@code rdma_reject}) with {@code privateData} (at most 148 bytes over IB/RoCE; may be null). */
    public void reject(byte[] privateData) {
        decide();
        listener.cm.rejectAndDestroyId(id, privateData);
    }

    private void decide() {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("decide on the request's loop");
        }
        if (decided) {
            throw new IllegalStateException("connect request already accepted or rejected");
        }
        decided = true;
    }

    void rejectIfUndecided() {
        if (!decided) {
            log.warn("RDMA connect request from {} left undecided: rejected", remoteAddress);
            reject(null);
        }
    }

    /** CM events of the new id, on the channel's loop: forwarded to the connection's loop. */
    void onCmEvent(MemorySegment event, int type, int status) {
        String name = listener.n.eventName(type);
        loop.execute(() -> {
            RdmaConnection c = connection;
            if (c != null) {
                c.onCmEvent(type, status, name);
            }
        });
    }
}
