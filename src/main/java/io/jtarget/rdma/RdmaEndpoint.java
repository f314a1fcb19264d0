package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.netty.channel.EventLoop;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a listener and a connector share: one RDMA CM event channel, the devices its ids turned
 * out to use (one protection domain each), the connections made, their counters, and the one
 * way to close all of it (disconnect every connection, wait until each is released, then free
 * the devices and the channel).
 */
abstract sealed class RdmaEndpoint implements AutoCloseable permits RdmaListener, RdmaConnector {
    private static final Logger log = LoggerFactory.getLogger(RdmaEndpoint.class);

    final RdmaNative n;
    final CmChannel cm;
    final RdmaCounters.Totals totals = new RdmaCounters.Totals();
    /** By {@code ibv_context} address; touched on the channel's loop only. */
    private final Map<Long, RdmaDevice> devices = new HashMap<>();
    private final Set<RdmaConnection> connections = ConcurrentHashMap.newKeySet();
    private CompletableFuture<Void> closing;

    RdmaEndpoint(RdmaNative n, CmChannel cm) {
        this.n = n;
        this.cm = cm;
    }

    /** Checks that an RDMA device exists at all, for the one clear line when none does. */
    static RdmaNative nativesWithDevice() throws RdmaException {
        RdmaNative n = RdmaNative.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_INT);
            MemorySegment list = (MemorySegment) n.ibvGetDeviceList.invokeExact(n.state(), count);
            int devices = count.get(JAVA_INT, 0);
            if (!list.equals(MemorySegment.NULL)) {
                n.ibvFreeDeviceList.invokeExact(list);
            }
            if (list.equals(MemorySegment.NULL) || devices <= 0) {
                throw RdmaUnavailableException.noDevice();
            }
        } catch (RdmaException e) {
            throw e;
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        return n;
    }

    /** The device of an id whose {@code verbs} is set (bound or resolved); on the channel's loop. */
    RdmaDevice deviceOf(MemorySegment cmId) throws RdmaException {
        MemorySegment context = cmId.get(ADDRESS, Structs.CM_ID_VERBS);
        if (context.equals(MemorySegment.NULL)) {
            throw new RdmaException("RDMA CM id has no device", 0);
        }
        RdmaDevice d = devices.get(context.address());
        if (d == null) {
            d = new RdmaDevice(n, context.reinterpret(Structs.CONTEXT_OPS_POST_RECV + 8));
            devices.put(context.address(), d);
        }
        return d;
    }

    void track(RdmaConnection c) {
        connections.add(c);
        c.releaseFuture().whenComplete((v, e) -> connections.remove(c));
    }

    /** Connections not yet released. */
    public int connectionCount() {
        return connections.size();
    }

    /** Counts of every released connection (live ones are added when they are released). */
    public RdmaCounters.Snapshot releasedCounters() {
        return totals.snapshot();
    }

    public EventLoop cmLoop() {
        return cm.loop();
    }

    /** Stops taking new connections (listener: destroys its id); on the channel's loop. */
    abstract void stop();

    /**
     * Closes: stop, disconnect every connection, wait for each to be released, then free the
     * devices and the channel. Any thread; idempotent.
     */
    public synchronized CompletionStage<Void> closeAsync() {
        if (closing != null) {
            return closing;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        closing = done;
        cm.loop().execute(() -> {
            stop();
            List<CompletableFuture<Void>> waits = new ArrayList<>();
            for (RdmaConnection c : List.copyOf(connections)) {
                waits.add(c.releaseFuture().toCompletableFuture());
                c.disconnect("endpoint closed");
            }
            CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new))
                    .whenComplete((v, e) -> cm.loop().execute(() -> {
                        // The ids' destruction is queued on this loop before this task: devices are unused now.
                        devices.values().forEach(RdmaDevice::close);
                        devices.clear();
                        cm.close().whenComplete((v2, e2) -> {
                            if (e2 != null) {
                                done.completeExceptionally(e2);
                            } else {
                                done.complete(null);
                            }
                        });
                    }));
        });
        return done;
    }

    /** {@link #closeAsync} and wait (never on an event loop). */
    @Override
    public void close() throws RdmaException {
        CmChannel.await(closeAsync().toCompletableFuture());
    }

    // ------------------------------------------------------------------ socket addresses

    static MemorySegment sockaddr(Arena a, InetSocketAddress address) {
        MemorySegment s = a.allocate(Structs.SOCKADDR_IN6);
        InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        s.set(JAVA_SHORT, 2, RdmaNative.hostToNet(address.getPort()));
        if (ip instanceof Inet4Address) {
            s.set(JAVA_SHORT, 0, (short) RdmaNative.AF_INET);
            MemorySegment.copy(ip.getAddress(), 0, s, JAVA_BYTE, 4, 4);
        } else {
            s.set(JAVA_SHORT, 0, (short) RdmaNative.AF_INET6);
            MemorySegment.copy(ip.getAddress(), 0, s, JAVA_BYTE, 8, 16);
            if (ip instanceof Inet6Address v6) {
                s.set(JAVA_INT, 24, v6.getScopeId());
            }
        }
        return s;
    }

    /** A {@code struct sockaddr} (IPv4 or IPv6) as Java sees it; null for other families. */
    static InetSocketAddress fromSockaddr(MemorySegment s) {
        s = s.reinterpret(Structs.SOCKADDR_IN6.byteSize());
        int family = s.get(JAVA_SHORT, 0);
        int port = RdmaNative.netToHost(s.get(JAVA_SHORT, 2));
        try {
            if (family == RdmaNative.AF_INET) {
                return new InetSocketAddress(InetAddress.getByAddress(s.asSlice(4, 4).toArray(JAVA_BYTE)), port);
            }
            if (family == RdmaNative.AF_INET6) {
                return new InetSocketAddress(InetAddress.getByAddress(s.asSlice(8, 16).toArray(JAVA_BYTE)), port);
            }
        } catch (UnknownHostException e) {
            log.debug("bad address", e);
        }
        return null;
    }

    static InetSocketAddress localOf(MemorySegment cmId) {
        return fromSockaddr(cmId.asSlice(Structs.CM_ID_SRC_ADDR));
    }

    static InetSocketAddress remoteOf(MemorySegment cmId) {
        return fromSockaddr(cmId.asSlice(Structs.CM_ID_DST_ADDR));
    }
}
