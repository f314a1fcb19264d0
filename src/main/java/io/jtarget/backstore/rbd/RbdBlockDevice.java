package io.jtarget.backstore.rbd;

import static io.jtarget.backstore.rbd.Librbd.PTR;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.DeviceClosedException;
import io.jtarget.backstore.FairQueueExecutor;
import io.jtarget.backstore.IoCallback;
import io.jtarget.backstore.MiscompareException;
import io.jtarget.backstore.StoreException;
import io.jtarget.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Ceph RBD image as a block device, through librbd's asynchronous C API bound with FFM.
 *
 * <p>I/O: every request is one {@code rbd_aio_*} call on the caller's thread (an event loop) that
 * returns at once; buffers go to librbd by address (direct {@link ByteBuf}s, no copy). librbd calls
 * the completion upcall on one of its own threads; the upcall completes the {@link IoCallback} there,
 * and the fabric hands it to the connection's loop as it does file completions. No thread waits per
 * I/O. Requests are tracked in a fixed table of {@link Op}s (the completion's argument is the slot
 * number), so the hot path allocates nothing of its own.
 *
 * <p>SCSI mapping: UNMAP and WRITE SAME with UNMAP → {@code rbd_aio_discard} (partial objects zeroed:
 * {@code rbd_skip_partial_discard=false}); WRITE SAME → {@code rbd_aio_writesame}; COMPARE AND WRITE →
 * {@code rbd_aio_compare_and_write}, atomic in the OSD; SYNCHRONIZE CACHE and FUA (with the librbd
 * cache on) → {@code rbd_aio_flush}; GET LBA STATUS → {@code rbd_diff_iterate2} on the backend pool
 * (it blocks); capacity from the image, kept current by an update watch ({@code rbd resize}).
 *
 * <p>Failures: librados' own deadlines ({@code rados_osd_op_timeout}, {@code rados_mon_op_timeout},
 * set to the store's I/O timeout) end a request the cluster does not answer with ETIMEDOUT. A
 * blocklisted client (EBLOCKLISTED) cannot be used again: the device answers FENCED and reconnects
 * with a new client instance (new address) on the backend pool until that works.
 */
public final class RbdBlockDevice implements BlockDevice {
    private static final Logger LOG = LoggerFactory.getLogger(RbdBlockDevice.class);

    static final int BLOCK_SIZE = 512;
    /** Requests in flight per device at most; beyond it requests fail with UNAVAILABLE (initiators retry). */
    static final int MAX_IN_FLIGHT = 4096;
    /** Per slot: the {@code rbd_completion_t} out-parameter and COMPARE AND WRITE's mismatch offset. */
    private static final long SCRATCH_BYTES = 16;
    /** GET LBA STATUS looks at most this far ahead in one {@code rbd_diff_iterate2} (bounded work). */
    static final long DIFF_WINDOW_BYTES = 256L << 20;
    /** Returned by the diff callback to end the iteration once the answer is known. */
    private static final int DIFF_STOP = -125; // -ECANCELED
    private static final Duration RECONNECT_INTERVAL = Duration.ofSeconds(2);

