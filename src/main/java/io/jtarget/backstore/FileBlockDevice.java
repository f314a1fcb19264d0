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
 * I_T nexus. The one exception is a read whose data is all in the page cache and at most
 * {@link #INLINE_READ_MAX} bytes long: it is copied on the caller's thread by a read that cannot
 * block ({@link NonBlockingFileReader}, {@code preadv2(RWF_NOWAIT)}) and completes inline, which
 * saves the hand-off to a backend thread and back (seed 002). A miss goes to the pool as before. Every error, including use after
 * {@link #close}, is delivered to the callback; nothing is thrown from read/write/flush.
 *
 * <p>Caching (SBC-4 §5.24 SYNCHRONIZE CACHE, §5.39 FUA): by default completed writes may sit in
 * the OS page cache until {@link #flush} (WCE=1); a FUA write goes through a second descriptor
 * opened with {@code O_DSYNC}, so only that write's data is made durable before it completes.
 * In write-through mode the file itself is opened with {@code O_DSYNC} (WCE=0).
 *
 * <p>The backend pool must not interrupt its threads while they run a job: an interrupt
 * during channel I/O closes the channel (NIO semantics), after which every request fails
 * with {@link DeviceClosedException}. An interrupt already pending when a job starts is held
 * back for the duration of the I/O and restored afterwards.
 */
public final class FileBlockDevice implements BlockDevice {

    private static final Logger LOG = LoggerFactory.getLogger(FileBlockDevice.class);

    /**
     * Largest read served inline from the page cache: the copy runs on a network thread, so it is
     * kept to what takes a few microseconds (one 128 KiB copy is well under 20 µs).
     */
    static final int INLINE_READ_MAX = 256 * 1024;

    private final Path path;
    private final int blockSize;
    private final long blockCount;
    private final boolean writeThrough;
    private final RandomAccessFile file;
    private final FileChannel channel;
    /** O_DSYNC descriptor for FUA writes in write-back mode; null in write-through mode. */
    private final FileChannel fuaChannel;
    private final FileLock lock;
    private final FairQueueExecutor dispatcher;
    /** Page-cache hits on the caller's thread; null where the platform cannot read without blocking. */
    private final NonBlockingFileReader inlineReader;
    private final String description;
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
            NonBlockingFileReader inlineReader) {
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
            FileBlockDevice device = new FileBlockDevice(path, blockSize, size / blockSize, writeThrough, file,
                    fuaChannel, lock, dispatcher, NonBlockingFileReader.open(path));
            LOG.info("opened {} ({} blocks of {} bytes{})", device.describe(), device.blockCount, blockSize,
                    created ? ", created sparse" : "");
            return device;
        } catch (IOException | RuntimeException e) {
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
        return Set.of();
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
        submit(nexus, done, () -> writeFully(target, src.nioBuffers(src.readerIndex(), range.length()), range.offset()));
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
        // Data only (fdatasync): the file's size never changes while it is served.
        submit(nexus, done, () -> channel.force(false));
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
        closeQuietly(lock);
        closeQuietly(file);
        LOG.info("closed {}", description);
    }

    private void submit(ItNexus nexus, IoCallback done, IoAction action) {
        dispatcher.execute(nexus, () -> run(action, done), done::complete);
    }

    private void run(IoAction action, IoCallback done) {
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
        done.complete(error);
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
