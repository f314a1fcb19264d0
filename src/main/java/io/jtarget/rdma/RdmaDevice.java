package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One RDMA device as an endpoint found it through the RDMA CM ({@code cm_id->verbs}): its
 * protection domain and the registered buffer pools made on it. Owned by the
 * {@link RdmaListener} or {@link RdmaConnector} that opened it, closed by it after the last
 * connection on the device is released. Pools may be made from any thread.
 */
public final class RdmaDevice {
    static final Logger log = LoggerFactory.getLogger(RdmaDevice.class);

    private final RdmaNative natives;
    private final MemorySegment context;
    private final MemorySegment pd;
    private final String name;
    private final Map<String, RdmaBufferPool> pools = new LinkedHashMap<>();
    private final List<RdmaBufferPool> privatePools = new ArrayList<>();
    private boolean closed;

    RdmaDevice(RdmaNative natives, MemorySegment context) throws RdmaException {
        this.natives = natives;
        this.context = context;
        this.name = deviceName(natives, context);
        try {
            MemorySegment p = (MemorySegment) natives.ibvAllocPd.invokeExact(natives.state(), context);
            if (p.equals(MemorySegment.NULL)) {
                throw natives.failure("ibv_alloc_pd(" + name + ")");
            }
            this.pd = p;
        } catch (RdmaException e) {
            throw e;
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
    }

    private static String deviceName(RdmaNative n, MemorySegment context) {
        try {
            MemorySegment dev = context.reinterpret(8).get(ADDRESS, Structs.CONTEXT_DEVICE);
            MemorySegment s = (MemorySegment) n.ibvGetDeviceName.invokeExact(dev);
            return s.equals(MemorySegment.NULL) ? "?" : s.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
    }

    /** The kernel's name of the device ({@code rxe0}, {@code mlx5_0}). */
    public String name() {
        return name;
    }

    RdmaNative natives() {
        return natives;
    }

    MemorySegment context() {
        return context;
    }

    MemorySegment pd() {
        return pd;
    }

    /**
     * The pool called {@code name} on this device, made and registered on first request (later
     * requests with the same name get the same pool, whatever sizes they ask for). Upper layers
     * share their data pools per device this way; the device closes them.
     *
     * @param access {@link RdmaBufferPool#LOCAL_WRITE} and, for memory a peer reaches,
     *     {@link RdmaBufferPool#REMOTE_READ} / {@link RdmaBufferPool#REMOTE_WRITE}
     */
    public synchronized RdmaBufferPool sharedPool(String name, int chunkSize, int chunkCount, int access)
            throws RdmaException {
        if (closed) {
            throw new RdmaException("device " + this.name + " is closed", 0);
        }
        RdmaBufferPool pool = pools.get(name);
        if (pool == null) {
            pool = new RdmaBufferPool(this, name, chunkSize, chunkCount, access);
            pools.put(name, pool);
        }
        return pool;
    }

    /** A pool of its own for one user (a connection's receive buffers), closed with the device unless closed before. */
    synchronized RdmaBufferPool privatePool(String name, int chunkSize, int chunkCount, int access)
            throws RdmaException {
        if (closed) {
            throw new RdmaException("device " + this.name + " is closed", 0);
        }
        RdmaBufferPool pool = new RdmaBufferPool(this, name, chunkSize, chunkCount, access);
        privatePools.add(pool);
        return pool;
    }

    synchronized void closePrivatePool(RdmaBufferPool pool) {
        if (privatePools.remove(pool)) {
            pool.close();
        }
    }

    /** Deregisters every pool and frees the protection domain; only after every QP on it is destroyed. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (RdmaBufferPool p : privatePools) {
            p.close();
        }
        for (RdmaBufferPool p : pools.values()) {
            p.close();
        }
        privatePools.clear();
        pools.clear();
        try {
            int rc = (int) natives.ibvDeallocPd.invokeExact(pd);
            if (rc != 0) {
                log.warn("ibv_dealloc_pd({}): {}", name, natives.errorText(rc));
            }
        } catch (Throwable t) {
            throw RdmaNative.rethrow(t);
        }
    }

    @Override
    public String toString() {
        return "RdmaDevice[" + name + "]";
    }
}
