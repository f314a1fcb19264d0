package io.jtarget.backstore;

import io.jtarget.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A block device stored in a regular file.
 *
 * <p>A missing file is created sparse at the requested size (no block is allocated until
 * written); an existing file keeps its size, and a trailing partial block is not exported.
 * The file is locked exclusively for as long as the device is open, so two servers cannot
 * serve the same file.
 *
 * <p>I/O runs on the backend pool through a {@link FairQueueExecutor}, keyed by the request's
 * I_T nexus. Two exceptions run on the caller's (network) thread and complete inline, which saves
 * the hand-off to a backend thread and back, two wake-ups per I/O:
 * <ul>
 *   <li>a read whose data is all in the page cache and at most {@link #INLINE_READ_MAX} bytes long,
 *       copied by a read that cannot block ({@link NonBlockingFileReader}, {@code preadv2(RWF_NOWAIT)});
 *       a miss goes to the pool;
 *   <li>a small, block-aligned, non-FUA write in write-back mode while the kernel is far from
 *       throttling writers and the device has nothing on the pool ({@link InlineWrites}).
 * </ul>
 * Every error, including use after {@link #close}, is delivered to the callback; nothing is thrown
 * from read/write/flush.
 *
 * <p>Caching (SBC-4 §5.24 SYNCHRONIZE CACHE, §5.39 FUA): by default completed writes may sit in
 * the OS page cache until {@link #flush} (WCE=1); a FUA write goes through a second descriptor
 * opened with {@code O_DSYNC}, so only that write's data is made durable before it completes.
 * In write-through mode the file itself is opened with {@code O_DSYNC} (WCE=0).
 *
 * <p>Thin provisioning (SBC-4 §4.7.3): on Linux, deallocation punches holes into the file through a
 * dedicated descriptor ({@link NativeFile}: {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}), and the mapped
 * state comes from {@code lseek(SEEK_DATA / SEEK_HOLE)}, so it is the file system's truth. Whether the
 * file system punches holes is probed when the device opens; if it refuses later (EOPNOTSUPP) the
 * blocks are zeroed by writing instead and the device stops reporting itself thin.
 *
 * <p>The backend pool must not interrupt its threads while they run a job: an interrupt
 * during channel I/O closes the channel (NIO semantics), after which every request fails
 * with {@link DeviceClosedException}. An interrupt already pending when a job starts is held
 * back for the duration of the I/O and restored afterwards.
 */
public final class FileBlockDevice implements BlockDevice {

    private static final Logger LOG = LoggerFactory.getLogger(FileBlockDevice.class);
    private static final int ZERO_BUFFER_BYTES = 1 << 20;

    /**
     * Largest read served inline from the page cache: the copy runs on a network thread, so it is
     * kept to what takes a few microseconds (one 128 KiB copy is well under 20 µs).
     */
    static final int INLINE_READ_MAX = 256 * 1024;

    private final Path path;
    private final int blockSize;
    /** Changed only by {@link #resize}; every I/O bound check reads it. */
    private volatile long blockCount;
    private final boolean writeThrough;
    private final RandomAccessFile file;
    private final FileChannel channel;
    /** O_DSYNC descriptor for FUA writes in write-back mode; null in write-through mode. */
    private final FileChannel fuaChannel;
    private final FileLock lock;
    private final FairQueueExecutor dispatcher;
    /** Page-cache hits on the caller's thread; null where the platform cannot read without blocking. */
    private final NonBlockingFileReader inlineReader;
    /** Which writes run on the caller's thread. */
    private final InlineWrites inlineWrites;
    /** Reads and writes that ran on the caller's thread instead of the backend pool. */
    private final LongAdder inlineIo = new LongAdder();
    private final String description;
    /** Descriptor for hole punching and SEEK_DATA/SEEK_HOLE; null when thin provisioning is unavailable. */
    private final NativeFile nativeFile;
    private final long granularityBlocks;
    private volatile boolean thin;
    private volatile boolean closed;

    private FileBlockDevice(
            Path path,
            int blockSize,
            long blockCount,
            boolean writeThrough,
            RandomAccessFile file,
            FileChannel fuaChannel,
            FileLock lock,
            FairQueueExecutor dispatcher,
            NativeFile nativeFile,
            long granularityBlocks,
            NonBlockingFileReader inlineReader,
            WritebackPressure writebackPressure,
            LongSupplier inlineWriteClock) {
        this.path = path;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.writeThrough = writeThrough;
        this.file = file;
        this.channel = file.getChannel();
        this.fuaChannel = fuaChannel;
        this.lock = lock;
        this.dispatcher = dispatcher;
        this.inlineReader = inlineReader;
        this.description = "file:" + path + (writeThrough ? " (write-through)" : "");
        this.nativeFile = nativeFile;
        this.thin = nativeFile != null;
        this.granularityBlocks = granularityBlocks;
        this.inlineWrites = new InlineWrites(description, Math.toIntExact(granularityBlocks * blockSize),
                writebackPressure, inlineWriteClock);
    }

    /**
     * Opens (creating sparse when missing) and locks {@code path}.
     *
     * @param requestedSize size for a new file, a multiple of {@code blockSize}; 0 = the file must exist.
     *     An existing file keeps its own size (a differing request is logged).
     * @throws IOException naming the path when it cannot be created, opened or locked, or is too small
     */
    public static FileBlockDevice open(
            Path path, long requestedSize, int blockSize, boolean writeThrough, FairQueueExecutor dispatcher)
            throws IOException {
        return open(path, requestedSize, blockSize, writeThrough, dispatcher, WritebackPressure.system(),
                System::nanoTime);
    }

    /**
     * As {@link #open(Path, long, int, boolean, FairQueueExecutor)}, with the pressure that gates inline
     * writes and the clock that times them (a slow inline write sends the next ones to the pool).
     */
    static FileBlockDevice open(Path path, long requestedSize, int blockSize, boolean writeThrough,
            FairQueueExecutor dispatcher, WritebackPressure writebackPressure, LongSupplier inlineWriteClock)
            throws IOException {
        BlockSizes.requireValid(blockSize);
        if (requestedSize < 0 || requestedSize % blockSize != 0) {
            throw new IllegalArgumentException("size of " + path + " must be a multiple of " + blockSize
                    + " bytes: " + requestedSize);
        }
        if (Files.isDirectory(path)) {
            throw new IOException(path + " is a directory, not a file");
        }
        boolean created = createSparseIfMissing(path, requestedSize);
        RandomAccessFile file = new RandomAccessFile(path.toFile(), writeThrough ? "rwd" : "rw");
        FileChannel fuaChannel = null;
        FileLock lock = null;
        NativeFile nativeFile = null;
        try {
            lock = lockExclusively(path, file.getChannel());
            long size = file.length();
            if (size == 0 && requestedSize > 0) {
                // Empty: we just created it, or a previous creation stopped before sizing it.
                file.setLength(requestedSize);
                size = requestedSize;
            } else if (!created && requestedSize > 0 && requestedSize != size) {
                LOG.warn("{} exists with {} bytes; keeping its size, not the requested {}", path, size, requestedSize);
            }
            if (size < blockSize) {
                throw new IOException(path + " holds " + size + " bytes, less than one " + blockSize + "-byte block");
            }
            if (size % blockSize != 0) {
                LOG.warn("{} is {} bytes, not a multiple of {}; the trailing {} bytes are not exported",
                        path, size, blockSize, size % blockSize);
            }
            if (!writeThrough) {
                fuaChannel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
            }
            nativeFile = openForHolePunching(path, size);
            FileBlockDevice device = new FileBlockDevice(path, blockSize, size / blockSize, writeThrough, file,
                    fuaChannel, lock, dispatcher, nativeFile, granularityBlocks(path, blockSize), NonBlockingFileReader.open(path),
                    writebackPressure, inlineWriteClock);
            LOG.info("opened {} ({} blocks of {} bytes{}, {})", device.describe(), device.blockCount, blockSize,
                    created ? ", created sparse" : "", nativeFile != null ? "thin" : "fully provisioned");
            return device;
        } catch (IOException | RuntimeException e) {
            closeQuietly(nativeFile);
            closeQuietly(fuaChannel);
            if (lock != null) {
                closeQuietly(lock);
            }
            closeQuietly(file);
            throw e;
        }
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blockCount() {
        return blockCount;
    }

    @Override
    public Set<Capability> capabilities() {
        return thin ? Set.of(Capability.DEALLOCATE) : Set.of();
    }

    @Override
    public long deallocationGranularity() {
        return granularityBlocks;
    }

    /** The file system's block: a partial-block write makes the page cache read the rest first. */
    @Override
    public int logicalBlocksPerPhysicalBlock() {
        return PhysicalBlocks.powerOfTwoAtMost(granularityBlocks);
    }

    /**
     * Punches a hole over the range (the file system zeroes partial blocks at its ends); if the file
     * system refuses, writes zeros and reports the device fully provisioned from then on.
     */
    @Override
    public void deallocate(ItNexus nexus, long lba, long blocks, IoCallback done) {
        long offset;
        long length;
        try {
            BlockRange.check(this, lba, blocks);
            requireOpen();
            offset = lba * blockSize;
            length = blocks * blockSize;
        } catch (Throwable t) {
            done.complete(t);
            return;
        }
        if (length == 0) {
            done.complete(null);
            return;
        }
        submit(nexus, done, () -> {
            if (thin && nativeFile.punchHole(offset, length)) {
                return;
            }
            if (thin) {
                thin = false;
                LOG.warn("{}: the file system does not punch holes; zeroing instead, no longer thin", description);
            }
            writeZeros(offset, length);
        });
    }

    /** Mapped state from the file system: SEEK_DATA / SEEK_HOLE; a block holding any data byte is mapped. */
    @Override
    public void provisioningStatus(ItNexus nexus, long lba, long maxBlocks, ProvisioningCallback done) {
        try {
            BlockRange.checkStatusRequest(this, lba, maxBlocks);
        } catch (IndexOutOfBoundsException e) {
            done.complete(e, null);
            return;
        }
        long limit = Math.min(maxBlocks, blockCount - lba);
        if (!thin) {
            done.complete(null, new ProvisioningExtent(lba, limit, true));
            return;
        }
        ProvisioningExtent[] result = new ProvisioningExtent[1];
        submit(nexus, error -> done.complete(error, error == null ? result[0] : null),
                () -> result[0] = mappedExtent(lba, limit));
    }

    private ProvisioningExtent mappedExtent(long lba, long limit) throws IOException {
        long offset = lba * blockSize;
        long end = lba + limit;
        long data = nativeFile.seek(offset, NativeFile.SEEK_DATA);
        if (data < 0) {
            return new ProvisioningExtent(lba, limit, false); // hole up to the end of the file
        }
        long firstDataBlock = data / blockSize;
        if (firstDataBlock > lba) {
            return new ProvisioningExtent(lba, Math.min(firstDataBlock, end) - lba, false);
        }
        long hole = nativeFile.seek(Math.max(offset, data), NativeFile.SEEK_HOLE);
        long mappedEnd = hole < 0 ? end : Math.min(end, (hole + blockSize - 1) / blockSize);
        return new ProvisioningExtent(lba, Math.max(1, mappedEnd - lba), true);
    }

    private void writeZeros(long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(length, ZERO_BUFFER_BYTES));
        long position = offset;
        long remaining = length;
        while (remaining > 0) {
            zeros.clear().limit((int) Math.min(remaining, zeros.capacity()));
            while (zeros.hasRemaining()) {
                position += channel.write(zeros, position);
            }
            remaining -= zeros.limit();
        }
    }

    /**
     * A descriptor for hole punching when the file system supports it: probed by punching beyond the end
     * of the file, which changes nothing ({@code KEEP_SIZE}) but fails with EOPNOTSUPP where unsupported.
     */
    private static NativeFile openForHolePunching(Path path, long size) {
        if (!NativeFile.isAvailable()) {
            return null;
        }
        NativeFile nativeFile = null;
        try {
            nativeFile = NativeFile.open(path);
            if (nativeFile.punchHole(size, BlockSizes.DEFAULT)) {
                return nativeFile;
            }
            LOG.info("{}: the file system does not punch holes; the device is fully provisioned", path);
        } catch (IOException | RuntimeException e) {
            LOG.info("{}: thin provisioning unavailable ({})", path, e.toString());
        }
        closeQuietly(nativeFile);
        return null;
    }

    /** The file system's allocation unit in logical blocks (at least 1). */
    private static long granularityBlocks(Path path, int blockSize) {
        try {
            return Math.max(1, Files.getFileStore(path).getBlockSize() / blockSize);
        } catch (IOException | UnsupportedOperationException e) {
            return 1;
        }
    }

    @Override
    public boolean writeCacheEnabled() {
        return !writeThrough;
    }

    @Override
    public String describe() {
        return description;
    }

    public Path path() {
        return path;
    }

    @Override
    public void read(ItNexus nexus, long lba, int blocks, ByteBuf dst, IoCallback done) {
        BlockRange range;
        try {
            range = BlockRange.of(this, lba, blocks);
            requireOpen();
            dst.ensureWritable(range.length());
        } catch (Throwable t) {
            done.complete(t);
            return;
        }
        if (range.length() == 0) {
            done.complete(null);
            return;
        }
        if (inlineReader != null && range.length() <= INLINE_READ_MAX
                && inlineReader.tryRead(dst, range.length(), range.offset())) {
            inlineIo.increment();
            done.complete(null);
            return;
        }
        submit(nexus, done, () -> {
            int index = dst.writerIndex();
            readFully(dst.nioBuffers(index, range.length()), range.offset());
            dst.writerIndex(index + range.length());
        });
    }

    @Override
    public void write(ItNexus nexus, long lba, int blocks, ByteBuf src, boolean fua, IoCallback done) {
        BlockRange range;
        try {
            range = BlockRange.of(this, lba, blocks);
            range.requireReadable(src);
            requireOpen();
        } catch (Throwable t) {
            done.complete(t);
            return;
        }
        if (range.length() == 0) {
            done.complete(null);
            return;
        }
        // Write-through: the main descriptor is O_DSYNC already, so every write is FUA.
        FileChannel target = fua && fuaChannel != null ? fuaChannel : channel;
        IoAction write = () -> writeFully(target, src.nioBuffers(src.readerIndex(), range.length()), range.offset());
        if (inlineWrites.admit(range.offset(), range.length(), fua || writeThrough)) {
            long started = inlineWrites.start();
            Throwable error = perform(write);
            inlineWrites.finish(started);
            inlineIo.increment();
            done.complete(error);
            return;
        }
        submit(nexus, done, write);
    }

    @Override
    public long inlineIoCount() {
        return inlineIo.sum();
    }

    @Override
    public void flush(ItNexus nexus, IoCallback done) {
        try {
            requireOpen();
        } catch (Throwable t) {
            done.complete(t);
            return;
        }
        if (writeThrough) {
            done.complete(null);
            return;
        }
        // Data only (fdatasync): a size change by resize() was made durable when it happened.
        submit(nexus, done, () -> channel.force(false));
    }

    /**
     * Grows (sparse) or truncates the file. The new size is made durable at once ({@code fsync}), so
     * a crash after the resize was reported never brings back the old capacity.
     */
    @Override
    public synchronized void resize(long newBlockCount) throws IOException {
        if (closed) {
            throw new DeviceClosedException(description);
        }
        if (newBlockCount < 1 || newBlockCount > Long.MAX_VALUE / blockSize) {
            throw new IllegalArgumentException("bad block count " + newBlockCount + " for " + description);
        }
        long oldBlockCount = blockCount;
        if (newBlockCount < oldBlockCount) {
            blockCount = newBlockCount; // new commands see the smaller capacity before the blocks go
        }
        try {
            file.setLength(newBlockCount * blockSize);
            channel.force(true);
        } catch (IOException e) {
            blockCount = oldBlockCount;
            throw e;
        }
        blockCount = newBlockCount;
        LOG.info("resized {} from {} to {} blocks", description, oldBlockCount, newBlockCount);
    }

    @Override
    public boolean holdsDataFrom(long lba) throws IOException {
        if (lba >= blockCount) {
            return false;
        }
        if (nativeFile == null) {
            return true; // no SEEK_DATA here: assume the blocks hold data
        }
        long data = nativeFile.seek(lba * blockSize, NativeFile.SEEK_DATA);
        return data >= 0 && data < blockCount * blockSize;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            if (!writeThrough && channel.isOpen()) {
                channel.force(true);
            }
        } catch (IOException e) {
            LOG.error("flushing {} on close failed", description, e);
        }
        closeQuietly(inlineReader);
        closeQuietly(fuaChannel);
        closeQuietly(nativeFile);
        closeQuietly(lock);
        closeQuietly(file);
        LOG.info("closed {}", description);
    }

    /** Runs {@code action} on the backend pool; while it is queued or running, writes of this device stay off the loop. */
    private void submit(ItNexus nexus, IoCallback done, IoAction action) {
        inlineWrites.backendSubmitted();
        dispatcher.execute(nexus, () -> backendEnded(done, perform(action)), error -> backendEnded(done, error));
    }

    private void backendEnded(IoCallback done, Throwable error) {
        inlineWrites.backendEnded();
        done.complete(error);
    }

    /** @return the action's error (a {@link DeviceClosedException} once the device is closed), or null */
    private Throwable perform(IoAction action) {
        Throwable error = null;
        boolean interrupted = Thread.interrupted();
        try {
            requireOpen();
            action.run();
        } catch (Throwable t) {
            error = closed || !channel.isOpen() ? closedCause(t) : t;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return error;
    }

    /**
     * Positional reads until every buffer is full; a short read is retried from where it
     * stopped. Past the file's end (it shrank under us) the rest reads as zeros.
     */
    private void readFully(ByteBuffer[] buffers, long offset) throws IOException {
        long position = offset;
        boolean endOfFile = false;
        for (ByteBuffer buffer : buffers) {
            while (buffer.hasRemaining()) {
                if (endOfFile) {
                    zeroFill(buffer);
                    break;
                }
                int n = channel.read(buffer, position);
                if (n < 0) {
                    endOfFile = true;
                } else {
                    position += n;
                }
            }
        }
    }

    private static void writeFully(FileChannel target, ByteBuffer[] buffers, long offset) throws IOException {
        long position = offset;
        for (ByteBuffer buffer : buffers) {
            while (buffer.hasRemaining()) {
                position += target.write(buffer, position);
            }
        }
    }

    private static void zeroFill(ByteBuffer buffer) {
        while (buffer.remaining() >= Long.BYTES) {
            buffer.putLong(0L);
        }
        while (buffer.hasRemaining()) {
            buffer.put((byte) 0);
        }
    }

    private void requireOpen() throws DeviceClosedException {
        if (closed) {
            throw new DeviceClosedException(description);
        }
    }

    private Throwable closedCause(Throwable t) {
        if (t instanceof DeviceClosedException) {
            return t;
        }
        DeviceClosedException closedException = new DeviceClosedException(description);
        closedException.initCause(t);
        return closedException;
    }

    /** @return true when this call created the file */
    private static boolean createSparseIfMissing(Path path, long requestedSize) throws IOException {
        if (Files.exists(path)) {
            return false;
        }
        if (requestedSize == 0) {
            throw new IOException(path + " does not exist; give a size to create it");
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            // SPARSE matters on file systems that need the hint; on Linux a file extended by
            // ftruncate (RandomAccessFile.setLength) is sparse anyway.
            Files.newByteChannel(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)
                    .close();
            return true;
        } catch (FileAlreadyExistsException raced) {
            return false;
        }
    }

    private static FileLock lockExclusively(Path path, FileChannel channel) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            throw new IOException(path + " is already served by this server (file is locked)", e);
        }
        if (lock == null) {
            throw new IOException(path + " is locked by another process; is another server serving it?");
        }
        return lock;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed", closeable, e);
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }
}
