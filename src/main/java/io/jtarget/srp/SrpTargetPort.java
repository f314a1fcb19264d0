package io.jtarget.srp;

import io.jtarget.iser.RegisteredDataAllocator;
import io.jtarget.rdma.ConnectRequest;
import io.jtarget.rdma.RdmaBufferPool;
import io.jtarget.rdma.RdmaConnection;
import io.jtarget.rdma.RdmaConnectionConfig;
import io.jtarget.rdma.RdmaCounters;
import io.jtarget.rdma.RdmaDevice;
import io.jtarget.rdma.RdmaException;
import io.jtarget.rdma.RdmaListener;
import io.jtarget.registry.Fabric;
import io.jtarget.registry.Registry;
import io.jtarget.registry.ServedTarget;
import io.jtarget.registry.SessionInfo;
import io.jtarget.scsi.ItNexus;
import io.jtarget.scsi.TransportId;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's SRP target port (T10 SRP-2): RDMA/CM listeners whose connect requests carry an
 * SRP login (the RDMA/CM form of SRP_LOGIN_REQ Linux's ib_srp sends), answered with SRP_LOGIN_RSP
 * in the accept or SRP_LOGIN_REJ in the reject. It exports one target of the registry: the one
 * named by {@code --srp-target}, else the first by name. Access rules are the target's: an SRP
 * initiator is named {@code 0x} and the 32 hex digits of its initiator port identifier.
 *
 * <p>The target port identifier an initiator must name is the device's node GUID twice
 * ({@code id_ext} and {@code ioc_guid}), as Linux's ib_srpt expects; when the GUID cannot be read
 * any identifier is accepted.
 */
public final class SrpTargetPort implements Fabric, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SrpTargetPort.class);

    /** REQ_LIM credits granted at login: the receive buffers posted per channel. */
    static final int CREDITS = 128;
    /** Largest initiator-to-target IU we take: an SRP_CMD with 255 indirect descriptors and a 16-byte extra CDB. */
    static final int MAX_IT_IU = SrpIu.CMD_HEADER_LENGTH + 16 + SrpIu.INDIRECT_HEADER_LENGTH
            + 255 * SrpIu.DIRECT_DESCRIPTOR_LENGTH;
    /**
     * Largest initiator-to-target IU we take when immediate data is granted: ib_srp asks for its
     * immediate data offset (68) plus max_imm_data (8 KiB by default); an initiator asking for more
     * gets no immediate data (it sizes its IUs by its own request, not by our answer).
     */
    static final int MAX_IMMEDIATE_IT_IU = 16 * 1024 + 128;
    /** Largest target-to-initiator IU we send: SRP_RSP with response data and 252 bytes of sense, rounded. */
    static final int MAX_TI_IU = 512;
    static final int SEND_BUFFERS_PER_DEVICE = 4096;
    static final int RDMA_READ_DEPTH = 16;
    static final long DRAIN_TIMEOUT_MILLIS = 5000;
    /** The relative target port identifier of the SRP port (VPD 83h); iSCSI portal groups count from 1. */
    public static final int RELATIVE_PORT_ID = 0x5300;

    private final List<RdmaListener> listeners = new ArrayList<>();
    private final Registry registry;
    private final String targetName;
    private final Map<RdmaDevice, RegisteredDataAllocator> allocators = new ConcurrentHashMap<>();
    private final Map<TransportId, SrpNexus> nexuses = new ConcurrentHashMap<>();
    private final Map<SrpChannel, CompletableFuture<Void>> channels = new ConcurrentHashMap<>();
    private final LongAdder commands = new LongAdder();
    private final LongAdder immediateCommands = new LongAdder();
    private final LongAdder targetLogouts = new LongAdder();
    private final LongAdder released = new LongAdder();
    private volatile boolean closed;
    private final RdmaConnectionConfig config = new RdmaConnectionConfig(4 * CREDITS + 16, CREDITS + 2, MAX_IT_IU, 2,
            0, RDMA_READ_DEPTH, RDMA_READ_DEPTH, DRAIN_TIMEOUT_MILLIS);

    SrpTargetPort(Registry registry, String targetName) {
        this.registry = registry;
        this.targetName = targetName;
    }

    /**
     * Listens for SRP logins on every address. Call from a thread that is not one of the loops.
     *
     * @param targetName the target to export, or null for the registry's first
     * @throws RdmaException without rdma-core or an RDMA device serving an address: its message
     *     is the one line to show the operator
     */
    public static SrpTargetPort open(List<InetSocketAddress> addresses, EventLoopGroup loops, Registry registry,
            String targetName) throws RdmaException {
        SrpTargetPort port = new SrpTargetPort(registry, targetName);
        try {
            for (InetSocketAddress address : addresses) {
                RdmaListener listener = RdmaListener.open(address, loops, port::onConnectRequest);
                port.listeners.add(listener);
                if (listener.boundDevice().isPresent()) {
                    // Registering pins pages and takes a while: now, not while an initiator waits.
                    port.allocator(listener.boundDevice().get());
                    sendPool(listener.boundDevice().get());
                }
                log.info("SRP target port listening on {} (RDMA/CM)", listener.localAddress());
            }
        } catch (RdmaException e) {
            port.close();
            throw e;
        }
        registry.addFabric(port);
        return port;
    }

    public List<InetSocketAddress> localAddresses() {
        return listeners.stream().map(RdmaListener::localAddress).toList();
    }

    /** The target this port exports now (null when the registry has none). */
    ServedTarget exported() {
        if (targetName != null) {
            return registry.target(targetName);
        }
        List<ServedTarget> all = registry.targets();
        return all.isEmpty() ? null : all.getFirst();
    }

    // ------------------------------------------------------------------ login (SRP-2 §5.6)

    private void onConnectRequest(ConnectRequest request) {
        SrpIu.LoginRequest login = SrpIu.LoginRequest.parse(request.privateData());
        if (login == null) {
            log.warn("RDMA/CM connect request from {} without an SRP login: rejected", request.remoteAddress());
            request.reject(null);
            return;
        }
        TransportId.Srp initiator = new TransportId.Srp(login.initiatorPortId());
        ServedTarget target = exported();
        int refusal = refusal(login, target, expectedTargetPortId(request.device()),
                request.remoteAddress().getAddress());
        if (refusal != 0) {
            log.warn("SRP login of {} from {} rejected: reason {}", initiator.initiatorName(), request.remoteAddress(),
                    String.format("%08xh", refusal));
            request.reject(SrpIu.loginReject(login.tag(), refusal));
            return;
        }
        RdmaDevice device = request.device();
        RegisteredDataAllocator data;
        RdmaBufferPool sendPool;
        try {
            data = allocator(device);
            sendPool = sendPool(device);
        } catch (RdmaException e) {
            log.error("SRP login from {} refused: registering memory on {} failed: {}", request.remoteAddress(),
                    device.name(), e.getMessage());
            request.reject(SrpIu.loginReject(login.tag(), SrpIu.REJ_INSUFFICIENT_RESOURCES));
            return;
        }
        int immediateOffset = immediateDataOffset(login);
        Joined joined = join(login, target,
                nexus -> new SrpChannel(this, nexus, data, sendPool, request.loop(), CREDITS, immediateOffset));
        SrpChannel channel = joined.channel();
        SrpNexus nexus = channel.nexus();
        int rspFlags = joined.rspFlags();
        int maxItIu = maxItIuLength(login, immediateOffset);
        if (immediateOffset != 0) {
            rspFlags |= SrpIu.RSP_IMMEDIATE_SUPPORTED;
        }
        RdmaConnection connection;
        channels.put(channel, new CompletableFuture<>());
        try {
            connection = request.accept(config.withRecv(config.recvQueueDepth(), maxItIu), channel,
                    SrpIu.loginResponse(login.tag(), CREDITS, maxItIu, MAX_TI_IU, rspFlags));
        } catch (RdmaException e) {
            log.warn("SRP login from {} could not be accepted: {}", request.remoteAddress(), e.getMessage());
            channelClosing(channel);
            channels.remove(channel).complete(null);
            return;
        }
        channel.attach(connection);
        log.info("SRP login of {} from {} accepted ({} channel(s) on its nexus, IT IU {} bytes, {})",
                initiator.initiatorName(), request.remoteAddress(), nexus.channels().size(), maxItIu,
                immediateOffset != 0 ? "immediate data at offset " + immediateOffset : "no immediate data");
    }

    /**
     * Why a login is refused (an SRP_LOGIN_REJ reason, SRP-2 Table 11), or 0: the port is closed or
     * exports no target, the IUs it asks for cannot hold an SRP_CMD, it offers no descriptor format
     * we take, it names another target port, or the target's access rules do not allow it.
     *
     * @param expectedTargetPortId the identifier the initiator must name, or null for any
     */
    int refusal(SrpIu.LoginRequest login, ServedTarget target, byte[] expectedTargetPortId, InetAddress from) {
        TransportId.Srp initiator = new TransportId.Srp(login.initiatorPortId());
        if (closed || target == null) {
            return SrpIu.REJ_UNABLE_ESTABLISH_CHANNEL;
        }
        if (login.requestedItIuLength() < SrpIu.CMD_HEADER_LENGTH) {
            return SrpIu.REJ_UNABLE_ESTABLISH_CHANNEL;
        }
        if ((login.bufferFormats() & (SrpIu.BUF_FORMAT_DIRECT | SrpIu.BUF_FORMAT_INDIRECT)) == 0) {
            return SrpIu.REJ_UNSUPPORTED_DESCRIPTOR_FORMAT;
        }
        if (expectedTargetPortId != null && !java.util.Arrays.equals(expectedTargetPortId, login.targetPortId())) {
            return SrpIu.REJ_UNABLE_ASSOCIATE_CHANNEL;
        }
        if (!target.access().allows(initiator.initiatorName(), from)) {
            return SrpIu.REJ_UNABLE_ESTABLISH_CHANNEL;
        }
        return 0;
    }

    /** An accepted login's new channel, on its nexus, and the LOGIN_RSP multi-channel result. */
    record Joined(SrpChannel channel, int rspFlags) {}

    /**
     * Puts an accepted login's channel on its initiator port's I_T nexus (SRP-2 §5.6.2): SINGLE
     * ends the port's nexus, if any (the core hears of its loss, its channels get SRP_T_LOGOUT)
     * and starts a new one (TERMINATED); MULTI joins the live one (MAINTAINED); a first login starts
     * one (NO CHANNELS). A nexus whose last channel left meanwhile is replaced.
     */
    Joined join(SrpIu.LoginRequest login, ServedTarget target, Function<SrpNexus, SrpChannel> newChannel) {
        TransportId.Srp initiator = new TransportId.Srp(login.initiatorPortId());
        String targetPort = targetPortName(login.targetPortId());
        int rspFlags = SrpIu.RSP_NO_CHANNELS;
        SrpNexus nexus = nexuses.get(initiator);
        if (nexus != null && login.multiChannelAction() == SrpIu.MULTICHANNEL_SINGLE) {
            nexuses.remove(initiator, nexus);
            // The old nexus is lost before the new one (an equal ItNexus) is established.
            if (nexus.end()) {
                nexus.core().nexusLost(nexus.itNexus());
            }
            for (SrpChannel old : nexus.channels()) {
                old.logout(SrpIu.T_LOGOUT_MULTICHANNEL_ACTION, "a SINGLE login of the same initiator port");
            }
            rspFlags = SrpIu.RSP_TERMINATED;
            nexus = null;
        } else if (nexus != null) {
            rspFlags = SrpIu.RSP_MAINTAINED;
        }
        while (true) {
            if (nexus == null) {
                SrpNexus made = new SrpNexus(ItNexus.of(initiator, targetPort, RELATIVE_PORT_ID), target);
                SrpNexus raced = nexuses.putIfAbsent(initiator, made);
                nexus = raced != null ? raced : made;
                if (raced == null) {
                    target.core().addTargetPort(RELATIVE_PORT_ID, targetPort);
                    target.core().nexusEstablished(made.itNexus());
                }
            }
            SrpChannel candidate = newChannel.apply(nexus);
            if (nexus.add(candidate)) {
                return new Joined(candidate, rspFlags);
            }
            nexuses.remove(initiator, nexus);
            nexus = null;
        }
    }

    /** The largest IU the initiator may send: its own request when immediate data is granted, else at most ours. */
    static int maxItIuLength(SrpIu.LoginRequest login, int immediateDataOffset) {
        return immediateDataOffset != 0 ? login.requestedItIuLength()
                : Math.min(login.requestedItIuLength(), MAX_IT_IU);
    }

    /**
     * The immediate data offset to grant (0: none): the initiator asked, the offset leaves room for
     * the SRP_CMD header, and its IUs fit the receive buffers we are willing to post.
     */
    static int immediateDataOffset(SrpIu.LoginRequest login) {
        int offset = login.immediateDataOffset();
        boolean fits = login.requestedItIuLength() <= MAX_IMMEDIATE_IT_IU
                && offset < login.requestedItIuLength();
        return offset >= SrpIu.CMD_HEADER_LENGTH && fits ? offset : 0;
    }

    /** The device's node GUID twice (ib_srpt's target port identifier), or null when unknown. */
    static byte[] expectedTargetPortId(RdmaDevice device) {
        try {
            String guid = Files.readString(Path.of("/sys/class/infiniband", device.name(), "node_guid")).trim()
                    .replace(":", "");
            byte[] half = HexFormat.of().parseHex(guid);
            if (half.length != 8) {
                return null;
            }
            byte[] id = new byte[16];
            System.arraycopy(half, 0, id, 0, 8);
            System.arraycopy(half, 0, id, 8, 8);
            return id;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String targetPortName(byte[] targetPortId) {
        return "srp,0x" + HexFormat.of().formatHex(targetPortId);
    }

    // ------------------------------------------------------------------ channel ends

    /** A channel leaves LIVE (on its loop): the last one of a nexus ends the nexus. */
    void channelClosing(SrpChannel channel) {
        SrpNexus nexus = channel.nexus();
        if (nexus.remove(channel)) {
            nexuses.remove(nexus.itNexus().transportId(), nexus);
            nexus.core().nexusLost(nexus.itNexus());
            log.info("SRP I_T nexus {} ended", nexus);
        }
    }

    /** A channel's queue pair is destroyed (once): its memory is free. */
    void channelReleased(SrpChannel channel) {
        commands.add(channel.commands());
        immediateCommands.add(channel.immediateCommands());
        if (channel.loggedOut()) {
            targetLogouts.increment();
        }
        released.increment();
        CompletableFuture<Void> done = channels.remove(channel);
        if (done != null) {
            done.complete(null);
        }
    }

    /** Channels released so far (the guest scenario checks the drain). */
    public long releasedChannels() {
        return released.sum();
    }

    /** SCSI commands received by released channels (the denominator of per-I/O counts). */
    public long releasedCommands() {
        return commands.sum();
    }

    /** Verbs calls, completions and wake-ups of every released channel. */
    public RdmaCounters.Snapshot releasedCounters() {
        RdmaCounters.Snapshot sum = new RdmaCounters.Snapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        for (RdmaListener l : listeners) {
            sum = sum.plus(l.releasedCounters());
        }
        return sum;
    }

    // ------------------------------------------------------------------ Fabric

    @Override
    public String name() {
        return "srp";
    }

    @Override
    public CompletableFuture<Void> endSessions(ServedTarget target) {
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        channels.forEach((channel, done) -> {
            if (channel.nexus().target() == target && channel.connection() != null) {
                ends.add(done);
                channel.logout(SrpIu.T_LOGOUT_NO_REASON, "target " + target.name() + " removed");
            }
        });
        return CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new));
    }

    @Override
    public List<SessionInfo> sessions() {
        List<SessionInfo> list = new ArrayList<>();
        for (SrpNexus nexus : nexuses.values()) {
            List<SrpChannel> its = nexus.channels();
            Map<String, String> parameters = new LinkedHashMap<>();
            parameters.put("Channels", Integer.toString(its.size()));
            String address = its.isEmpty() || its.getFirst().connection() == null ? ""
                    : String.valueOf(its.getFirst().connection().remoteAddress());
            list.add(new SessionInfo(sessionId(nexus), name(), nexus.itNexus().initiatorPort(), address,
                    nexus.target().name(), parameters, its.stream().mapToInt(SrpChannel::outstanding).sum()));
        }
        return list;
    }

    @Override
    public boolean dropSession(String id) {
        for (SrpNexus nexus : nexuses.values()) {
            if (sessionId(nexus).equals(id)) {
                nexus.channels().forEach(c -> c.logout(SrpIu.T_LOGOUT_NO_REASON, "session dropped by the operator"));
                return true;
            }
        }
        return false;
    }

    private static String sessionId(SrpNexus nexus) {
        return "srp-" + nexus.itNexus().initiatorPort().substring(2);
    }

    // ------------------------------------------------------------------ resources

    private static RdmaBufferPool sendPool(RdmaDevice device) throws RdmaException {
        return device.sharedPool("srp-send", MAX_TI_IU, SEND_BUFFERS_PER_DEVICE, RdmaBufferPool.LOCAL_WRITE);
    }

    private RegisteredDataAllocator allocator(RdmaDevice device) throws RdmaException {
        RegisteredDataAllocator existing = allocators.get(device);
        if (existing != null) {
            return existing;
        }
        allocators.putIfAbsent(device, RegisteredDataAllocator.on(device));
        return allocators.get(device);
    }

    /**
     * Logs out every channel (SRP_T_LOGOUT, then the disconnect), waits for each release, then
     * closes the listeners and frees the device resources. Not on an event loop.
     */
    @Override
    public void close() {
        closed = true;
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        channels.forEach((channel, done) -> {
            ends.add(done);
            channel.logout(SrpIu.T_LOGOUT_NO_REASON, "the SRP target port is closing");
        });
        try {
            CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new))
                    .get(DRAIN_TIMEOUT_MILLIS + 2 * SrpChannel.LOGOUT_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("SRP target port: {} channel(s) not released after their logout; closing them",
                    channels.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.warn("SRP target port: waiting for its channels failed: {}", e.getCause().toString());
        }
        for (RdmaListener listener : listeners) {
            try {
                listener.close();
            } catch (RdmaException e) {
                log.warn("closing the SRP listener {}: {}", listener.localAddress(), e.getMessage());
            }
        }
        if (listeners.isEmpty()) {
            return; // it never listened
        }
        log.info("SRP target port: {} channels released ({} after SRP_T_LOGOUT); {} commands with immediate data",
                released.sum(), targetLogouts.sum(), immediateCommands.sum());
        log.info("SRP target port closed: {} SCSI commands; {}", commands.sum(), releasedCounters());
    }
}
