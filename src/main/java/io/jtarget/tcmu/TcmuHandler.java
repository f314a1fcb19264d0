package io.jtarget.tcmu;

import io.jtarget.backstore.BackingSpec;
import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.StoreContext;
import io.jtarget.backstore.Stores;
import io.jtarget.config.BackingSpecParser;
import io.jtarget.net.WatchedFd;
import io.jtarget.registry.Fabric;
import io.jtarget.registry.ServedTarget;
import io.jtarget.registry.SessionInfo;
import io.jtarget.scsi.LogicalUnit;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jtarget as LIO's user-space backstore handler (TCMU): serves every user backstore whose
 * configuration string names it ({@code dev_config=jtarget/file:/srv/disk.img},
 * {@code jtarget/ram:1G}), from the moment it starts (devices that exist are found in
 * /sys/class/uio) and as devices come and go (the TCMU generic netlink family's ADDED, REMOVED
 * and RECONFIG events, each answered with the {@code *_DONE} reply the kernel waits for).
 *
 * <p>Threads: the netlink socket and each device's uio descriptor are watched by the given event
 * loops (a device stays on the loop it was given); stores are opened through the store seam
 * ({@link Stores}) with the given context, so their blocking I/O uses the server's backend pool.
 * Nothing here has a thread of its own.
 */