    private static final MethodHandle AIO_COMPLETE;
    private static final MethodHandle IMAGE_UPDATED;
    private static final MethodHandle DIFF_EXTENT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            AIO_COMPLETE = lookup.findVirtual(RbdBlockDevice.class, "aioComplete",
                    MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class));
            IMAGE_UPDATED = lookup.findVirtual(RbdBlockDevice.class, "imageUpdated",
                    MethodType.methodType(void.class, MemorySegment.class));
            DIFF_EXTENT = lookup.findVirtual(RbdBlockDevice.class, "diffExtent",
                    MethodType.methodType(int.class, long.class, long.class, int.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Who connects to which cluster, and the deadline of one operation. */
    record Client(String confPath, String id, String keyring, Duration timeout) {
        String describeConf() {
            return confPath != null ? confPath : "the default ceph.conf search path (/etc/ceph/ceph.conf)";
        }
    }

    private enum Kind {
        READ,
        WRITE,
        FLUSH,
        DISCARD,
        WRITE_SAME,
        COMPARE_AND_WRITE
    }

    /** One request slot. Fields are written by the submitter before the aio call and read by the completion. */
    private static final class Op {
        final int slot;
        final MemorySegment scratch;
        Kind kind;
        ByteBuf buffer;
        ByteBuf bounce;
        long offset;
        long length;
        long compareAddress;
        long writeAddress;
        boolean flushAfter;
        volatile IoCallback done;

        Op(int slot, MemorySegment scratch) {
            this.slot = slot;
            this.scratch = scratch;
        }
    }

    /** The librados client, pool context and image of one connection; replaced whole on reconnect. */
    private record Handles(MemorySegment cluster, MemorySegment ioctx, MemorySegment image, long watchHandle) {}

    private final RbdSpec spec;
    private final Client client;
    private final FairQueueExecutor dispatcher;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment aioCallback;
    private final MemorySegment updateCallback;
    private final MemorySegment diffCallback;
    private final Op[] ops = new Op[MAX_IN_FLIGHT];
    private final ArrayBlockingQueue<Op> free = new ArrayBlockingQueue<>(MAX_IN_FLIGHT);
    private final List<CapacityListener> capacityListeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger submitting = new AtomicInteger();
    private boolean writeCache; // set by open, before the device is published
    private long objectBytes; // set by open
    private final Object diffLock = new Object();
    private volatile Handles handles;
    private volatile long blockCount;
    private volatile boolean fenced;
    private volatile boolean closed;
    // The extent rbd_diff_iterate2 found, guarded by diffLock.
    private long diffStart;
    private long diffFirst;
    private long diffEnd;

    private RbdBlockDevice(RbdSpec spec, Client client, FairQueueExecutor dispatcher) {
        this.spec = spec;
        this.client = client;
        this.dispatcher = dispatcher;
        this.aioCallback = Librbd.upcall(AIO_COMPLETE.bindTo(this), Librbd.AIO_CALLBACK, arena);
        this.updateCallback = Librbd.upcall(IMAGE_UPDATED.bindTo(this), Librbd.UPDATE_CALLBACK, arena);
        this.diffCallback = Librbd.upcall(DIFF_EXTENT.bindTo(this), Librbd.DIFF_CALLBACK, arena);
        MemorySegment scratch = arena.allocate(SCRATCH_BYTES * MAX_IN_FLIGHT, 8);
        for (int i = 0; i < MAX_IN_FLIGHT; i++) {
            ops[i] = new Op(i, scratch.asSlice(i * SCRATCH_BYTES, SCRATCH_BYTES));
            free.add(ops[i]);
        }
    }

    /**
     * Connects to the cluster and opens the image (a snapshot read-only); blocks.
     *
     * @throws IOException one line naming the monitors and the ceph.conf used when the cluster cannot be
     *     reached, or the pool, image or snapshot when it does not exist
     */
    static RbdBlockDevice open(RbdSpec spec, Client client, FairQueueExecutor dispatcher) throws IOException {
        String unavailable = Librbd.unavailable();
        if (unavailable != null) {
            throw new IOException(spec.identity() + ": " + unavailable);
        }
        RbdBlockDevice device = new RbdBlockDevice(spec, client, dispatcher);
        try {
            device.handles = device.connect();
            device.loadGeometry();
            return device;
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** Image size, object size and whether librbd caches writes; before the device is published. */
    private void loadGeometry() throws IOException {
        try (Arena call = Arena.ofConfined()) {
            Handles h = handles;
            writeCache = "true".equals(confGet(h.cluster(), "rbd_cache", call));
            // rbd_image_info_t starts with uint64_t size, uint64_t obj_size; the rest is not needed.
            MemorySegment info = call.allocate(256, 8);
            check((int) Librbd.RBD_STAT.invokeExact(h.image(), info, info.byteSize()), "rbd_stat");
            blockCount = info.get(ValueLayout.JAVA_LONG, 0) / BLOCK_SIZE;
            objectBytes = info.get(ValueLayout.JAVA_LONG, 8);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private Handles connect() throws IOException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment out = call.allocate(PTR);
            check((int) Librbd.RADOS_CREATE2.invokeExact(out, call.allocateFrom("ceph"),
                    call.allocateFrom("client." + client.id()), 0L), "rados_create2");
            MemorySegment cluster = out.get(PTR, 0);
            boolean ok = false;
            try {
                // A local, not a conditional argument: invokeExact would type a conditional as Object.
                MemorySegment path = client.confPath() == null ? MemorySegment.NULL : call.allocateFrom(client.confPath());
                int rc = (int) Librbd.RADOS_CONF_READ_FILE.invokeExact(cluster, path);
                if (rc < 0) {
                    throw new IOException("cannot read " + client.describeConf() + ": " + Librbd.errno(rc));
                }
                if (client.keyring() != null) {
                    confSet(cluster, "keyring", client.keyring(), call);
                }
                String seconds = Long.toString(Math.max(1, client.timeout().toSeconds()));
                confSet(cluster, "rados_osd_op_timeout", seconds, call);
                confSet(cluster, "rados_mon_op_timeout", seconds, call);
                confSet(cluster, "client_mount_timeout", seconds, call);
                // A deallocated range reads as zeros (LBPRZ=1): partial objects are zeroed, not skipped.
                confSet(cluster, "rbd_skip_partial_discard", "false", call);
                rc = (int) Librbd.RADOS_CONNECT.invokeExact(cluster);
                if (rc < 0) {
                    throw new StoreException(StoreException.Kind.UNAVAILABLE, "cannot connect to the Ceph cluster at mon_host "
                            + confGet(cluster, "mon_host", call) + " (from " + client.describeConf() + ") as client."
                            + client.id() + ": " + Librbd.errno(rc));
                }
                check((int) Librbd.RADOS_IOCTX_CREATE.invokeExact(cluster, call.allocateFrom(spec.pool()), out),
                        "pool '" + spec.pool() + "'");
                MemorySegment ioctx = out.get(PTR, 0);
                try {
                    MemorySegment snap = spec.snapshot() == null ? MemorySegment.NULL : call.allocateFrom(spec.snapshot());
                    rc = spec.snapshot() == null
                            ? (int) Librbd.RBD_OPEN.invokeExact(ioctx, call.allocateFrom(spec.image()), out, snap)
                            : (int) Librbd.RBD_OPEN_READ_ONLY.invokeExact(ioctx, call.allocateFrom(spec.image()), out, snap);
                    check(rc, "image " + spec.identity().substring(RbdStore.SCHEME.length() + 1));
                    MemorySegment image = out.get(PTR, 0);
                    check((int) Librbd.RBD_UPDATE_WATCH.invokeExact(image, out, updateCallback, MemorySegment.NULL),
                            "rbd_update_watch");
                    long watch = out.get(ValueLayout.JAVA_LONG, 0);
                    ok = true;
                    return new Handles(cluster, ioctx, image, watch);
                } finally {
                    if (!ok) {
                        Librbd.RADOS_IOCTX_DESTROY.invokeExact(ioctx);
                    }
                }
            } finally {
                if (!ok) {
                    Librbd.RADOS_SHUTDOWN.invokeExact(cluster);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void confSet(MemorySegment cluster, String option, String value, Arena call) throws Throwable {
        int rc = (int) Librbd.RADOS_CONF_SET.invokeExact(cluster, call.allocateFrom(option), call.allocateFrom(value));
        if (rc < 0) {
            LOG.debug("librados does not take {}={}: {}", option, value, Librbd.errno(rc));
        }
    }

    private static String confGet(MemorySegment cluster, String option, Arena call) throws Throwable {
        MemorySegment buf = call.allocate(512);
        int rc = (int) Librbd.RADOS_CONF_GET.invokeExact(cluster, call.allocateFrom(option), buf, buf.byteSize());
        return rc < 0 ? "(unset)" : buf.getString(0, StandardCharsets.UTF_8);
    }

    private void check(int rc, String what) throws IOException {
        if (rc < 0) {
            throw new IOException(spec.identity() + ": " + what + ": " + Librbd.errno(rc));
        }
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public long blockCount() {
        return blockCount;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.DEALLOCATE, Capability.COMPARE_AND_WRITE, Capability.WRITE_SAME);
    }

    @Override
    public boolean writeCacheEnabled() {
        return writeCache;
    }

    @Override
    public boolean readOnly() {
        return spec.snapshot() != null;
    }

    @Override
    public String describe() {
        return spec.identity();
    }

    @Override
    public long deallocationGranularity() {
        return Math.max(1, objectBytes / BLOCK_SIZE);
    }

    /**
     * 4 KiB: bluestore allocates and checksums in 4 KiB units, so a smaller write costs the OSD a
     * read-modify-write (SBC-4 §5.21.2 LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT).
     */
    @Override
    public int logicalBlocksPerPhysicalBlock() {
        return 8;
    }

    /** librbd compares and writes within one 512-byte sector only (EINVAL otherwise). */
    @Override
    public int maxCompareAndWriteBlocks() {
        return 1;
    }

    @Override
    public void addCapacityListener(CapacityListener listener) {
        capacityListeners.add(listener);
    }

    @Override
    public void read(ItNexus nexus, long lba, int blocks, ByteBuf dst, IoCallback done) {
        long bytes = (long) blocks * BLOCK_SIZE;
        if (!inRange(lba, blocks, done)) {
            return;
        }
        Op op = take(done);
        if (op == null) {
            return;
        }
        op.kind = Kind.READ;
        op.offset = lba * BLOCK_SIZE;
        op.length = bytes;
        op.buffer = dst;
        dst.ensureWritable((int) bytes);
        if (!dst.hasMemoryAddress()) {
            op.bounce = PooledByteBufAllocator.DEFAULT.directBuffer((int) bytes);
        }
        start(op, done);
    }

    @Override
    public void write(ItNexus nexus, long lba, int blocks, ByteBuf src, boolean fua, IoCallback done) {
        if (!inRange(lba, blocks, done)) {
            return;
        }
        Op op = take(done);
        if (op == null) {
            return;
        }
        op.kind = Kind.WRITE;
        op.offset = lba * BLOCK_SIZE;
        op.length = (long) blocks * BLOCK_SIZE;
        op.buffer = src;
        op.bounce = bounceOf(src, (int) op.length);
        op.flushAfter = fua && writeCache;
        start(op, done);
    }

    @Override
    public void flush(ItNexus nexus, IoCallback done) {
        Op op = take(done);
        if (op == null) {
            return;
        }
        op.kind = Kind.FLUSH;
        start(op, done);
    }

    @Override
    public void deallocate(ItNexus nexus, long lba, long blocks, IoCallback done) {
        if (!inRange(lba, blocks, done)) {
            return;
        }
        Op op = take(done);
        if (op == null) {
            return;
        }
        op.kind = Kind.DISCARD;
        op.offset = lba * BLOCK_SIZE;
        op.length = blocks * BLOCK_SIZE;
        start(op, done);
    }

    @Override
    public void writeSame(ItNexus nexus, long lba, long blocks, ByteBuf block, boolean fua, IoCallback done) {
        if (!inRange(lba, blocks, done)) {
            return;
        }
        Op op = take(done);
        if (op == null) {
            return;
        }
        op.kind = Kind.WRITE_SAME;
        op.offset = lba * BLOCK_SIZE;
        op.length = blocks * BLOCK_SIZE;
        op.buffer = block;
        op.bounce = bounceOf(block, BLOCK_SIZE);
        op.flushAfter = fua && writeCache;
        start(op, done);
    }

    @Override
    public void compareAndWrite(ItNexus nexus, long lba, int blocks, ByteBuf compare, ByteBuf write, boolean fua,
            IoCallback done) {
        long bytes = (long) blocks * BLOCK_SIZE;
        if (!inRange(lba, blocks, done)) {
            return;
        }
        long offset = lba * BLOCK_SIZE;
        Op op = take(done);
        if (op == null) {
            return;
        }
        op.kind = Kind.COMPARE_AND_WRITE;
        op.offset = offset;
        op.length = bytes;
        // One bounce buffer holds both halves when either is not direct: [compare][write].
        if (compare.hasMemoryAddress() && write.hasMemoryAddress()) {
            op.buffer = compare;
            op.bounce = null;
            op.compareAddress = compare.memoryAddress() + compare.readerIndex();
            op.writeAddress = write.memoryAddress() + write.readerIndex();
        } else {
            ByteBuf both = PooledByteBufAllocator.DEFAULT.directBuffer((int) (2 * bytes));
            both.writeBytes(compare, compare.readerIndex(), (int) bytes).writeBytes(write, write.readerIndex(), (int) bytes);
            op.bounce = both;
            op.compareAddress = both.memoryAddress();
            op.writeAddress = both.memoryAddress() + bytes;
        }
        op.scratch.set(ValueLayout.JAVA_LONG, 8, 0L);
        start(op, done);
    }

    @Override
    public void provisioningStatus(ItNexus nexus, long lba, long maxBlocks, ProvisioningCallback done) {
        dispatcher.execute(nexus, () -> {
            ProvisioningExtent extent;
            try {
                extent = diff(lba, maxBlocks);
            } catch (IOException e) {
                done.complete(e, null);
                return;
            }
            done.complete(null, extent);
        }, rejected -> done.complete(rejected, null));
    }

    /** The first run of blocks from {@code lba} in one state, from {@code rbd_diff_iterate2} (blocks). */
    private ProvisioningExtent diff(long lba, long maxBlocks) throws IOException {
        Handles h = usable();
        long start = lba * BLOCK_SIZE;
        long end = Math.min(blockCount, lba + Math.max(1, maxBlocks)) * BLOCK_SIZE;
        long window = Math.min(end - start, DIFF_WINDOW_BYTES);
        synchronized (diffLock) {
            diffStart = start;
            diffFirst = -1;
            diffEnd = -1;
            int rc;
            try {
                rc = (int) Librbd.RBD_DIFF_ITERATE2.invokeExact(h.image(), MemorySegment.NULL, start, window,
                        (byte) 1, (byte) 0, diffCallback, MemorySegment.NULL);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (rc < 0 && rc != DIFF_STOP) {
                throw failure(rc, "GET LBA STATUS");
            }
            long windowEnd = start + window;
            if (diffFirst < 0) {
                return new ProvisioningExtent(lba, window / BLOCK_SIZE, false);
            }
            if (diffFirst > start) {
                return new ProvisioningExtent(lba, (Math.min(diffFirst, windowEnd) - start) / BLOCK_SIZE, false);
            }
            long mappedEnd = Math.min(diffEnd, windowEnd);
            return new ProvisioningExtent(lba, Math.max(1, (mappedEnd - start) / BLOCK_SIZE), true);
        }
    }

    /** rbd_diff_iterate2's callback: one allocated extent; runs on the calling thread, under diffLock. */
    @SuppressWarnings("unused") // called by librbd through the upcall stub
    private int diffExtent(long offset, long length, int exists, MemorySegment arg) {
        if (exists == 0) {
            return 0;
        }
        if (diffFirst < 0) {
            diffFirst = Math.max(offset, diffStart);
            diffEnd = offset + length;
            return diffFirst > diffStart ? DIFF_STOP : 0;
        }
        if (offset <= diffEnd) {
            diffEnd = Math.max(diffEnd, offset + length);
            return 0;
        }
        return DIFF_STOP;
    }

    private boolean inRange(long lba, long blocks, IoCallback done) {
        if (lba < 0 || blocks < 0 || lba + blocks > blockCount) {
            done.complete(new IndexOutOfBoundsException(
                    "blocks " + lba + "+" + blocks + " outside " + blockCount + " on " + describe()));
            return false;
        }
        return true;
    }

    private static ByteBuf bounceOf(ByteBuf src, int bytes) {
        if (src.hasMemoryAddress()) {
            return null;
        }
        ByteBuf copy = PooledByteBufAllocator.DEFAULT.directBuffer(bytes);
        copy.writeBytes(src, src.readerIndex(), bytes);
        return copy;
    }

    /** A free slot, or null after completing {@code done} with the reason there is none. */
    private Op take(IoCallback done) {
        if (closed) {
            done.complete(new DeviceClosedException(describe()));
            return null;
        }
        if (fenced) {
            done.complete(new StoreException(StoreException.Kind.FENCED,
                    describe() + ": the client was blocklisted; reconnecting"));
            return null;
        }
        Op op = free.poll();
        if (op == null) {
            done.complete(new StoreException(StoreException.Kind.UNAVAILABLE,
                    describe() + ": more than " + MAX_IN_FLIGHT + " requests in flight"));
        }
        return op;
    }

    private Handles usable() throws IOException {
        Handles h = handles;
        if (closed || h == null) {
            throw new DeviceClosedException(describe());
        }
        if (fenced) {
            throw new StoreException(StoreException.Kind.FENCED, describe() + ": the client was blocklisted; reconnecting");
        }
        return h;
    }

    private void start(Op op, IoCallback done) {
        submitting.incrementAndGet();
        try {
            Handles h = handles;
            if (fenced || closed || h == null) {
                abandon(op, done);
                return;
            }
            MemorySegment completion = newCompletion(op, done);
            int rc = switch (op.kind) {
                case READ -> (int) Librbd.RBD_AIO_READ.invokeExact(h.image(), op.offset, op.length,
                        address(op.bounce != null ? op.bounce : op.buffer, true), completion);
                case WRITE -> (int) Librbd.RBD_AIO_WRITE.invokeExact(h.image(), op.offset, op.length,
                        address(op.bounce != null ? op.bounce : op.buffer, false), completion);
                case FLUSH -> (int) Librbd.RBD_AIO_FLUSH.invokeExact(h.image(), completion);
                case DISCARD -> (int) Librbd.RBD_AIO_DISCARD.invokeExact(h.image(), op.offset, op.length, completion);
                case WRITE_SAME -> (int) Librbd.RBD_AIO_WRITESAME.invokeExact(h.image(), op.offset, op.length,
                        address(op.bounce != null ? op.bounce : op.buffer, false), (long) BLOCK_SIZE, completion, 0);
                case COMPARE_AND_WRITE -> (int) (long) Librbd.RBD_AIO_COMPARE_AND_WRITE.invokeExact(h.image(), op.offset,
                        op.length, MemorySegment.ofAddress(op.compareAddress), MemorySegment.ofAddress(op.writeAddress),
                        completion, op.scratch.asSlice(8, 8), 0);
            };
            if (rc < 0) {
                Librbd.RBD_AIO_RELEASE.invokeExact(completion);
                finish(op, rc);
            }
        } catch (Throwable t) {
            fail(op, t);
        } finally {
            submitting.decrementAndGet();
        }
    }

    /** The device was fenced or closed between taking the slot and starting: the request never ran. */
    private void abandon(Op op, IoCallback done) {
        recycle(op);
        done.complete(closed ? new DeviceClosedException(describe())
                : new StoreException(StoreException.Kind.FENCED, describe() + ": the client was blocklisted; reconnecting"));
    }

    /** Waits until no request is between reading {@link #handles} and handing itself to librbd. */
    private void awaitSubmitters() {
        while (submitting.get() != 0) {
            Thread.onSpinWait();
        }
    }

    /** Creates the completion whose argument is the slot; publishes the op (volatile {@code done}) before. */
    private MemorySegment newCompletion(Op op, IoCallback done) throws Throwable {
        op.done = done;
        int rc = (int) Librbd.RBD_AIO_CREATE_COMPLETION.invokeExact(MemorySegment.ofAddress(op.slot + 1L), aioCallback,
                op.scratch);
        if (rc < 0) {
            throw new IOException(describe() + ": rbd_aio_create_completion: " + Librbd.errno(rc));
        }
        return op.scratch.get(PTR, 0);
    }

    /** Where librbd reads from (a source's reader index) or writes to (a destination's writer index). */
    private static MemorySegment address(ByteBuf buf, boolean destination) {
        return MemorySegment.ofAddress(buf.memoryAddress() + (destination ? buf.writerIndex() : buf.readerIndex()));
    }

    /** The completion upcall: runs on a librbd thread; must never throw into native code. */
    @SuppressWarnings("unused") // called by librbd through the upcall stub
    private void aioComplete(MemorySegment completion, MemorySegment arg) {
        try {
            Op op = ops[(int) (arg.address() - 1)];
            long rv = (long) Librbd.RBD_AIO_GET_RETURN_VALUE.invokeExact(completion);
            Librbd.RBD_AIO_RELEASE.invokeExact(completion);
            finish(op, rv);
        } catch (Throwable t) {
            LOG.error("rbd completion failed on {}", describe(), t);
        }
    }

    private void finish(Op op, long rv) {
        IoCallback done = op.done;
        Throwable error = null;
        if (rv < 0) {
            error = op.kind == Kind.COMPARE_AND_WRITE && rv == -Librbd.EILSEQ
                    ? new MiscompareException(op.scratch.get(ValueLayout.JAVA_LONG, 8) - op.offset)
                    : failure(rv, op.kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
        } else if (op.kind == Kind.READ) {
            ByteBuf dst = op.buffer;
            if (op.bounce != null) {
                dst.writeBytes(op.bounce, 0, (int) op.length);
            } else {
                dst.writerIndex(dst.writerIndex() + (int) op.length);
            }
        } else if (op.flushAfter) {
            // FUA with the librbd cache on: the data is durable once the flush after it completes.
            op.flushAfter = false;
            op.kind = Kind.FLUSH;
            start(op, done);
            return;
        }
        recycle(op);
        done.complete(error);
    }

    private void fail(Op op, Throwable t) {
        IoCallback done = op.done;
        recycle(op);
        LOG.error("rbd request failed to start on {}", describe(), t);
        done.complete(t instanceof IOException ? t : new IOException(describe() + ": " + t, t));
    }

    private void recycle(Op op) {
        if (op.bounce != null) {
            op.bounce.release();
            op.bounce = null;
        }
        op.buffer = null;
        op.done = null;
        op.flushAfter = false;
        free.offer(op);
    }

    /** The typed failure of a negated errno; a blocklisted client starts reconnecting. */
    private IOException failure(long rc, String what) {
        String message = describe() + ": " + what + ": " + Librbd.errno(rc);
        return switch ((int) -rc) {
            case Librbd.ETIMEDOUT -> new StoreException(StoreException.Kind.TIMEOUT, message);
            case Librbd.ESHUTDOWN -> {
                fenced();
                yield new StoreException(StoreException.Kind.FENCED, message);
            }
            case Librbd.ENOSPC, Librbd.EDQUOT -> new StoreException(StoreException.Kind.NO_SPACE, message);
            case Librbd.EROFS -> new StoreException(StoreException.Kind.READ_ONLY, message);
            case Librbd.ENOTCONN, Librbd.ECONNREFUSED, Librbd.EHOSTUNREACH, Librbd.EAGAIN ->
                    new StoreException(StoreException.Kind.UNAVAILABLE, message);
            default -> new IOException(message);
        };
    }

    /** The cluster blocklisted this client: its handles are dead. Reconnect with a new client instance. */
    private void fenced() {
        synchronized (this) {
            if (fenced || closed) {
                return;
            }
            fenced = true;
        }
        LOG.warn("{}: this client was blocklisted by the cluster; LUN not ready until it reconnects", describe());
        dispatcher.execute(this, this::reconnect, e -> LOG.error("{}: cannot schedule a reconnect", describe(), e));
    }

    /**
     * On the backend pool: one attempt to replace the dead handles. A failed attempt schedules the
     * next one instead of sleeping, so a cluster that stays away holds no backend thread between
     * attempts (other LUNs share those threads); attempts stop when the device closes.
     */
    private void reconnect() {
        if (closed) {
            return;
        }
        Handles old = handles;
        try {
            awaitSubmitters();
            Handles fresh = connect();
            handles = fresh;
            if (old != null) {
                closeHandles(old);
            }
            fenced = false;
            LOG.info("{}: reconnected to the cluster; LUN ready", describe());
            refreshSize();
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: reconnect failed ({}); retrying in {} s", describe(), e.getMessage(),
                    RECONNECT_INTERVAL.toSeconds());
            CompletableFuture.delayedExecutor(RECONNECT_INTERVAL.toMillis(), TimeUnit.MILLISECONDS).execute(
                    () -> dispatcher.execute(this, this::reconnect,
                            error -> LOG.error("{}: cannot schedule a reconnect", describe(), error)));
        }
    }

    /** The update watch: the image header changed (resize, snapshot, lock); runs on a librbd thread. */
    @SuppressWarnings("unused") // called by librbd through the upcall stub
    private void imageUpdated(MemorySegment arg) {
        try {
            if (!closed) {
                dispatcher.execute(this, this::refreshSize, e -> LOG.debug("{}: size refresh not run", describe(), e));
            }
        } catch (Throwable t) {
            LOG.error("{}: image update handling failed", describe(), t);
        }
    }

    /** Reads the image size; a change is told to the capacity listeners (SBC-4 §4.6). */
    private void refreshSize() {
        Handles h = handles;
        if (closed || h == null) {
            return;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment size = call.allocate(ValueLayout.JAVA_LONG);
            int rc = (int) Librbd.RBD_GET_SIZE.invokeExact(h.image(), size);
            if (rc < 0) {
                LOG.warn("{}: reading the image size failed: {}", describe(), Librbd.errno(rc));
                return;
            }
            long blocks = size.get(ValueLayout.JAVA_LONG, 0) / BLOCK_SIZE;
            if (blocks != blockCount) {
                LOG.info("{}: capacity changed from {} to {} blocks", describe(), blockCount, blocks);
                blockCount = blocks;
                capacityListeners.forEach(l -> l.capacityChanged(blocks));
            }
        } catch (Throwable t) {
            LOG.error("{}: reading the image size failed", describe(), t);
        }
    }

    private static void closeHandles(Handles h) {
        try {
            int unwatched = (int) Librbd.RBD_UPDATE_UNWATCH.invokeExact(h.image(), h.watchHandle());
            if (unwatched < 0) {
                LOG.debug("rbd_update_unwatch: {}", Librbd.errno(unwatched));
            }
            int rc = (int) Librbd.RBD_CLOSE.invokeExact(h.image());
            if (rc < 0) {
                LOG.debug("rbd_close: {}", Librbd.errno(rc));
            }
            Librbd.RADOS_IOCTX_DESTROY.invokeExact(h.ioctx());
            Librbd.RADOS_SHUTDOWN.invokeExact(h.cluster());
        } catch (Throwable t) {
            LOG.error("closing an rbd image failed", t);
        }
    }

    /** Flushes (rbd_close does), closes the image and the client; waits for requests in flight. */
    @Override
    public void close() {
        Handles h;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            h = handles;
        }
        awaitSubmitters();
        handles = null;
        if (h != null) {
            closeHandles(h);
        }
        // rados_shutdown joined librbd's threads: no upcall can run any more.
        arena.close();
    }
}
