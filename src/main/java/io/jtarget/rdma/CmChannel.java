package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.jtarget.net.WatchedFd;
import io.netty.channel.EventLoop;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An RDMA CM event channel ({@code rdma_create_event_channel}) watched by one event loop: each
 * readable round reads at most {@link #BATCH} events ({@code rdma_get_cm_event}, non-blocking),
 * hands each to the {@link Target} registered for its {@code cm_id} and acknowledges it at once
 * ({@code rdma_ack_cm_event}), so that {@code rdma_destroy_id} never waits for us.
 *
 * <p>Every {@code cm_id} of the channel is created and destroyed on the channel's loop, and
 * events are looked up by id there: an event can never reach a destroyed id's target.
 */
final class CmChannel {
    private static final Logger log = LoggerFactory.getLogger(CmChannel.class);
    static final int BATCH = 16;

    /** What an event means to its id's owner; runs on the channel's loop before the event is acked. */
    interface Target {
        /**
         * @param event the {@code struct rdma_cm_event}, valid only during this call
         * @param type {@code RDMA_CM_EVENT_*}
         */
        void onCmEvent(MemorySegment event, int type, int status);
    }

    static final int ADDR_RESOLVED = 0;
    static final int ADDR_ERROR = 1;
    static final int ROUTE_RESOLVED = 2;
    static final int ROUTE_ERROR = 3;
    static final int CONNECT_REQUEST = 4;
    static final int CONNECT_RESPONSE = 5;
    static final int CONNECT_ERROR = 6;
    static final int UNREACHABLE = 7;
    static final int REJECTED = 8;
    static final int ESTABLISHED = 9;
    static final int DISCONNECTED = 10;
    static final int DEVICE_REMOVAL = 11;
    static final int TIMEWAIT_EXIT = 15;

    private final RdmaNative n;
    private final EventLoop loop;
    private final MemorySegment channel;
    private final int fd;
    private final MemorySegment eventOut;
    private final Map<Long, Target> targets = new HashMap<>();
    private WatchedFd watched;
    private boolean closed;

    private CmChannel(RdmaNative n, EventLoop loop, MemorySegment channel) {
        this.n = n;
        this.loop = loop;
        this.channel = channel.reinterpret(8);
        this.fd = this.channel.get(JAVA_INT, Structs.EVENT_CHANNEL_FD);
        this.eventOut = java.lang.foreign.Arena.global().allocate(ADDRESS);
    }

    /**
     * Opens a channel and starts watching it on {@code loop}; blocks the caller (never a loop)
     * until the loop watches it.
     */
    static CmChannel open(RdmaNative n, EventLoop loop) throws RdmaException {
        MemorySegment ch;
        try {
            ch = (MemorySegment) n.rdmaCreateEventChannel.invokeExact(n.state());
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        if (ch.equals(MemorySegment.NULL)) {
            int errno = n.lastErrno();
            if (errno == RdmaNative.ENODEV || errno == RdmaNative.ENOENT) {
                // /dev/infiniband/rdma_cm is missing: no device, no rdma_ucm.
                throw RdmaUnavailableException.noDevice();
            }
            throw n.failure("rdma_create_event_channel", errno);
        }
        CmChannel c = new CmChannel(n, loop, ch);
        try {
            n.setNonBlocking(c.fd);
            c.watched = WatchedFd.watch(loop, c.fd, c::onReadable).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (RdmaException e) {
            c.destroyChannel();
            throw e;
        } catch (Exception e) {
            c.destroyChannel();
            throw new RdmaException("cannot watch the RDMA CM channel on an event loop: " + e.getMessage(), e);
        }
        return c;
    }

    EventLoop loop() {
        return loop;
    }

    /** {@code rdma_create_id} on this channel for {@code target}; on the channel's loop. */
    MemorySegment createId(Target target) throws RdmaException {
        assert loop.inEventLoop();
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = (int) n.rdmaCreateId.invokeExact(n.state(), channel, out, MemorySegment.NULL, RdmaNative.RDMA_PS_TCP);
            if (rc != 0) {
                throw n.failure("rdma_create_id");
            }
            MemorySegment id = out.get(ADDRESS, 0).reinterpret(Structs.CM_ID_DST_ADDR + 128);
            targets.put(id.address(), target);
            return id;
        } catch (RdmaException e) {
            throw e;
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
    }

    /** Routes events of an id the library made (a connect request's) to {@code target}; on the loop. */
    void adopt(MemorySegment id, Target target) {
        assert loop.inEventLoop();
        targets.put(id.address(), target);
    }

    /**
     * {@code rdma_destroy_id}, from any thread. Events stop reaching the id's target at once; the
     * call itself runs as a later task of the channel's loop, never inside an event's dispatch
     * (it waits until the id's delivered events are acknowledged, and the one being dispatched
     * is acknowledged only after its handler returns).
     */
    void destroyId(MemorySegment id) {
        if (loop.inEventLoop()) {
            targets.remove(id.address());
            loop.execute(() -> destroyIdNow(id));
        } else {
            loop.execute(() -> {
                targets.remove(id.address());
                destroyIdNow(id);
            });
        }
    }

    private void destroyIdNow(MemorySegment id) {
        try {
            int rc = (int) n.rdmaDestroyId.invokeExact(n.state(), id);
            if (rc != 0) {
                log.warn("{}", n.failure("rdma_destroy_id").getMessage());
            }
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
    }

    /** {@code rdma_reject} then {@code rdma_destroy_id}, from any thread (on the channel's loop). */
    void rejectAndDestroyId(MemorySegment id, byte[] privateData) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> rejectAndDestroyId(id, privateData));
            return;
        }
        reject(id, privateData);
        destroyId(id);
    }

    private void onReadable() {
        for (int i = 0; i < BATCH && !closed; i++) {
            int rc;
            try {
                rc = (int) n.rdmaGetCmEvent.invokeExact(n.state(), channel, eventOut);
            } catch (Throwable t) {
                throw RdmaNative.rethrow(t);
            }
            if (rc != 0) {
                int errno = n.lastErrno();
                if (errno != RdmaNative.EAGAIN) {
                    log.warn("{}", n.failure("rdma_get_cm_event", errno).getMessage());
                }
                return;
            }
            MemorySegment event = eventOut.get(ADDRESS, 0).reinterpret(Structs.CM_EVENT_PARAM_CONN + 24);
            try {
                dispatch(event);
            } finally {
                try {
                    int ack = (int) n.rdmaAckCmEvent.invokeExact(n.state(), event);
                    if (ack != 0) {
                        log.warn("{}", n.failure("rdma_ack_cm_event").getMessage());
                    }
                } catch (Throwable t) {
                    throw RdmaNative.rethrow(t);
                }
            }
        }
        // More may be queued: level-triggered epoll reports the descriptor again next round.
    }

    private void dispatch(MemorySegment event) {
        int type = event.get(JAVA_INT, Structs.CM_EVENT_EVENT);
        int status = event.get(JAVA_INT, Structs.CM_EVENT_STATUS);
        MemorySegment id = event.get(ADDRESS, Structs.CM_EVENT_ID);
        // A connect request names the listener's id in listen_id and a new id in id.
        long key = type == CONNECT_REQUEST ? event.get(ADDRESS, Structs.CM_EVENT_LISTEN_ID).address() : id.address();
        Target target = targets.get(key);
        if (log.isDebugEnabled()) {
            log.debug("RDMA CM {} status {} id {}", n.eventName(type), status, Long.toHexString(id.address()));
        }
        if (target == null) {
            if (type == CONNECT_REQUEST) {
                reject(id.reinterpret(Structs.CM_ID_DST_ADDR + 128), null);
                destroyId(id.reinterpret(Structs.CM_ID_DST_ADDR + 128));
            }
            return;
        }
        try {
            target.onCmEvent(event, type, status);
        } catch (RuntimeException e) {
            log.error("RDMA CM event {} handler failed", n.eventName(type), e);
        }
    }

    /** {@code rdma_reject} with optional private data; on the loop. */
    void reject(MemorySegment id, byte[] privateData) {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment pd = MemorySegment.NULL;
            int len = 0;
            if (privateData != null && privateData.length > 0) {
                pd = arena.allocateFrom(JAVA_BYTE, privateData);
                len = privateData.length;
            }
            int rc = (int) n.rdmaReject.invokeExact(n.state(), id, pd, (byte) len);
            if (rc != 0) {
                log.warn("{}", n.failure("rdma_reject").getMessage());
            }
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
    }

    /** The private data of a connect request, reply or reject event (a copy). */
    static byte[] privateData(MemorySegment event) {
        MemorySegment p = event.get(ADDRESS, Structs.CM_EVENT_PARAM_CONN);
        int len = event.get(JAVA_BYTE, Structs.CM_EVENT_PARAM_CONN + 8) & 0xff;
        if (p.equals(MemorySegment.NULL) || len == 0) {
            return new byte[0];
        }
        return p.reinterpret(len).toArray(JAVA_BYTE);
    }

    /**
     * Stops watching and destroys the channel once every id on it is destroyed; from any thread,
     * completes when done.
     */
    CompletableFuture<Void> close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            closed = true;
            if (!targets.isEmpty()) {
                log.warn("RDMA CM channel closed with {} ids left", targets.size());
            }
            watched.close();
            // After the watch is cancelled (it runs as a loop task) the channel may go.
            loop.execute(() -> {
                destroyChannel();
                done.complete(null);
            });
        });
        return done;
    }

    private void destroyChannel() {
        try {
            n.rdmaDestroyEventChannel.invokeExact(channel);
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
    }

    static <T> T await(CompletableFuture<T> f) throws RdmaException {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RdmaException("interrupted", e);
        } catch (TimeoutException e) {
            throw new RdmaException("timed out", e);
        } catch (java.util.concurrent.ExecutionException | CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof RdmaException r) {
                throw r;
            }
            throw new RdmaException(String.valueOf(c), c);
        }
    }
}
