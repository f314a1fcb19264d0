package io.jtarget.backstore;

import io.jtarget.config.BackingSpecParser;
import io.jtarget.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A thin-provisioned block device in off-heap memory.
 *
 * <p>The device is split into fixed chunks ({@value #CHUNK_SIZE} bytes) that are allocated
 * on the first write touching them; an unwritten chunk reads as zeros, so {@code ram:512M}
 * costs nothing until it is written. Each chunk lives in a shared {@link Arena} of its own, so
 * {@link #deallocate} (UNMAP, SBC-4 §4.7.3) can free whole chunks and {@link #close} frees them
 * all; a request racing with close fails with {@link DeviceClosedException}, one racing with the
 * deallocation of its chunk sees the chunk as deallocated (zeros), never freed memory (the
 * arenas' scoped access guarantees that). The mapped state is tracked per chunk: a chunk is
 * mapped while it is allocated.
 *
 * <p>Thread safety: any number of threads may read and write concurrently, on different or
 * overlapping ranges. Chunk allocation is race-free (double-checked under a striped lock, so
 * no chunk is ever allocated twice). As with a real disk, concurrent overlapping transfers
 * are not atomic with respect to each other; ordering is the task set's job (SAM-5 §8).
 *
 * <p>Every request completes inline on the calling thread. There is no volatile cache beyond
 * the memory itself, so {@link #writeCacheEnabled()} is false and FUA and flush are no-ops:
 * the contents are exactly as durable as the process.
 */
public final class RamBlockDevice implements BlockDevice {

    static final int CHUNK_SHIFT = 20;
    static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    private static final long CHUNK_ALIGNMENT = 4096;
    private static final int ALLOCATION_LOCK_STRIPES = 64;

    private final int blockSize;
    private final long blockCount;
    private final AtomicReferenceArray<Chunk> chunks;
    private final Object[] allocationLocks = new Object[ALLOCATION_LOCK_STRIPES];
    private volatile boolean closed;

    /**
     * @param sizeBytes device size, a positive multiple of {@code blockSize}
     * @param blockSize logical block length, a power of two of at least 512
     */
    public RamBlockDevice(long sizeBytes, int blockSize) {
        BlockSizes.requireValid(blockSize);
        if (sizeBytes <= 0 || sizeBytes % blockSize != 0) {
            throw new IllegalArgumentException(
                    "ram size must be a positive multiple of " + blockSize + " bytes: " + sizeBytes);
        }
        long chunkCount = (sizeBytes + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
        if (chunkCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("ram size too large: " + sizeBytes);
        }
        this.blockSize = blockSize;
        this.blockCount = sizeBytes / blockSize;
        this.chunks = new AtomicReferenceArray<>((int) chunkCount);
        for (int i = 0; i < allocationLocks.length; i++) {
            allocationLocks[i] = new Object();
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
        return Set.of(Capability.DEALLOCATE);
    }

    @Override
    public int logicalBlocksPerPhysicalBlock() {
        // Memory is managed in pages: report 4 KiB physical blocks, as a modern disk does.
        return PhysicalBlocks.powerOfTwoAtMost(CHUNK_ALIGNMENT / blockSize);
    }

    @Override
    public long deallocationGranularity() {
        return CHUNK_SIZE / blockSize;
    }

    /** Frees every chunk the range covers whole and zeroes the covered part of the others. */
    @Override
    public void deallocate(ItNexus nexus, long lba, long blocks, IoCallback done) {
        Throwable error = null;
        try {
            BlockRange.check(this, lba, blocks);
            requireOpen();
            long position = lba * blockSize;
            long end = position + blocks * blockSize;
            while (position < end) {
                int chunkIndex = (int) (position >>> CHUNK_SHIFT);
                long chunkOffset = position & CHUNK_MASK;
                long piece = Math.min(end - position, chunkLength(chunkIndex) - chunkOffset);
                Chunk chunk = chunks.get(chunkIndex);
                if (chunk != null) {
                    if (piece == chunkLength(chunkIndex)) {
                        free(chunkIndex, chunk);
                    } else {
                        zero(chunk, chunkOffset, piece);
                    }
                }
                position += piece;
            }
        } catch (Throwable t) {
            error = translate(t);
        }
        done.complete(error);
    }

    @Override
    public void provisioningStatus(ItNexus nexus, long lba, long maxBlocks, ProvisioningCallback done) {
        try {
            BlockRange.checkStatusRequest(this, lba, maxBlocks);
        } catch (IndexOutOfBoundsException e) {
            done.complete(e, null);
            return;
        }
        if (closed) {
            done.complete(new DeviceClosedException(describe()), null);
            return;
        }
        long end = lba + Math.min(maxBlocks, blockCount - lba);
        long blocksPerChunk = CHUNK_SIZE / blockSize;
        int chunkIndex = (int) (lba / blocksPerChunk);
        boolean mapped = chunks.get(chunkIndex) != null;
        long next = (chunkIndex + 1L) * blocksPerChunk;
        while (next < end && (chunks.get((int) (next / blocksPerChunk)) != null) == mapped) {
            next += blocksPerChunk;
        }
        done.complete(null, new ProvisioningExtent(lba, Math.min(next, end) - lba, mapped));
    }

    @Override
    public boolean writeCacheEnabled() {
        return false;
    }

    @Override
    public String describe() {
        return "ram:" + BackingSpecParser.formatSize(blockCount * blockSize);
    }

    /** Bytes of memory allocated so far (a multiple of the chunk size). */
    public long allocatedBytes() {
        long allocated = 0;
        for (int i = 0; i < chunks.length(); i++) {
            if (chunks.get(i) != null) {
                allocated += CHUNK_SIZE;
            }
        }
        return allocated;
    }

    @Override
    public void read(ItNexus nexus, long lba, int blocks, ByteBuf dst, IoCallback done) {
        Throwable error = null;
        try {
            BlockRange range = BlockRange.of(this, lba, blocks);
            if (range.length() > 0) {
                requireOpen();
                dst.ensureWritable(range.length());
                int index = dst.writerIndex();
                transfer(dst.nioBuffers(index, range.length()), range.offset(), false);
                dst.writerIndex(index + range.length());
            }
        } catch (Throwable t) {
            error = translate(t);
        }
        done.complete(error);
    }

    @Override
    public void write(ItNexus nexus, long lba, int blocks, ByteBuf src, boolean fua, IoCallback done) {
        Throwable error = null;
        try {
            BlockRange range = BlockRange.of(this, lba, blocks);
            range.requireReadable(src);
            if (range.length() > 0) {
                requireOpen();
                transfer(src.nioBuffers(src.readerIndex(), range.length()), range.offset(), true);
            }
        } catch (Throwable t) {
            error = translate(t);
        }
        done.complete(error);
    }

    @Override
    public void flush(ItNexus nexus, IoCallback done) {
        done.complete(closed ? new DeviceClosedException(describe()) : null);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        synchronized (allocationLocks) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // Requests still copying fail with IllegalStateException (scoped access), never touch freed memory.
        for (int i = 0; i < chunks.length(); i++) {
            Chunk chunk = chunks.get(i);
            if (chunk != null) {
                free(i, chunk);
            }
        }
    }

    /**
     * Copies between the caller's buffers and the device, chunk by chunk. Each step copies
     * the largest piece that stays within one buffer and one chunk.
     */
    private void transfer(ByteBuffer[] buffers, long deviceOffset, boolean toDevice) {
        long position = deviceOffset;
        for (ByteBuffer buffer : buffers) {
            MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
            long done = 0;
            long size = bufferSegment.byteSize();
            while (done < size) {
                int chunkIndex = (int) (position >>> CHUNK_SHIFT);
                long chunkOffset = position & CHUNK_MASK;
                long piece = Math.min(size - done, CHUNK_SIZE - chunkOffset);
                if (copyPiece(bufferSegment, done, chunkIndex, chunkOffset, piece, toDevice)) {
                    done += piece;
                    position += piece;
                }
            }
        }
    }

    /**
     * Copies one piece; false when the chunk was deallocated concurrently (its arena closed under us),
     * so the caller retries the piece against the chunk table's new state.
     */
    private boolean copyPiece(MemorySegment buffer, long bufferOffset, int chunkIndex, long chunkOffset, long piece,
            boolean toDevice) {
        Chunk chunk = toDevice ? chunkForWrite(chunkIndex) : chunks.get(chunkIndex);
        try {
            if (toDevice) {
                MemorySegment.copy(buffer, bufferOffset, chunk.segment(), chunkOffset, piece);
            } else if (chunk == null) {
                buffer.asSlice(bufferOffset, piece).fill((byte) 0);
            } else {
                MemorySegment.copy(chunk.segment(), chunkOffset, buffer, bufferOffset, piece);
            }
            return true;
        } catch (IllegalStateException e) {
            if (closed || chunk == null || chunk.arena().scope().isAlive() || chunks.get(chunkIndex) == chunk) {
                throw e;
            }
            return false;
        }
    }

    private Chunk chunkForWrite(int chunkIndex) {
        Chunk chunk = chunks.get(chunkIndex);
        if (chunk != null) {
            return chunk;
        }
        synchronized (allocationLocks[chunkIndex % ALLOCATION_LOCK_STRIPES]) {
            chunk = chunks.get(chunkIndex);
            if (chunk == null) {
                requireOpen();
                Arena arena = Arena.ofShared();
                // Arena allocations are zero-filled, which is what an unwritten region must read as.
                chunk = new Chunk(arena, arena.allocate(chunkLength(chunkIndex), CHUNK_ALIGNMENT));
                chunks.set(chunkIndex, chunk);
                if (closed) {
                    // close() may have swept the table before we published the chunk.
                    free(chunkIndex, chunk);
                    requireOpen();
                }
            }
            return chunk;
        }
    }

    /** Removes the chunk from the table and frees its memory; only the thread that removes it closes it. */
    private void free(int chunkIndex, Chunk chunk) {
        if (chunks.compareAndSet(chunkIndex, chunk, null)) {
            chunk.arena().close();
        }
    }

    private static void zero(Chunk chunk, long offset, long length) {
        try {
            chunk.segment().asSlice(offset, length).fill((byte) 0);
        } catch (IllegalStateException e) {
            if (chunk.arena().scope().isAlive()) {
                throw e;
            }
            // Freed concurrently: the whole chunk now reads as zeros anyway.
        }
    }

    private record Chunk(Arena arena, MemorySegment segment) {}

    /** The last chunk is only as long as the device needs. */
    private long chunkLength(int chunkIndex) {
        long start = (long) chunkIndex << CHUNK_SHIFT;
        return Math.min(CHUNK_SIZE, blockCount * blockSize - start);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
    }

    /** Closed arenas and closed devices both report {@link DeviceClosedException}; native memory exhaustion an I/O error. */
    private Throwable translate(Throwable t) {
        if (t instanceof IllegalStateException && closed) {
            return new DeviceClosedException(describe());
        }
        if (t instanceof OutOfMemoryError) {
            return new IOException("out of memory allocating " + describe(), t);
        }
        return t;
    }
}
