package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A chain of send work requests built in a connection's own native memory and posted with one
 * {@code ibv_post_send}: e.g. iSER's RDMA Writes of Data-In followed by the SEND of the SCSI
 * Response, or an SRP RDMA Read per data descriptor. No allocation per request. One per
 * connection ({@link RdmaLink#chain}), used on its loop; building a new chain forgets an
 * unposted one.
 *
 * <p>Scatter/gather entries given by {@link #add} before an operation belong to that operation.
 * Sends complete in posting order; an unsignaled request is retired by the next signaled one (the
 * connection signals at least every half ring by itself, without a callback).
 */
public final class SendChain {
    /**
     * Where a filled chain goes: the connection's send queue ({@code ibv_post_send}); in tests, a
     * recorder. Reads the native work requests, their {@code cookies} and {@code flags}.
     */
    interface Poster {
        /** Posts {@code wrCount} linked work requests from {@code firstWr}; false when nothing was posted. */
        boolean postChain(MemorySegment firstWr, int wrCount, long[] cookies, int[] flags);
    }

    /** {@code IBV_SEND_FENCE}: wait for earlier RDMA Reads before this request. */
    public static final int FENCE = 1;
    /** {@code IBV_SEND_SIGNALED}: a completion, and {@link RdmaConnection.Handler#onSendCompleted}. */
    public static final int SIGNALED = 1 << 1;
    /** {@code IBV_SEND_SOLICITED}: the peer's solicited-only notification fires. */
    public static final int SOLICITED = 1 << 2;
    /** {@code IBV_SEND_INLINE}: the data is copied at post time (up to maxInlineData bytes). */
    public static final int INLINE = 1 << 3;

    /** Most work requests in one chain. */
    public static final int MAX_WRS = 16;

    static final int IBV_WR_RDMA_WRITE = 0;
    static final int IBV_WR_SEND = 2;
    static final int IBV_WR_RDMA_READ = 4;

    private static final long WR_SIZE = Structs.IBV_SEND_WR.byteSize();
    private static final long SGE_SIZE = Structs.IBV_SGE.byteSize();
    private static final long OPCODE = Structs.offset(Structs.IBV_SEND_WR, "opcode");
    private static final long NUM_SGE = Structs.offset(Structs.IBV_SEND_WR, "num_sge");
    private static final long SG_LIST = Structs.offset(Structs.IBV_SEND_WR, "sg_list");
    private static final long NEXT = Structs.offset(Structs.IBV_SEND_WR, "next");
    private static final long REMOTE_ADDR = Structs.offset(Structs.IBV_SEND_WR, "remote_addr");
    private static final long RKEY = Structs.offset(Structs.IBV_SEND_WR, "rkey");

    private final Poster poster;
    private final MemorySegment wrs;
    private final MemorySegment sges;
    private final int maxWrs;
    private final int maxSgePerWr;
    private final long[] cookies;
    private final int[] flags;
    private int wrCount;
    private int sgeCount;
    private int firstSgeOfPending;

    SendChain(Poster poster, Arena arena, int maxWrs, int maxSgePerWr) {
        this.poster = poster;
        this.maxWrs = maxWrs;
        this.maxSgePerWr = maxSgePerWr;
        this.wrs = arena.allocate(Structs.IBV_SEND_WR, maxWrs);
        this.sges = arena.allocate(Structs.IBV_SGE, (long) maxWrs * maxSgePerWr);
        this.cookies = new long[maxWrs];
        this.flags = new int[maxWrs];
    }

    SendChain reset() {
        wrCount = 0;
        sgeCount = 0;
        firstSgeOfPending = 0;
        return this;
    }

    /** Adds {@code length} bytes of {@code buffer} from {@code offset} to the next operation. */
    public SendChain add(RegisteredBuffer buffer, int offset, int length) {
        if (offset < 0 || length < 0 || (long) offset + length > buffer.capacity()) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + length + " of a " + buffer.capacity()
                    + "-byte buffer");
        }
        return add(buffer.address() + offset, length, buffer.lkey());
    }

    /** Adds a range of any memory registered with the connection's device ({@code lkey}). */
    public SendChain add(long address, int length, int lkey) {
        if (sgeCount - firstSgeOfPending >= maxSgePerWr) {
            throw new IllegalStateException("more than " + maxSgePerWr + " SGEs in one work request");
        }
        MemorySegment sge = sges.asSlice(sgeCount * SGE_SIZE, SGE_SIZE);
        sge.set(JAVA_LONG, 0, address);
        sge.set(JAVA_INT, 8, length);
        sge.set(JAVA_INT, 12, lkey);
        sgeCount++;
        return this;
    }

    /** SEND of the ranges added since the last operation. */
    public SendChain send(long cookie, int sendFlags) {
        return op(IBV_WR_SEND, 0, 0, cookie, sendFlags);
    }

    /** RDMA Write of the ranges added to the peer's {@code remoteAddress} (its {@code rkey}/STag). */
    public SendChain rdmaWrite(long remoteAddress, int rkey, long cookie, int sendFlags) {
        return op(IBV_WR_RDMA_WRITE, remoteAddress, rkey, cookie, sendFlags);
    }

    /** RDMA Read from the peer's {@code remoteAddress} into the ranges added. */
    public SendChain rdmaRead(long remoteAddress, int rkey, long cookie, int sendFlags) {
        return op(IBV_WR_RDMA_READ, remoteAddress, rkey, cookie, sendFlags);
    }

    private SendChain op(int opcode, long remoteAddress, int rkey, long cookie, int sendFlags) {
        if (wrCount >= maxWrs) {
            throw new IllegalStateException("more than " + maxWrs + " work requests in one chain");
        }
        if (cookie == Long.MIN_VALUE) {
            throw new IllegalArgumentException("cookie Long.MIN_VALUE is reserved");
        }
        MemorySegment wr = wrs.asSlice(wrCount * WR_SIZE, WR_SIZE);
        wr.fill((byte) 0);
        int nsge = sgeCount - firstSgeOfPending;
        wr.set(ADDRESS, SG_LIST, nsge == 0 ? MemorySegment.NULL : sges.asSlice(firstSgeOfPending * SGE_SIZE));
        wr.set(JAVA_INT, NUM_SGE, nsge);
        wr.set(JAVA_INT, OPCODE, opcode);
        wr.set(JAVA_LONG, REMOTE_ADDR, remoteAddress);
        wr.set(JAVA_INT, RKEY, rkey);
        if (wrCount > 0) {
            wrs.asSlice((wrCount - 1) * WR_SIZE, WR_SIZE).set(ADDRESS, NEXT, wr);
        }
        cookies[wrCount] = cookie;
        flags[wrCount] = sendFlags;
        wrCount++;
        firstSgeOfPending = sgeCount;
        return this;
    }

    /** The first work request (tests read what was written). */
    MemorySegment workRequests() {
        return wrs;
    }

    /** Work requests in the chain. */
    public int size() {
        return wrCount;
    }

    /**
     * Posts the chain. False when nothing was posted: not enough free send slots
     * ({@link RdmaConnection.Handler#onWritable} follows), or the connection is not LIVE.
     */
    public boolean post() {
        if (wrCount == 0) {
            return true;
        }
        if (sgeCount != firstSgeOfPending) {
            throw new IllegalStateException("SGEs added after the last operation");
        }
        boolean ok = poster.postChain(wrs, wrCount, cookies, flags);
        if (ok) {
            reset();
        }
        return ok;
    }
}
