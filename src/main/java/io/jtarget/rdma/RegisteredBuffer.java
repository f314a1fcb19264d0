package io.jtarget.rdma;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledDirectByteBuf;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * One chunk of a {@link RdmaBufferPool}: off-heap memory registered with the device once, when
 * the pool was made. Upper layers read and write it directly ({@link #segment}, {@link #byteBuf})
 * and name it in work requests ({@link #address}, {@link #lkey}; {@link #rkey} for a peer's
 * RDMA). Owned by whoever {@link RdmaBufferPool#allocate allocated} it until {@link #release};
 * while a posted work request uses it, the owner keeps it (a connection's drain guarantees the
 * device no longer touches it once the connection is released).
 */
public final class RegisteredBuffer {
    private final RdmaBufferPool pool;
    private final int index;
    private final MemorySegment segment;
    private final ByteBuf view;
    boolean free = true;

    RegisteredBuffer(RdmaBufferPool pool, int index, MemorySegment segment) {
        this.pool = pool;
        this.index = index;
        this.segment = segment;
        this.view = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(segment.asByteBuffer()));
    }

    int index() {
        return index;
    }

    public RdmaBufferPool pool() {
        return pool;
    }

    /** The whole chunk ({@link RdmaBufferPool#chunkSize} bytes). */
    public MemorySegment segment() {
        return segment;
    }

    public int capacity() {
        return (int) segment.byteSize();
    }

    /** Virtual address of the chunk's first byte, as work requests and peers name it. */
    public long address() {
        return segment.address();
    }

    public int lkey() {
        return pool.lkey();
    }

    /** The key a peer uses for RDMA Read/Write here (only if the pool allows remote access). */
    public int rkey() {
        return pool.rkey();
    }

    /**
     * A ByteBuf over the whole chunk, made once with the chunk: indexes are reset here
     * (reader 0, writer 0); releasing it does nothing. Valid only while this chunk is owned.
     */
    public ByteBuf byteBuf() {
        return view.clear();
    }

    /**
     * Hands this chunk to a new ByteBuf (reader 0, writer 0, capacity fixed at the chunk size)
     * whose last {@code release()} returns the chunk to the pool, for code that owns buffers
     * by reference count (the SCSI core). Do not call {@link #release} afterwards.
     */
    public ByteBuf toByteBuf(ByteBufAllocator alloc) {
        return new PoolReturningByteBuf(alloc, this);
    }

    /**
     * The chunk under {@code buf}: a buffer {@link #toByteBuf} made, or a slice or duplicate of
     * one; null for any other buffer. Lets a fabric find the registered memory (and its keys) of
     * a buffer the SCSI core hands back.
     */
    public static RegisteredBuffer under(ByteBuf buf) {
        for (ByteBuf b = buf; b != null; b = b.unwrap()) {
            if (b instanceof PoolReturningByteBuf p) {
                return p.chunk;
            }
        }
        return null;
    }

    /** Returns the chunk to its pool; any thread. Releasing a free chunk is a bug and throws. */
    public void release() {
        pool.free(this);
    }

    private static final class PoolReturningByteBuf extends UnpooledDirectByteBuf {
        private final RegisteredBuffer chunk;
        private boolean returned;

        PoolReturningByteBuf(ByteBufAllocator alloc, RegisteredBuffer chunk) {
            super(alloc, chunk.segment.asByteBuffer(), chunk.capacity());
            this.chunk = chunk;
            clear();
        }

        @Override
        protected void deallocate() {
            // Netty never frees a buffer it was handed (freeDirect is not called for it), so the
            // chunk goes back on the last release here.
            super.deallocate();
            if (!returned) {
                returned = true;
                chunk.release();
            }
        }
    }
}
