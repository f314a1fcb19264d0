package io.jtarget.rdma;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * An {@link RdmaLink} without a device, for protocol tests of a fabric's channel: the
 * {@link SendChain} is the real one (native work requests in an arena); posting decodes them into
 * {@link WorkRequest}s the test reads, and the test completes them (in posting order, as a send
 * queue does), plays an RDMA Read by copying into the local buffers, fails one, or drains the
 * link. Its life follows {@link RdmaConnection}'s: {@link #disconnect} tells the channel at once
 * ({@code onDisconnecting}); {@link #drain} flushes what is still posted
 * ({@code IBV_WC_WR_FLUSH_ERR} for signaled requests) and releases. Single-threaded: the test
 * thread is the loop.
 */
public final class FakeRdmaLink implements RdmaLink, AutoCloseable {
    /** {@code IBV_WC_WR_FLUSH_ERR}: what a drain reports for work requests still posted. */
    public static final int WR_FLUSH_ERR = 5;
    /** {@code IBV_WC_REM_ACCESS_ERR}: e.g. an RDMA Read of a bad R_Key. */
    public static final int REM_ACCESS_ERR = 10;

    public enum Op { SEND, RDMA_WRITE, RDMA_READ }

    /** One scatter/gather entry: local memory. */
    public record Sge(long address, int length, int lkey) {
        public MemorySegment segment() {
            return MemorySegment.ofAddress(address).reinterpret(length);
        }
    }

    /**
     * A posted send work request; {@code bytes} are what a SEND or RDMA Write carried, read from its
     * local buffers when it was posted (null for an RDMA Read).
     */
    public record WorkRequest(Op op, long cookie, int flags, long remoteAddress, int rkey, List<Sge> sges,
            byte[] bytes) {
        public boolean signaled() {
            return (flags & SendChain.SIGNALED) != 0;
        }

        public int length() {
            return sges.stream().mapToInt(Sge::length).sum();
        }
    }

    /** What the channel hears of its link (the calls {@link RdmaConnection.Handler} gets). */
    public interface Events {
        void onSendCompleted(long cookie, int status);

        void onWritable();

        void onDisconnecting(String reason);

        void onReleased();
    }

    private final Arena arena = Arena.ofConfined();
    private final int depth;
    private final SendChain chain;
    private final Deque<WorkRequest> outstanding = new ArrayDeque<>();
    private final Deque<WorkRequest> unread = new ArrayDeque<>();
    private Events events;
    private RdmaConnection.State state = RdmaConnection.State.LIVE;
    private String reason;
    private boolean wantWritable;
    private int failPosts;
    private int posts;

    /** A LIVE link with {@code depth} send slots and at most {@code maxSge} entries per request. */
    public FakeRdmaLink(int depth, int maxSge) {
        this.depth = depth;
        this.chain = new SendChain(this::record, arena, Math.min(depth, SendChain.MAX_WRS), maxSge);
    }

    /** Plain off-heap memory in chunks (keys 0): what a test gives a fabric as its registered pools. */
    public static RdmaBufferPool pool(String name, int chunkSize, int chunkCount) {
        try {
            return new RdmaBufferPool(null, name, chunkSize, chunkCount, RdmaBufferPool.LOCAL_WRITE, false);
        } catch (RdmaException e) {
            throw new IllegalStateException(e);
        }
    }

    public void events(Events events) {
        this.events = events;
    }

    /** Back to CONNECTING: accepted, not yet established (before the test posts anything). */
    public void connecting() {
        state = RdmaConnection.State.CONNECTING;
    }

    // ---------------------------------------------------------------- RdmaLink

    @Override
    public RdmaConnection.State state() {
        return state;
    }

    @Override
    public int sendSlotsFree() {
        return depth - outstanding.size();
    }

    @Override
    public SendChain chain() {
        return chain.reset();
    }

    @Override
    public void disconnect(String why) {
        if (state != RdmaConnection.State.CONNECTING && state != RdmaConnection.State.LIVE) {
            return;
        }
        reason = why;
        state = RdmaConnection.State.DISCONNECTING;
        events.onDisconnecting(why);
        state = RdmaConnection.State.DRAINING;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return new InetSocketAddress("192.0.2.1", 4791);
    }

    private boolean record(MemorySegment firstWr, int wrCount, long[] cookies, int[] flags) {
        if (state != RdmaConnection.State.LIVE) {
            return false;
        }
        if (failPosts > 0) {
            failPosts--;
            disconnect("ibv_post_send: failed (test)"); // as the connection does when the provider refuses
            return false;
        }
        if (wrCount > sendSlotsFree()) {
            wantWritable = true;
            return false;
        }
        posts++;
        long size = Structs.IBV_SEND_WR.byteSize();
        for (int i = 0; i < wrCount; i++) {
            MemorySegment wr = firstWr.asSlice(i * size, size);
            Op op = switch (wr.get(JAVA_INT, Structs.offset(Structs.IBV_SEND_WR, "opcode"))) {
                case SendChain.IBV_WR_SEND -> Op.SEND;
                case SendChain.IBV_WR_RDMA_WRITE -> Op.RDMA_WRITE;
                case SendChain.IBV_WR_RDMA_READ -> Op.RDMA_READ;
                default -> throw new IllegalStateException("unknown opcode");
            };
            int count = wr.get(JAVA_INT, Structs.offset(Structs.IBV_SEND_WR, "num_sge"));
            MemorySegment list = wr.get(ADDRESS, Structs.offset(Structs.IBV_SEND_WR, "sg_list"))
                    .reinterpret(count * Structs.IBV_SGE.byteSize());
            List<Sge> sges = new ArrayList<>();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int j = 0; j < count; j++) {
                long at = j * Structs.IBV_SGE.byteSize();
                Sge sge = new Sge(list.get(JAVA_LONG, at), list.get(JAVA_INT, at + 8), list.get(JAVA_INT, at + 12));
                sges.add(sge);
                bytes.writeBytes(sge.segment().toArray(JAVA_BYTE));
            }
            WorkRequest w = new WorkRequest(op, cookies[i], flags[i],
                    wr.get(JAVA_LONG, Structs.offset(Structs.IBV_SEND_WR, "remote_addr")),
                    wr.get(JAVA_INT, Structs.offset(Structs.IBV_SEND_WR, "rkey")), List.copyOf(sges),
                    op == Op.RDMA_READ ? null : bytes.toByteArray());
            outstanding.add(w);
            unread.add(w);
        }
        return true;
    }

    // ---------------------------------------------------------------- what the test does

    /** The next work request posted that the test has not taken yet, or null. */
    public WorkRequest next() {
        return unread.poll();
    }

    /** Every posted work request the test has not taken yet, in posting order. */
    public List<WorkRequest> takeAll() {
        List<WorkRequest> all = new ArrayList<>(unread);
        unread.clear();
        return all;
    }

    /** Work requests posted and not yet retired by a completion. */
    public List<WorkRequest> outstanding() {
        return List.copyOf(outstanding);
    }

    /** An RDMA Read done by the peer: {@code data} lands in the request's local buffers, in order. */
    public void playRead(WorkRequest read, byte[] data) {
        if (read.op() != Op.RDMA_READ) {
            throw new IllegalArgumentException("not an RDMA Read: " + read);
        }
        int at = 0;
        for (Sge sge : read.sges()) {
            int n = Math.min(sge.length(), data.length - at);
            MemorySegment.copy(MemorySegment.ofArray(data), at, sge.segment(), 0, n);
            at += n;
        }
    }

    /**
     * The completion of {@code wr} with {@code status}: like a send queue, it retires every earlier
     * request too (those signaled hear success, or a flush when this one failed). A failure on a
     * live link disconnects it, as the connection does.
     */
    public void complete(WorkRequest wr, int status) {
        if (!outstanding.contains(wr)) {
            throw new IllegalStateException("not outstanding: " + wr);
        }
        while (true) {
            WorkRequest w = outstanding.poll();
            if (w.signaled()) {
                events.onSendCompleted(w.cookie(), w == wr ? status : status == 0 ? 0 : WR_FLUSH_ERR);
            }
            if (w == wr) {
                break;
            }
        }
        if (status != 0 && state == RdmaConnection.State.LIVE) {
            disconnect("send work request failed (test): status " + status);
        }
        if (wantWritable && state == RdmaConnection.State.LIVE && sendSlotsFree() > 0) {
            wantWritable = false;
            events.onWritable();
        }
    }

    /** Completes every outstanding request with success, in order. */
    public void completeAll() {
        while (!outstanding.isEmpty()) {
            complete(outstanding.peekLast(), 0);
        }
    }

    /** The next {@code n} posts fail as a refused {@code ibv_post_send} does: nothing posted, the link disconnects. */
    public void failPosts(int n) {
        failPosts = n;
    }

    /**
     * The drain of a disconnected link: everything still posted is flushed (signaled requests hear
     * {@link #WR_FLUSH_ERR}), then the link is released once.
     */
    public void drain() {
        if (state != RdmaConnection.State.DRAINING) {
            throw new IllegalStateException("drain of a link that is " + state);
        }
        while (!outstanding.isEmpty()) {
            WorkRequest w = outstanding.poll();
            if (w.signaled()) {
                events.onSendCompleted(w.cookie(), WR_FLUSH_ERR);
            }
        }
        release();
    }

    /** A drain that timed out: the queue pair destroyed with requests still posted; they never complete. */
    public void releaseWithoutFlush() {
        outstanding.clear();
        release();
    }

    private void release() {
        state = RdmaConnection.State.RELEASED;
        events.onReleased();
    }

    public String disconnectReason() {
        return reason;
    }

    /** Chains posted (each one {@code ibv_post_send}). */
    public int posts() {
        return posts;
    }

    @Override
    public void close() {
        arena.close();
    }
}
