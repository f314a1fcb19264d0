package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Registered off-heap memory in chunks of one size: one slab allocated and registered
 * ({@code ibv_reg_mr}) once when the pool is made, never per I/O. {@link #allocate} and
 * {@link RegisteredBuffer#release} are cheap (a short lock, no allocation) and safe from any
 * loop. An exhausted pool answers null: the caller holds the work back (back-pressure), it does
 * not register more memory on the data path.
 */
public final class RdmaBufferPool implements AutoCloseable {
    /** {@code IBV_ACCESS_*}: the device may write (RECV, RDMA Read destination). */
    public static final int LOCAL_WRITE = 1;
    /** The peer may RDMA Write here. */
    public static final int REMOTE_WRITE = 1 << 1;
    /** The peer may RDMA Read from here. */
    public static final int REMOTE_READ = 1 << 2;

    private final RdmaDevice device;
    private final String name;
    private final int chunkSize;
    private final Arena arena;
    private final MemorySegment slab;
    private final MemorySegment mr;
    private final int lkey;
    private final int rkey;
    private final RegisteredBuffer[] chunks;
    private final int[] freeStack;
    private int freeCount;
    private boolean closed;
    private final ReentrantLock lock = new ReentrantLock();

    RdmaBufferPool(RdmaDevice device, String name, int chunkSize, int chunkCount, int access) throws RdmaException {
        this(device, name, chunkSize, chunkCount, access, true);
    }

    /** {@code register} false: plain off-heap memory with keys 0, for tests of the pool's own logic. */
    RdmaBufferPool(RdmaDevice device, String name, int chunkSize, int chunkCount, int access, boolean register)
            throws RdmaException {
        if (chunkSize <= 0 || chunkCount <= 0 || (long) chunkSize * chunkCount > Integer.MAX_VALUE * 4L) {
            throw new IllegalArgumentException("pool " + name + ": bad size " + chunkCount + " x " + chunkSize);
        }
        this.device = device;
        this.name = name;
        this.chunkSize = chunkSize;
        this.arena = Arena.ofShared();
        try {
            this.slab = arena.allocate((long) chunkSize * chunkCount, 4096);
            this.mr = register ? register(device, name, slab, access) : MemorySegment.NULL;
        } catch (RdmaException | RuntimeException e) {
            arena.close();
            throw e;
        }
        this.lkey = register ? mr.get(JAVA_INT, Structs.MR_LKEY) : 0;
        this.rkey = register ? mr.get(JAVA_INT, Structs.MR_RKEY) : 0;
        this.chunks = new RegisteredBuffer[chunkCount];
        this.freeStack = new int[chunkCount];
        for (int i = 0; i < chunkCount; i++) {
            chunks[i] = new RegisteredBuffer(this, i, slab.asSlice((long) i * chunkSize, chunkSize));
            freeStack[i] = chunkCount - 1 - i;
        }
        this.freeCount = chunkCount;
    }

    private static MemorySegment register(RdmaDevice device, String name, MemorySegment slab, int access)
            throws RdmaException {
        RdmaNative n = device.natives();
        MemorySegment m;
        try {
            m = (MemorySegment) n.ibvRegMr.invokeExact(n.state(), device.pd(), slab, slab.byteSize(), access);
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        if (m.equals(MemorySegment.NULL)) {
            throw n.failure("ibv_reg_mr(" + name + ", " + slab.byteSize() + " bytes)");
        }
        return m.reinterpret(Structs.MR_RKEY + 4);
    }

    public String name() {
        return name;
    }

    public int chunkSize() {
        return chunkSize;
    }

    public int chunkCount() {
        return chunks.length;
    }

    public RdmaDevice device() {
        return device;
    }

    int lkey() {
        return lkey;
    }

    int rkey() {
        return rkey;
    }

    /** Chunks not allocated now. */
    public int available() {
        lock.lock();
        try {
            return freeCount;
        } finally {
            lock.unlock();
        }
    }

    /** A free chunk, or null when every chunk is in use (or the pool is closed). */
    public RegisteredBuffer allocate() {
        lock.lock();
        try {
            if (freeCount == 0 || closed) {
                return null;
            }
            RegisteredBuffer b = chunks[freeStack[--freeCount]];
            b.free = false;
            return b;
        } finally {
            lock.unlock();
        }
    }

    void free(RegisteredBuffer b) {
        lock.lock();
        try {
            if (b.free) {
                throw new IllegalStateException("chunk " + b.index() + " of pool " + name + " released twice");
            }
            b.free = true;
            freeStack[freeCount++] = b.index();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deregisters and frees the memory. Only when no work request can still use it: every
     * connection using the pool is released. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        if (mr.equals(MemorySegment.NULL)) {
            arena.close();
            return;
        }
        RdmaNative n = device.natives();
        try {
            int rc = (int) n.ibvDeregMr.invokeExact(mr);
            if (rc != 0) {
                RdmaDevice.log.warn("ibv_dereg_mr({}): {}", name, n.errorText(rc));
            }
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
        arena.close();
    }
}