public final class TcmuHandler implements Fabric, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcmuHandler.class);
    /** The handler name in a backstore's configuration string: {@code dev_config=jtarget/<spec>}. */
    public static final String HANDLER_NAME = "jtarget";
    private static final long CLOSE_TIMEOUT_SECONDS = 10;

    private final EventLoopGroup loops;
    private final StoreContext stores;
    private final TcmuNetlink netlink;
    private final Path sysUio;
    private final Path configfs;
    private final Map<Integer, TcmuDevice> devices = new ConcurrentHashMap<>();
    /** Devices being opened, by uio minor. */
    private final Map<Integer, CompletableFuture<Integer>> adding = new ConcurrentHashMap<>();
    private WatchedFd watchedNetlink;
    private volatile boolean closed;

    private TcmuHandler(EventLoopGroup loops, StoreContext stores, TcmuNetlink netlink, Path sysUio,
            Path configfs) {
        this.loops = loops;
        this.stores = stores;
        this.netlink = netlink;
        this.sysUio = sysUio;
        this.configfs = configfs;
    }

    /**
     * Start serving: join the TCMU netlink family, then serve the devices that already exist.
     *
     * @param loops native epoll event loops (the server's)
     * @param stores what stores are opened with (the backend pool's fair dispatcher, store options)
     * @throws TcmuUnavailableException when this machine cannot serve TCMU devices (module not loaded,
     *     not permitted); its message is one line for the user
     */
    public static TcmuHandler start(EventLoopGroup loops, StoreContext stores)
            throws TcmuUnavailableException, IOException, InterruptedException {
        TcmuNetlink netlink;
        try {
            netlink = TcmuNetlink.open(true);
        } catch (Posix.NativeException e) {
            throw new TcmuUnavailableException("cannot open the TCMU netlink socket: " + e.getMessage(), e);
        }
        TcmuHandler handler = new TcmuHandler(loops, stores, netlink, UioDevice.SYS_UIO, UioDevice.CONFIGFS_CORE);
        try {
            handler.watchedNetlink = await(WatchedFd.watch(loops.next(), netlink.fd(), handler::onNetlink)
                    .toCompletableFuture());
            handler.scan();
            return handler;
        } catch (IOException | RuntimeException | InterruptedException e) {
            handler.close();
            throw e;
        }
    }

    private static <T> T await(CompletableFuture<T> f) throws IOException, InterruptedException {
        try {
            return f.get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("timed out", e);
        }
    }

    /** Serve every device present now that names this handler. */
    private void scan() throws IOException, InterruptedException {
        for (UioDevice uio : UioDevice.scan(sysUio)) {
            if (uio.namesHandler(HANDLER_NAME) && !devices.containsKey(uio.minor())) {
                int status = await(add(uio));
                if (status != 0) {
                    log.error("{} is not served (errno {})", uio, -status);
                }
            }
        }
    }

    /** The devices served now, by uio minor. */
    public List<String> describeDevices() {
        List<String> out = new ArrayList<>();
        devices.values().forEach(d -> out.add(d.uio() + " " + d.unit().device().describe()));
        return out;
    }

    // ------------------------------------------------------------------ Fabric (beside serve's registry)

    @Override
    public String name() {
        return "tcmu";
    }

    /** LIO's user backstores are not the registry's targets: removing one of those ends nothing here. */
    @Override
    public CompletableFuture<Void> endSessions(ServedTarget target) {
        return CompletableFuture.completedFuture(null);
    }

    /** The kernel is this fabric's only initiator; its sessions are LIO's (targetcli shows them). */
    @Override
    public List<SessionInfo> sessions() {
        return List.of();
    }

    @Override
    public boolean dropSession(String id) {
        return false;
    }

    /** Each device served now, named {@code tcmu/user_<hba>/<device>} as LIO names the backstore. */
    @Override
    public List<OwnUnit> ownUnits() {
        return devices.values().stream()
                .sorted(Comparator.comparingInt(d -> d.uio().minor()))
                .map(d -> new OwnUnit("tcmu/user_" + d.uio().hbaId() + "/" + d.uio().deviceName(), d.unit()))
                .toList();
    }

    /** Ring traffic counts of each device served now (for reports and tests), by uio minor. */
    Map<Integer, TcmuDevice.Stats> stats() throws IOException, InterruptedException {
        Map<Integer, TcmuDevice.Stats> out = new ConcurrentHashMap<>();
        for (TcmuDevice d : devices.values()) {
            out.put(d.uio().minor(), await(d.statsSnapshot().toCompletableFuture()));
        }
        return out;
    }

    /** On the netlink loop: handle every event waiting. */
    private void onNetlink() {
        if (closed) {
            return;
        }
        List<GenlMessage> messages;
        try {
            messages = netlink.receive();
        } catch (IOException e) {
            // ENOBUFS: the kernel dropped events; what exists now is in sysfs.
            log.warn("TCMU netlink: {}; rescanning devices", e.getMessage());
            rescanLater();
            return;
        } catch (IllegalArgumentException e) {
            log.warn("TCMU netlink: malformed message: {}", e.getMessage());
            return;
        }
        for (GenlMessage m : messages) {
            if (m.type() == GenlMessage.NLMSG_ERROR) {
                if (m.error() != 0) {
                    log.warn("TCMU netlink: the kernel refused a reply (errno {})", -m.error());
                }
            } else if (netlink.isTcmuEvent(m)) {
                onEvent(m);
            }
        }
    }

    private void rescanLater() {
        loops.next().execute(() -> {
            try {
                for (UioDevice uio : UioDevice.scan(sysUio)) {
                    if (uio.namesHandler(HANDLER_NAME) && !devices.containsKey(uio.minor())) {
                        add(uio);
                    }
                }
            } catch (IOException e) {
                log.error("scanning {} failed: {}", sysUio, e.toString());
            }
        });
    }

    private void onEvent(GenlMessage m) {
        String name = m.string(TcmuAbi.ATTR_DEVICE);
        int minor = (int) m.unsigned(TcmuAbi.ATTR_MINOR, -1);
        int deviceId = (int) m.unsigned(TcmuAbi.ATTR_DEVICE_ID, -1);
        if (name == null || minor < 0) {
            log.warn("TCMU netlink event without device: {}", TcmuNetlink.describe(m));
            return;
        }
        UioDevice parsed;
        try {
            parsed = UioDevice.parse(minor, name).orElse(null);
        } catch (IllegalArgumentException e) {
            parsed = null;
        }
        UioDevice uio = parsed;
        if (uio == null || !uio.namesHandler(HANDLER_NAME)) {
            return; // another handler's device: its handler replies
        }
        log.debug("TCMU netlink: {}", TcmuNetlink.describe(m));
        switch (m.command()) {
            case TcmuAbi.CMD_ADDED_DEVICE -> add(uio).thenAccept(status -> reply(TcmuAbi.CMD_ADDED_DEVICE_DONE, deviceId,
                    status, uio));
            case TcmuAbi.CMD_REMOVED_DEVICE -> remove(uio).thenAccept(v -> reply(TcmuAbi.CMD_REMOVED_DEVICE_DONE,
                    deviceId, 0, uio));
            case TcmuAbi.CMD_RECONFIG_DEVICE -> offLoop(uio, () -> CompletableFuture.completedFuture(reconfigure(uio, m)))
                    .thenAccept(status -> reply(TcmuAbi.CMD_RECONFIG_DEVICE_DONE, deviceId, status, uio));
            default -> log.debug("TCMU netlink: ignoring command {}", m.command());
        }
    }

    private void reply(int doneCommand, int deviceId, int status, UioDevice uio) {
        if (deviceId < 0) {
            return;
        }
        try {
            netlink.reply(doneCommand, deviceId, status);
        } catch (IOException e) {
            log.error("{}: replying to the kernel failed: {}", uio, e.getMessage());
        }
    }

    /**
     * Serve a device: open its store, map its ring, watch it. Completes with 0, or a negative errno
     * (the kernel fails the configfs write that enabled the device with it).
     */
    private CompletableFuture<Integer> add(UioDevice uio) {
        if (closed) {
            return CompletableFuture.completedFuture(-Posix.ENODEV);
        }
        if (devices.containsKey(uio.minor())) {
            return CompletableFuture.completedFuture(0);
        }
        // The start-up scan and an ADDED event may meet on a device being enabled: one opens it, both
        // answer with its outcome.
        CompletableFuture<Integer> mine = new CompletableFuture<>();
        CompletableFuture<Integer> running = adding.putIfAbsent(uio.minor(), mine);
        if (running != null) {
            return running;
        }
        open(uio).whenComplete((status, error) -> {
            adding.remove(uio.minor(), mine);
            mine.complete(error != null ? -Posix.EINVAL : status);
        });
        return mine;
    }

    /**
     * Runs {@code work} on the backend pool: opening or resizing a store may block (a file created
     * and sized and fsynced, an RBD image's cluster reached), and the loop that reads netlink also
     * serves rings and, under {@code serve --tcmu}, iSCSI connections. Completes with its status, or
     * -EBUSY when the pool refuses the work.
     */
    private CompletableFuture<Integer> offLoop(UioDevice uio, Callable<CompletableFuture<Integer>> work) {
        CompletableFuture<CompletableFuture<Integer>> started = new CompletableFuture<>();
        stores.dispatcher().execute(uio, () -> {
            try {
                started.complete(work.call());
            } catch (Exception | Error e) {
                log.error("{}: {}", uio, e.toString());
                started.complete(CompletableFuture.completedFuture(-Posix.EINVAL));
            }
        }, error -> started.complete(CompletableFuture.completedFuture(-Posix.EBUSY)));
        return started.thenCompose(status -> status);
    }

    private CompletableFuture<Integer> open(UioDevice uio) {
        return offLoop(uio, () -> openNow(uio));
    }

    /** {@link #open} on the backend pool: the store, the logical unit, the ring; then served on a loop. */
    private CompletableFuture<Integer> openNow(UioDevice uio) {
        BackingSpecParser.ParsedLun parsed;
        try {
            parsed = BackingSpecParser.parseLun(uio.lunSpec());
        } catch (IllegalArgumentException e) {
            log.error("{}: bad configuration: {}", uio, e.getMessage());
            return CompletableFuture.completedFuture(-Posix.EINVAL);
        }
        BackingSpec spec = withLioSize(parsed.backing(), uio.configuredSize(configfs));
        BlockDevice store;
        try {
            store = Stores.open(spec, stores);
        } catch (IOException | IllegalArgumentException e) {
            log.error("{}: cannot open the store: {}", uio, e.getMessage());
            return CompletableFuture.completedFuture(-Posix.EINVAL);
        }
        long lioSize = uio.configuredSize(configfs);
        long size = store.blockCount() * store.blockSize();
        if (lioSize != 0 && lioSize != size) {
            log.warn("{}: LIO's dev_size is {} bytes but the store has {}; the initiator sees the store's size", uio,
                    lioSize, size);
        }
        String serial = uio.unitSerial(configfs).orElseGet(() -> derivedSerial(uio));
        LogicalUnit unit = new LogicalUnit(0, store, parsed.readOnly(), serial, parsed.removable());
        int fd = -1;
        Arena arena = null;
        try {
            fd = Posix.open(uio.devicePath().toString(), Posix.O_RDWR | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
            arena = Arena.ofShared();
            MemorySegment map = Posix.mmapShared(fd, uio.mapSize(sysUio), arena);
            failCommandsOfEarlierHandler(uio, map);
            EventLoop loop = loops.next();
            int openedFd = fd;
            Arena openedArena = arena;
            return TcmuDevice.serve(uio, fd, arena, map, unit, loop).toCompletableFuture().handle((device, error) -> {
                if (error != null) {
                    log.error("{}: cannot watch the device: {}", uio, error.toString());
                    store.close();
                    openedArena.close();
                    Posix.close(openedFd);
                    return -Posix.EINVAL;
                }
                devices.put(uio.minor(), device);
                log.info("serving {} from {} ({} bytes, serial {})", uio, store.describe(), size, serial);
                return 0;
            });
        } catch (IOException | RuntimeException e) {
            log.error("{}: cannot open the ring: {}", uio, e.getMessage());
            store.close();
            if (arena != null) {
                arena.close();
            }
            if (fd >= 0) {
                Posix.close(fd);
            }
            int errno = e instanceof Posix.NativeException n ? n.errno() : Posix.EINVAL;
            if (errno == Posix.EBUSY) {
                log.error("{}: another handler has it open (tcmu-runner?)", uio);
            }
            return CompletableFuture.completedFuture(-errno);
        }
    }

    /**
     * A ring whose head is not its tail holds commands an earlier handler took and never completed
     * (it was killed), or never took. They are failed with BUSY through the kernel's reset_ring
     * action, so the initiator retries them against us: none is lost silently, none runs twice.
     */
    private void failCommandsOfEarlierHandler(UioDevice uio, MemorySegment map) throws IOException {
        int head = map.get(ValueLayout.JAVA_INT, TcmuAbi.MB_CMD_HEAD);
        int tail = map.get(ValueLayout.JAVA_INT, TcmuAbi.MB_CMD_TAIL);
        if (head == tail) {
            return;
        }
        Path reset = uio.configfs(configfs).resolve("action/reset_ring");
        log.warn("{}: the ring holds unfinished commands (head {}, tail {}); failing them with BUSY for the initiator "
                + "to retry ({})", uio, head, tail, reset);
        Files.writeString(reset, "1");
    }

    /** A file spec without size for a file that does not exist yet takes LIO's dev_size. */
    private static BackingSpec withLioSize(BackingSpec spec, long lioSize) {
        if (spec instanceof BackingSpec.File f && f.sizeBytes() == 0 && lioSize > 0 && !Files.exists(f.path())) {
            return new BackingSpec.File(f.path(), lioSize, f.writeThrough());
        }
        return spec;
    }

    private static String derivedSerial(UioDevice uio) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(("tcmu\0" + uio.hbaId() + "\0" + uio.deviceName()
                    + "\0" + uio.config()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private CompletableFuture<Void> remove(UioDevice uio) {
        TcmuDevice device = devices.remove(uio.minor());
        if (device == null) {
            return CompletableFuture.completedFuture(null);
        }
        log.info("{} removed by LIO", uio);
        return device.close(true).orTimeout(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS).exceptionally(e -> {
            log.error("{}: commands still running after {} s; the ring stays mapped", uio, CLOSE_TIMEOUT_SECONDS);
            return null;
        });
    }

    /**
     * RECONFIG_DEVICE: the kernel applies a new dev_size, dev_config or emulate_write_cache only when
     * the handler agrees. A new dev_size resizes the store live (a file grows sparse or is truncated;
     * a shrink that would drop written blocks is refused) and the initiators see CAPACITY DATA HAS
     * CHANGED (SBC-4 §4.6); a store cannot change identity or write cache while served, so only
     * values that match are accepted there. A refusal (-errno) leaves LIO with the old value.
     */
    private int reconfigure(UioDevice uio, GenlMessage m) {
        TcmuDevice device = devices.get(uio.minor());
        if (device == null) {
            return -Posix.ENODEV;
        }
        BlockDevice store = device.unit().device();
        if (m.has(TcmuAbi.ATTR_WRITECACHE)) {
            boolean requested = m.unsigned(TcmuAbi.ATTR_WRITECACHE, 0) != 0;
            if (requested != store.writeCacheEnabled()) {
                log.warn("{}: refusing emulate_write_cache={}: the store's write cache is {}", uio, requested ? 1 : 0,
                        store.writeCacheEnabled() ? "on" : "off");
                return -Posix.EOPNOTSUPP;
            }
        }
        if (m.has(TcmuAbi.ATTR_DEV_CFG)) {
            String config = m.string(TcmuAbi.ATTR_DEV_CFG);
            if (!(HANDLER_NAME + "/" + uio.config()).equals(config.strip())) {
                log.warn("{}: refusing dev_config '{}': a served device keeps its store", uio, config);
                return -Posix.EOPNOTSUPP;
            }
        }
        if (m.has(TcmuAbi.ATTR_DEV_SIZE)) {
            long requested = m.unsigned(TcmuAbi.ATTR_DEV_SIZE, -1);
            long size = store.blockCount() * store.blockSize();
            if (requested != size) {
                return resize(uio, device, requested);
            }
        }
        return 0;
    }

    /** A live resize to {@code bytes}, on the backend pool (the store may touch the disk or its cluster). */
    private int resize(UioDevice uio, TcmuDevice device, long bytes) {
        BlockDevice store = device.unit().device();
        if (bytes <= 0 || bytes % store.blockSize() != 0) {
            log.warn("{}: refusing dev_size {}: not a positive multiple of {} bytes", uio, bytes, store.blockSize());
            return -Posix.EINVAL;
        }
        long blocks = bytes / store.blockSize();
        try {
            if (blocks < store.blockCount() && store.holdsDataFrom(blocks)) {
                log.warn("{}: refusing dev_size {}: blocks beyond it hold data", uio, bytes);
                return -Posix.EBUSY;
            }
            store.resize(blocks);
        } catch (UnsupportedOperationException e) {
            log.warn("{}: refusing dev_size {}: {}", uio, bytes, e.getMessage());
            return -Posix.EOPNOTSUPP;
        } catch (IOException e) {
            log.error("{}: resizing to {} bytes failed: {}", uio, bytes, e.getMessage());
            return -Posix.EINVAL;
        }
        device.core().capacityChanged(device.unit());
        log.info("{}: resized to {} bytes", uio, bytes);
        return 0;
    }

    /** Stop: no more events; every device finishes the commands it took, then unmaps its ring. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // On the netlink loop, so that no receive runs concurrently with the acknowledgement read here.
        Runnable stopEvents = () -> {
            if (watchedNetlink != null) {
                watchedNetlink.close();
            }
            try {
                // Devices created while no handler runs must not wait for a reply nobody sends.
                netlink.setReplies(false);
            } catch (IOException | TcmuUnavailableException | RuntimeException e) {
                log.warn("turning TCMU netlink replies off failed: {}", e.getMessage());
            }
        };
        if (watchedNetlink != null) {
            watchedNetlink.loop().submit(stopEvents).awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } else {
            stopEvents.run();
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (TcmuDevice d : devices.values()) {
            closing.add(d.close(false));
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                    .get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.error("TCMU devices did not finish their commands in {} s", CLOSE_TIMEOUT_SECONDS);
        }
        devices.clear();
        if (watchedNetlink != null) {
            watchedNetlink.loop().submit(netlink::close).awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } else {
            netlink.close();
        }
    }
}
