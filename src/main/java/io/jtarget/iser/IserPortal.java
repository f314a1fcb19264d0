package io.jtarget.iser;

import io.jtarget.iscsi.session.IscsiConnection;
import io.jtarget.iscsi.session.IscsiServerContext;
import io.jtarget.rdma.ConnectRequest;
import io.jtarget.rdma.RdmaBufferPool;
import io.jtarget.rdma.RdmaConnection;
import io.jtarget.rdma.RdmaConnectionConfig;
import io.jtarget.rdma.RdmaCounters;
import io.jtarget.rdma.RdmaDevice;
import io.jtarget.rdma.RdmaException;
import io.jtarget.rdma.RdmaListener;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An iSER portal (RFC 7145): an RDMA CM listener whose connect requests become iSCSI connections
 * of the same protocol core, targets, LUNs, CHAP and access control as the TCP portals.
 *
 * <p>Each request is accepted with the iSER CM reply ({@link IserCmPrivateData}) on the loop the
 * connection will live on; its queue pair is shaped by {@link IserQueueSizing} from the command
 * window, and its data moves through the device's registered pools ({@link RegisteredDataAllocator}).
 */
public final class IserPortal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IserPortal.class);

    /** The target's own iSER values: LIO's and the RFC's 8 KiB control PDUs, 8 unexpected PDUs. */
    public static final IserLimits LIMITS = new IserLimits(8192, 8192, 8);
    /** Send buffers shared by the connections of one device. */
    static final int SEND_BUFFERS_PER_DEVICE = 1024;
    /** RDMA Reads outstanding each way (capped by the peer's offer). */
    static final int RDMA_READ_DEPTH = 16;
    static final long DRAIN_TIMEOUT_MILLIS = 5000;

    private final RdmaListener listener;
    private final Map<RdmaDevice, RegisteredDataAllocator> allocators = new ConcurrentHashMap<>();
    private final LongAdder commands = new LongAdder();

    private IserPortal(RdmaListener listener) {
        this.listener = listener;
    }

    /**
     * Listens for iSER connections on {@code address}. Call from a thread that is not one of the
     * loops.
     *
     * @param commandWindow commands a session may have outstanding (the CmdSN window)
     * @throws RdmaException without rdma-core or an RDMA device serving the address: its message is
     *     the one line to show the operator
     */
    public static IserPortal open(InetSocketAddress address, EventLoopGroup loops, IscsiServerContext context,
            int commandWindow) throws RdmaException {
        IserQueueSizing sizing = IserQueueSizing.of(commandWindow, LIMITS);
        IserKeyRules keys = new IserKeyRules(LIMITS);
        RdmaConnectionConfig config = new RdmaConnectionConfig(sizing.sendQueueDepth(), sizing.receiveBuffers(),
                sizing.receiveBufferBytes(), 1, 0, RDMA_READ_DEPTH, RDMA_READ_DEPTH, DRAIN_TIMEOUT_MILLIS);
        IserPortal[] self = new IserPortal[1];
        RdmaListener listener = RdmaListener.open(address, loops,
                request -> self[0].onConnectRequest(request, context, config, sizing, keys));
        self[0] = new IserPortal(listener);
        if (listener.boundDevice().isPresent()) {
            // Registering the pools takes a while (the device pins every page): do it now, not
            // while an initiator waits for the CM reply.
            try {
                self[0].allocator(listener.boundDevice().get());
                sendPool(listener.boundDevice().get(), sizing);
            } catch (RdmaException e) {
                self[0].close();
                throw e;
            }
        }
        return self[0];
    }

    public InetSocketAddress localAddress() {
        return listener.localAddress();
    }

    /** Verbs calls, completions and wake-ups of every released connection. */
    public RdmaCounters.Snapshot releasedCounters() {
        return listener.releasedCounters();
    }

    /** SCSI commands received by released connections (the denominator of per-I/O counts). */
    public long releasedCommands() {
        return commands.sum();
    }

    private void onConnectRequest(ConnectRequest request, IscsiServerContext context, RdmaConnectionConfig config,
            IserQueueSizing sizing, IserKeyRules keys) {
        IserCmPrivateData.Request hello = IserCmPrivateData.parseRequest(request.privateData());
        log.debug("iSER connect request from {} (private data {}, ZBVA {}, send with invalidate {})",
                request.remoteAddress(), hello.present(), hello.zeroBasedAddressing(), hello.sendWithInvalidate());
        RdmaDevice device = request.device();
        RegisteredDataAllocator data;
        RdmaBufferPool sendPool;
        try {
            data = allocator(device);
            sendPool = sendPool(device, sizing);
        } catch (RdmaException e) {
            log.error("iSER connect request from {} refused: registering memory on {} failed: {}",
                    request.remoteAddress(), device.name(), e.getMessage());
            request.reject(null);
            return;
        }
        IserTransport transport = new IserTransport(request.loop(), data, sendPool, keys, request.localAddress(),
                request.remoteAddress());
        IscsiConnection protocol = new IscsiConnection(context, transport);
        RdmaConnection connection;
        try {
            connection = request.accept(config, transport, IserCmPrivateData.reply());
        } catch (RdmaException e) {
            log.warn("iSER connection from {} could not be accepted: {}", request.remoteAddress(), e.getMessage());
            return;
        }
        transport.attach(protocol, connection);
        log.info("iSER connection from {} accepted", request.remoteAddress());
        connection.releaseFuture().thenRun(() -> commands.add(transport.commands()));
    }

    private static RdmaBufferPool sendPool(RdmaDevice device, IserQueueSizing sizing) throws RdmaException {
        return device.sharedPool("iser-send", sizing.sendBufferBytes(), SEND_BUFFERS_PER_DEVICE,
                RdmaBufferPool.LOCAL_WRITE);
    }

    private RegisteredDataAllocator allocator(RdmaDevice device) throws RdmaException {
        RegisteredDataAllocator existing = allocators.get(device);
        if (existing != null) {
            return existing;
        }
        RegisteredDataAllocator made = RegisteredDataAllocator.on(device);
        allocators.putIfAbsent(device, made);
        return allocators.get(device);
    }

    /** Disconnects every connection, waits for each release, then frees the device resources. */
    @Override
    public void close() {
        try {
            listener.close();
        } catch (RdmaException e) {
            log.warn("closing the iSER portal {}: {}", listener.localAddress(), e.getMessage());
        }
        RdmaCounters.Snapshot totals = listener.releasedCounters();
        long n = commands.sum();
        log.info("iSER portal {} closed: {} SCSI commands; {}", listener.localAddress(), n, totals);
    }
}
