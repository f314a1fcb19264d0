package io.jtarget.net;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.StoreContext;
import io.jtarget.backstore.Stores;
import io.jtarget.backstore.FairQueueExecutor;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.iscsi.pdu.PduDecoder;
import io.jtarget.iscsi.pdu.PduEncoder;
import io.jtarget.iscsi.session.ExportedTarget;
import io.jtarget.iscsi.session.IscsiConnection;
import io.jtarget.iscsi.session.IscsiServerContext;
import io.jtarget.iscsi.session.SecurityPolicy;
import io.jtarget.iscsi.session.Session;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.scsi.PrStore;
import io.jtarget.scsi.ScsiTargetCore;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running iSCSI server: event loops, listening portals, targets.
 *
 * <p>{@link #start} opens every backing store, binds every portal (port 0 picks a free port;
 * {@link #boundAddresses} tells which) and returns once the server accepts logins.
 * {@link #close} stops accepting, asks initiators to log out, ends the sessions (outstanding
 * commands complete or abort), flushes every backing store and releases the threads.
 *
 * <p>Threads (DESIGN.md): a fixed set of event loops does all network I/O, one loop per
 * connection for its whole life; a small bounded pool runs blocking backend I/O.
 */
public final class IscsiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiServer.class);

    /** MaxRecvDataSegmentLength in force during login (RFC 7143 §13.12: 8192 until negotiated). */
    private static final int LOGIN_MAX_DATA_SEGMENT = 8192;

    private final EventLoopGroup loops;
    private final ExecutorService backendPool;
    private final StoreContext stores;
    private final List<ExportedTarget> targets;
    private final List<Channel> listeners;
    private final IscsiServerContext context;
    private final ChannelGroup channels;
    private boolean closed;

    private IscsiServer(EventLoopGroup loops, ExecutorService backendPool, StoreContext stores,
            List<ExportedTarget> targets, List<Channel> listeners, IscsiServerContext context, ChannelGroup channels) {
        this.loops = loops;
        this.backendPool = backendPool;
        this.stores = stores;
        this.targets = targets;
        this.listeners = listeners;
        this.context = context;
        this.channels = channels;
    }

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
        List<ExportedTarget> exported = new ArrayList<>();
        ChannelGroup channels = new DefaultChannelGroup("iscsi", GlobalEventExecutor.INSTANCE);
        List<Channel> listeners = new ArrayList<>();
        try {
            for (TargetConfig target : config.targets()) {
                exported.add(openTarget(target, stores, config.stateDir()));
            }
            IscsiServerContext context = new IscsiServerContext(exported, limits, channels,
                    SecurityPolicy.of(config.discoveryAuth(), config.targets()), config.connectionLimits());
            ServerBootstrap bootstrap = new ServerBootstrap()
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
                            PduDecoder decoder = new PduDecoder(LOGIN_MAX_DATA_SEGMENT);
                            PduEncoder.DigestSettings digests = new PduEncoder.DigestSettings();
                            ch.pipeline().addLast("pdu-decoder", decoder);
                            ch.pipeline().addLast("pdu-encoder", new PduEncoder(digests));
                            ch.pipeline().addLast("iscsi", new IscsiConnection(context, decoder, digests));
                        }
                    });
            for (InetSocketAddress portal : config.portals()) {
                Channel listener = bootstrap.bind(portal).sync().channel();
                listeners.add(listener);
                InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
                context.addPortal(bound);
                // Each portal is one target port of every target, under the tag logins through it get.
                int tag = context.portalGroupTag(bound);
                for (ExportedTarget t : exported) {
                    t.core().addTargetPort(tag, IscsiServerContext.targetPortName(t.name(), tag));
                }
            }
            log.info("listening on {} ({} event loops, {} transport)", context.portals(), loopThreads,
                    epoll ? "epoll" : "nio");
            return new IscsiServer(loops, backendPool, stores, List.copyOf(exported), listeners, context, channels);
        } catch (RuntimeException | InterruptedException e) {
            listeners.forEach(Channel::close);
            exported.forEach(t -> t.core().close());
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            backendPool.shutdownNow();
            throw e;
        }
    }

    private static ExportedTarget openTarget(TargetConfig target, StoreContext stores, Path stateDir) {
        List<LogicalUnit> units = new ArrayList<>();
        try {
            for (LunConfig lun : target.luns()) {
                BlockDevice device = Stores.open(lun.backing(), stores);
                LogicalUnit unit = new LogicalUnit(lun.lun(), device, lun.readOnly(), serialFor(target.name(), lun),
                        lun.removable());
                units.add(unit);
                if (stateDir != null) {
                    unit.persistReservationsIn(PrStore.forLogicalUnit(stateDir, unit.serial()));
                }
            }
        } catch (IOException e) {
            units.forEach(u -> u.device().close());
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            units.forEach(u -> u.device().close());
            throw e;
        }
        return new ExportedTarget(target.name(), new ScsiTargetCore(target.name(), units));
    }

    /**
     * A stable unit serial number (VPD 80h) and NAA seed: the same target, LUN and backing file
     * give the same identity after a restart, which multipath and clusters rely on.
     */
    static String serialFor(String targetName, LunConfig lun) {
        String backing = lun.backing().identity();
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest((targetName + "\0" + lun.lun() + "\0" + backing).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The event loops, for other fabrics that serve beside iSCSI in the same process (TCMU, RDMA). */
    public EventLoopGroup eventLoops() {
        return loops;
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

    public List<ExportedTarget> targets() {
        return targets;
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

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("shutting down: no new connections");
        for (Channel listener : listeners) {
            listener.close().awaitUninterruptibly();
        }
        // Ask initiators to log out (RFC 7143 §11.9.1), give them a moment, then close what is left.
        List<Session> sessions = context.sessions().all();
        for (Session s : sessions) {
            IscsiConnection c = connectionOf(s);
            if (c != null) {
                c.requestLogout(2);
            }
        }
        waitFor(() -> context.sessions().size() == 0, sessions.isEmpty() ? 0 : 2000);
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        // Draining: connections closed, outstanding commands complete or abort.
        waitFor(() -> context.sessions().size() == 0, 10_000);
        for (ExportedTarget target : targets) {
            try {
                target.core().close();
            } catch (RuntimeException e) {
                log.error("closing target {}: {}", target.name(), e.toString());
            }
        }
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        backendPool.shutdown();
        try {
            backendPool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stopped");
    }

    private static IscsiConnection connectionOf(Session s) {
        return s.connection();
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
