package io.jtarget.net;

import io.jtarget.backstore.FairQueueExecutor;
import io.jtarget.backstore.StoreContext;
import io.jtarget.backstore.Stores;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.iscsi.session.IscsiConnection;
import io.jtarget.iscsi.session.IscsiServerContext;
import io.jtarget.iscsi.transport.tcp.TcpTransport;
import io.jtarget.iscsi.session.SecurityPolicy;
import io.jtarget.iscsi.session.Session;
import io.jtarget.metrics.LoginStats;
import io.jtarget.iser.IserPortal;
import io.jtarget.srp.SrpTargetPort;
import io.jtarget.rdma.RdmaException;
import io.jtarget.registry.Registry;
import io.jtarget.registry.RegistryException;
import io.jtarget.registry.ServedTarget;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running iSCSI server: event loops, listening portals, and the {@link Registry} of what is
 * served.
 *
 * <p>{@link #start} opens every backing store (through the registry), binds every portal (port 0
 * picks a free port; {@link #boundAddresses} tells which) and returns once the server accepts
 * logins. Targets and LUNs change later through {@link #registry()}; portals through
 * {@link #addPortal} / {@link #removePortal}. {@link #close} stops accepting, asks initiators to
 * log out, ends the sessions (outstanding commands complete or abort), flushes every backing store
 * and releases the threads.
 *
 * <p>Threads (DESIGN.md): a fixed set of event loops does all network I/O, one loop per
 * connection for its whole life; a small bounded pool runs blocking backend I/O.
 */
public final class IscsiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiServer.class);

    private final EventLoopGroup loops;
    private final ExecutorService backendPool;
    private final Registry registry;
    /** Listening channels by the portal they serve. */
    private final Map<IscsiServerContext.Portal, Channel> listeners = new ConcurrentHashMap<>();
    private final IscsiServerContext context;
    private final ChannelGroup channels;
    private final ServerBootstrap bootstrap;
    private final boolean epoll;
    private final FairQueueExecutor dispatcher;
    private final StoreContext stores;
    /** iSER (RFC 7145) portals: RDMA CM listeners whose connections run the same protocol core. */
    private final List<IserPortal> iserPortals = new CopyOnWriteArrayList<>();
    /** The SRP target port (T10 SRP-2), when --srp asked for one. */
    private volatile SrpTargetPort srpPort;
    private boolean closed;

    private IscsiServer(EventLoopGroup loops, ExecutorService backendPool, Registry registry,
            IscsiServerContext context, ChannelGroup channels, boolean epoll, FairQueueExecutor dispatcher,
            StoreContext stores) {
        this.loops = loops;
        this.stores = stores;
        this.backendPool = backendPool;
        this.registry = registry;
        this.dispatcher = dispatcher;
        this.context = context;
        this.channels = channels;
        this.epoll = epoll;
        this.bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        TcpTransport.install(ch.pipeline(), transport -> new IscsiConnection(context, transport));
                    }
                });
    }

    /**
     * Start serving {@code config}.
     *
     * @throws UncheckedIOException when a backing store cannot be opened (its message names it)
     * @throws IllegalArgumentException when the configuration is refused (e.g. a bad size)
     */
    public static IscsiServer start(ServerConfig config) throws InterruptedException {
        ServerConfig.Limits limits = config.limits();
        int loopThreads = limits.eventLoopThreads() > 0 ? limits.eventLoopThreads()
                : Runtime.getRuntime().availableProcessors();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory ioHandler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        if (!epoll) {
            log.warn("native epoll transport unavailable ({}); using NIO", Epoll.unavailabilityCause().toString());
        }
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(loopThreads,
                new DefaultThreadFactory("jtarget-net", true), ioHandler);
        ExecutorService backendPool = new ThreadPoolExecutor(limits.backendThreads(), limits.backendThreads(),
                60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new DefaultThreadFactory("jtarget-io", true));
        FairQueueExecutor dispatcher = FairQueueExecutor.over(backendPool);
        StoreContext stores = new StoreContext(dispatcher, config.stores().options(), config.stores().ioTimeout());
        Registry registry = new Registry(spec -> Stores.open(spec, stores), config.stateDir());
        ChannelGroup channels = new DefaultChannelGroup("iscsi", GlobalEventExecutor.INSTANCE);
        IscsiServer server = null;
        try {
            IscsiServerContext context = new IscsiServerContext(registry, limits, channels, config.discoveryAuth(),
                    config.connectionLimits());
            server = new IscsiServer(loops, backendPool, registry, context, channels, epoll, dispatcher, stores);
            registry.addFabric(new IscsiFabric(context, loops.next()));
            for (TargetConfig target : config.targets()) {
                addConfiguredTarget(registry, target);
            }
            for (InetSocketAddress portal : config.portals()) {
                server.addPortal(portal);
            }
            for (InetSocketAddress portal : config.iserPortals()) {
                server.addIserPortal(portal);
            }
            log.info("listening on {} ({} event loops, {} transport)", context.portals(), loopThreads,
                    epoll ? "epoll" : "nio");
            return server;
        } catch (RuntimeException | InterruptedException e) {
            if (server != null) {
                server.iserPortals.forEach(IserPortal::close);
                server.listeners.values().forEach(Channel::close);
            }
            registry.close();
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            backendPool.shutdownNow();
            throw e;
        }
    }

    /** A refused target at start is a start failure: an unopenable store as an I/O error, the rest as bad arguments. */
    private static void addConfiguredTarget(Registry registry, TargetConfig target) {
        try {
            registry.addTarget(target);
        } catch (RegistryException e) {
            if (e.reason() == RegistryException.Reason.STORE_FAILED) {
                throw new UncheckedIOException(new IOException(e.getMessage(), e));
            }
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** What is served: targets, LUs and stores; change it here while the server runs. */
    public Registry registry() {
        return registry;
    }

    /** The event loops; other servers of the process (the admin API) share them rather than add threads. */
    public EventLoopGroup eventLoops() {
        return loops;
    }

    /** True when the loops are native epoll loops (which also serve Unix domain sockets). */
    public boolean nativeTransport() {
        return epoll;
    }

    /**
     * Listen on one more portal (its own portal group and so one more target port of every target).
     *
     * @return the bound address (port 0 resolved)
     * @throws IllegalArgumentException when it is bound already
     */
    public synchronized InetSocketAddress addPortal(InetSocketAddress portal) throws InterruptedException {
        for (IscsiServerContext.Portal p : context.portalsWithTags()) {
            if (p.address().equals(portal)) {
                throw new IllegalArgumentException("portal " + portal + " is bound already");
            }
        }
        Channel listener = bootstrap.bind(portal).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
        IscsiServerContext.Portal added = context.addPortal(bound);
        listeners.put(added, listener);
        for (ServedTarget t : registry.targets()) {
            t.core().addTargetPort(added.tag(), IscsiServerContext.targetPortName(t.name(), added.tag()));
        }
        log.info("portal {} listening (portal group {})", bound, added.tag());
        return bound;
    }

    /**
     * Stop listening on a portal. Sessions that logged in through it keep running.
     *
     * @throws IllegalArgumentException when no portal is bound there
     */
    public synchronized void removePortal(InetSocketAddress portal) {
        IscsiServerContext.Portal found = null;
        for (IscsiServerContext.Portal p : context.portalsWithTags()) {
            if (p.address().equals(portal)) {
                found = p;
            }
        }
        if (found == null) {
            throw new IllegalArgumentException("no portal " + portal);
        }
        Channel listener = listeners.remove(found);
        context.removePortal(found);
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        log.info("portal {} closed", portal);
    }

    /** The bound portals with their portal group tags. */
    public List<IscsiServerContext.Portal> portalsWithTags() {
        return context.portalsWithTags();
    }

    /** Replace how discovery sessions authenticate. */
    public void discoveryAuth(AuthConfig auth) {
        context.discoveryAuth(auth);
    }

    /**
     * Listen for iSER on one more address. It may be a TCP portal's address (RDMA CM ports are their
     * own space); it is then the same portal group and target port, otherwise one more of each.
     *
     * @throws PortalUnavailableException without RDMA (no rdma-core, no device for the address)
     */
    public synchronized InetSocketAddress addIserPortal(InetSocketAddress portal) {
        if (!epoll) {
            throw new PortalUnavailableException("--iser " + hostPort(portal)
                    + ": RDMA needs the native epoll transport (Linux)");
        }
        IserPortal iser;
        try {
            iser = IserPortal.open(portal, loops, context, context.limits().maxCommandsPerSession());
        } catch (RdmaException e) {
            throw new PortalUnavailableException("--iser " + hostPort(portal) + ": " + e.getMessage(), e);
        }
        iserPortals.add(iser);
        InetSocketAddress bound = iser.localAddress();
        if (!context.portals().contains(bound)) {
            IscsiServerContext.Portal added = context.addPortal(bound);
            for (ServedTarget t : registry.targets()) {
                t.core().addTargetPort(added.tag(), IscsiServerContext.targetPortName(t.name(), added.tag()));
            }
        }
        log.info("iSER portal {} listening (portal group {})", bound, context.portalGroupTag(bound));
        return bound;
    }

    private static String hostPort(InetSocketAddress a) {
        return (a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress()) + ":" + a.getPort();
    }

    /**
     * Serves one target of the registry over SRP on {@code addresses} (RDMA/CM), closed with the server.
     *
     * @param targetName the target to export, or null for the first by name
     * @throws PortalUnavailableException without RDMA (no rdma-core, no device for an address), or
     *     when the target is not served
     */
    public synchronized SrpTargetPort addSrpPort(List<InetSocketAddress> addresses, String targetName) {
        String option = "--srp " + String.join(" ", addresses.stream().map(IscsiServer::hostPort).toList());
        if (!epoll) {
            throw new PortalUnavailableException(option + ": RDMA needs the native epoll transport (Linux)");
        }
        if (srpPort != null) {
            throw new IllegalStateException("the server has an SRP target port already");
        }
        if (targetName != null && registry.target(targetName) == null) {
            throw new PortalUnavailableException("--srp-target " + targetName + ": no such target");
        }
        try {
            srpPort = SrpTargetPort.open(addresses, loops, registry, targetName);
        } catch (RdmaException e) {
            throw new PortalUnavailableException(option + ": " + e.getMessage(), e);
        }
        return srpPort;
    }

    /** The SRP target port's addresses, as bound (empty without --srp). */
    public List<InetSocketAddress> srpAddresses() {
        SrpTargetPort srp = srpPort;
        return srp == null ? List.of() : srp.localAddresses();
    }

    /** The iSER portals' addresses, as bound. */
    public List<InetSocketAddress> iserAddresses() {
        return iserPortals.stream().map(IserPortal::localAddress).toList();
    }

    /** What stores are opened with (backend dispatcher, store options), for other fabrics in the same process. */
    public StoreContext storeContext() {
        return stores;
    }

    public List<InetSocketAddress> boundAddresses() {
        return context.portals();
    }

    /** The TargetPortalGroupTag of a bound portal (each portal is its own portal group). */
    public int portalGroupTag(InetSocketAddress portal) {
        return context.portalGroupTag(portal);
    }

    public List<ServedTarget> targets() {
        return registry.targets();
    }

    /** The authentication and access rules in force. */
    public SecurityPolicy security() {
        return context.security();
    }

    /** Open connections (logins in progress included), for tests and the management surface. */
    public int connectionCount() {
        return context.admission().open();
    }

    /** Live sessions, for tests and the management surface. */
    public int sessionCount() {
        return context.sessions().size();
    }

    /** Live normal sessions per target name (targets without sessions are absent). */
    public Map<String, Integer> sessionsByTarget() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Session s : context.sessions().all()) {
            if (s.target() != null) {
                counts.merge(s.target().name(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Logins by target and outcome since start. */
    public LoginStats loginStats() {
        return context.loginStats();
    }

    /** Data-Out buffer bytes all connections hold now (bounded per connection by --max-data-out-buffer). */
    public long dataOutBufferBytes() {
        return context.dataOutBytes();
    }

    /** Backend jobs waiting for a pool thread. */
    public int backendQueueDepth() {
        return dispatcher.queued();
    }

    /** Backend jobs queued since start: the I/O that did not complete on a network thread. */
    public long backendJobsSubmitted() {
        return dispatcher.submitted();
    }

    /** The TCP server channel type that fits {@link #eventLoops()} (epoll or NIO). */
    public Class<? extends ServerChannel> serverChannelType() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** How long {@link #close()} lets sessions drain before it closes what is left. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    /** Initiators asked to log out get this long to do so (RFC 7143 §11.9.1 Parameter3, seconds). */
    private static final int LOGOUT_GRACE_SECONDS = 2;

    @Override
    public void close() {
        close(DEFAULT_SHUTDOWN_TIMEOUT);
    }

    /**
     * Stops the server, draining within {@code timeout}: stop accepting, ask initiators to log out,
     * close the connections, wait for outstanding commands to complete or abort. What has not
     * drained when the deadline passes is abandoned (its backend work ends with the pool). Then every
     * backing store is flushed and closed (not bounded: an acknowledged write must reach the medium)
     * and the threads stop.
     *
     * @return true if every session drained before the deadline
     */
    public synchronized boolean close(Duration timeout) {
        if (closed) {
            return true;
        }
        closed = true;
        Deadline deadline = Deadline.after(timeout);
        log.info("shutting down: no new connections (drain deadline {} s)", timeout.toSeconds());
        for (Channel listener : listeners.values()) {
            listener.close().awaitUninterruptibly();
        }
        // Ask initiators to log out (RFC 7143 §11.9.1), give them a moment, then close what is left.
        List<Session> sessions = context.sessions().all();
        for (Session s : sessions) {
            IscsiConnection c = connectionOf(s);
            if (c != null) {
                c.requestLogout(LOGOUT_GRACE_SECONDS);
            }
        }
        if (!sessions.isEmpty()) {
            deadline.waitFor(() -> context.sessions().size() == 0, Duration.ofSeconds(LOGOUT_GRACE_SECONDS));
        }
        channels.close().awaitUninterruptibly(deadline.remaining().toMillis(), TimeUnit.MILLISECONDS);
        // An iSER portal disconnects its connections and waits until each is released.
        iserPortals.forEach(IserPortal::close);
        SrpTargetPort srp = srpPort;
        if (srp != null) {
            srp.close(); // disconnects its channels and waits until each is released
        }
        // Draining: connections closed, outstanding commands complete or abort.
        boolean drained = deadline.waitFor(() -> context.sessions().size() == 0, timeout);
        if (!drained) {
            log.warn("shutdown deadline of {} s passed with {} session(s) still draining; closing anyway",
                    timeout.toSeconds(), context.sessions().size());
        }
        registry.close();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        backendPool.shutdown();
        try {
            if (!backendPool.awaitTermination(Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS)) {
                backendPool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stopped");
        return drained;
    }

    private static IscsiConnection connectionOf(Session s) {
        return s.connection();
    }
}
