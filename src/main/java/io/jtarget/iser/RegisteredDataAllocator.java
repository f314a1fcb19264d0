package io.jtarget.iser;

import io.jtarget.rdma.RdmaBufferPool;
import io.jtarget.rdma.RdmaDevice;
import io.jtarget.rdma.RdmaException;
import io.jtarget.rdma.RegisteredBuffer;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The iSER transport's buffer hook ({@code IscsiTransport.dataAllocator()}): task data (Data-Out
 * buffers, the SCSI core's Data-In buffers) comes from memory registered with the RDMA device
 * once, in a few size classes, so an RDMA Read lands in and an RDMA Write leaves from the very
 * buffer the SCSI core reads or writes: no registration and no copy per I/O.
 *
 * <p>A request larger than every class, or one no class has a free chunk for, gets an ordinary
 * pooled direct buffer; the transport copies it through a registered chunk when it moves it
 * ({@link #bounces()} counts those, a sizing diagnostic). One allocator per device, shared by its
 * connections; thread-safe (the SCSI core frees buffers on backend threads).
 */
public final class RegisteredDataAllocator extends AbstractByteBufAllocator {
    /**
     * Size classes: chunk size and count, 68 MiB in all. Linux's iSER initiator sends at most
     * 512 KiB per command by default; the 8 MiB class serves the largest transfer the target
     * allows (LogicalUnit.MAX_TRANSFER_BYTES) two at a time. Beyond them, transfers bounce.
     */
    static final int[][] CLASSES = {{16 * 1024, 256}, {128 * 1024, 128}, {512 * 1024, 64}, {8 * 1024 * 1024, 2}};

    private final List<RdmaBufferPool> pools;
    private final ByteBufAllocator fallback = PooledByteBufAllocator.DEFAULT;
    private final LongAdder bounces = new LongAdder();

    private RegisteredDataAllocator(List<RdmaBufferPool> pools) {
        super(true);
        this.pools = pools;
    }

    /** The allocator of {@code device}'s shared data pools (registered on first use, for local and remote access). */
    public static RegisteredDataAllocator on(RdmaDevice device) throws RdmaException {
        List<RdmaBufferPool> pools = new ArrayList<>();
        int access = RdmaBufferPool.LOCAL_WRITE | RdmaBufferPool.REMOTE_READ | RdmaBufferPool.REMOTE_WRITE;
        for (int[] c : CLASSES) {
            pools.add(device.sharedPool("iser-data-" + c[0], c[0], c[1], access));
        }
        return new RegisteredDataAllocator(pools);
    }

    /**
     * An allocator over pools made elsewhere, smallest chunks first (a protocol test's pools of
     * unregistered memory).
     */
    public static RegisteredDataAllocator over(List<RdmaBufferPool> pools) {
        return new RegisteredDataAllocator(List.copyOf(pools));
    }

    /**
     * A registered chunk of at least {@code length} bytes as a ByteBuf (reader and writer index 0),
     * or null when none is free.
     */
    public ByteBuf registered(int length) {
        for (RdmaBufferPool pool : pools) {
            if (pool.chunkSize() < length) {
                continue;
            }
            RegisteredBuffer chunk = pool.allocate();
            if (chunk != null) {
                return chunk.toByteBuf(this);
            }
        }
        return null;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf buf = initialCapacity > 0 ? registered(initialCapacity) : null;
        return buf != null ? buf : fallback.directBuffer(initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return newDirectBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return true;
    }

    /** Transfers that had to be copied through a registered chunk. */
    public long bounces() {
        return bounces.sum();
    }

    public void countBounce() {
        bounces.increment();
    }

    /**
     * Where bytes {@code [index, index + length)} of {@code buf} lie in registered memory, or null
     * when they do not (a fallback buffer, a composite).
     */
    public static Placement placement(ByteBuf buf, int index, int length) {
        RegisteredBuffer chunk = RegisteredBuffer.under(buf);
        if (chunk == null || buf.nioBufferCount() != 1 || length == 0) {
            return null;
        }
        long address = MemorySegment.ofBuffer(buf.nioBuffer(index, length)).address();
        long offset = address - chunk.address();
        if (offset < 0 || offset + length > chunk.capacity()) {
            return null;
        }
        return new Placement(chunk, (int) offset);
    }

    /** A range of a registered chunk: what a work request's scatter/gather entry names. */
    public record Placement(RegisteredBuffer chunk, int offset) {}
}
