package io.jtarget.rdma;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The RDMA layer against real peers on a real (soft-RoCE) device, run by the guest scenario
 * {@code rdma-verbs.sh}. Modes:
 * <ul>
 * <li>{@code rping-server ADDR PORT COUNT}: serves rdma-core's {@code rping -c} client (its
 *     protocol: the client SENDs its source buffer's address/rkey/size, we RDMA Read it, SEND a
 *     go-ahead, it SENDs its sink buffer, we RDMA Write the data back chained with the go-ahead);
 *     checks every ping's data and that the connection is released exactly once.
 * <li>{@code pair ADDR}: a listener and a connector of this layer in one process: reject with
 *     private data, accept with private data, SEND/RECV, RDMA Read and RDMA Write against the
 *     peer's registered buffer with SGE lists and unsignaled writes, then disconnects at awkward
 *     moments (with sends, reads and receives outstanding, from either side), each converging on
 *     one drain and one release, every buffer back in its pool.
 * <li>{@code no-device ADDR}: opening a listener on ADDR must fail with the one clear line.
 * <li>{@code all ADDR PORT COUNT NO_DEVICE_ADDR}: the three in turn in one JVM (a JVM start costs
 *     much in an emulated guest).
 * </ul>
 * Prints {@code METRIC key=value} lines; exits 0 on success, 1 with a reason otherwise.
 */
public final class RdmaSelfTest {
    private static final long TIMEOUT_S = 120;

    public static void main(String[] args) throws Exception {
        int rc;
        try {
            rc = switch (args.length == 0 ? "" : args[0]) {
                case "rping-server" -> rpingServer(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
                case "pair" -> pair(args[1]);
                case "no-device" -> noDevice(args[1]);
                case "all" -> all(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4]);
                default -> {
                    System.err.println("usage: RdmaSelfTest rping-server ADDR PORT COUNT | pair ADDR | no-device ADDR"
                            + " | all ADDR PORT COUNT NO_DEVICE_ADDR");
                    yield 2;
                }
            };
        } catch (Throwable t) {
            System.out.println("FAIL: " + t);
            t.printStackTrace(System.out);
            rc = 1;
        }
        System.out.flush();
        System.exit(rc);
    }

    static int all(String address, int port, int count, String noDeviceAddress) throws Exception {
        int rc = rpingServer(address, port, count);
        if (rc == 0) {
            rc = pair(address);
        }
        if (rc == 0) {
            rc = noDevice(noDeviceAddress);
        }
        return rc;
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    static void metric(String key, Object value) {
        System.out.println("METRIC " + key + "=" + value);
    }

    static void metrics(String prefix, RdmaCounters.Snapshot s) {
        metric(prefix + "_post_send", s.postSendCalls());
        metric(prefix + "_post_recv", s.postRecvCalls());
        metric(prefix + "_poll_cq", s.pollCqCalls());
        metric(prefix + "_req_notify_cq", s.reqNotifyCalls());
        metric(prefix + "_send_wr", s.sendWorkRequests());
        metric(prefix + "_recv_wr", s.recvWorkRequests());
        metric(prefix + "_completions", s.completions());
        metric(prefix + "_error_completions", s.errorCompletions());
        metric(prefix + "_wakeups", s.wakeups());
    }

    // ------------------------------------------------------------------ no device

    static int noDevice(String address) {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            RdmaListener l = RdmaListener.open(new InetSocketAddress(address, 0), loops, r -> r.reject(null));
            l.closeAsync();
            System.out.println("FAIL: listening on " + address + " worked");
            return 1;
        } catch (RdmaUnavailableException e) {
            System.out.println("refused: " + e.getMessage());
            check(!e.getMessage().contains("\n"), "one line");
            check(e.getMessage().startsWith("no RDMA device"), "says no RDMA device: " + e.getMessage());
            check(e.getMessage().contains("rdma link add rxe0 type rxe netdev eth0"), "says how to make one");
            return 0;
        } catch (RdmaException e) {
            System.out.println("FAIL: not the clear line: " + e);
            return 1;
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ rping

    /** rping's {@code struct rping_rdma_info}: be64 buf, be32 rkey, be32 size. */
    private static final int RPING_INFO = 16;
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    static int rpingServer(String address, int port, int expected) throws Exception {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        AtomicInteger releases = new AtomicInteger();
        CompletableFuture<RpingHandler> done = new CompletableFuture<>();
        RdmaListener listener = RdmaListener.open(new InetSocketAddress(address, port), loops, request -> {
            try {
                RdmaBufferPool pool = request.device().sharedPool("rping", 64 * 1024, 4, RdmaBufferPool.LOCAL_WRITE);
                RpingHandler h = new RpingHandler(pool.allocate(), pool.allocate(), releases, done);
                request.accept(RdmaConnectionConfig.defaults().withRecv(4, RPING_INFO), h, null);
            } catch (RdmaException e) {
                done.completeExceptionally(e);
            }
        });
        System.out.println("READY " + listener.localAddress());
        RpingHandler h = done.get(TIMEOUT_S, TimeUnit.SECONDS);
        listener.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        System.out.println("served " + h.pings + " pings; " + h.connection.disconnectReason());
        check(h.failure == null, "rping protocol: " + h.failure);
        check(h.pings == expected, "pings served " + h.pings + ", expected " + expected);
        check(releases.get() == 1, "released " + releases.get() + " times");
        check(listener.connectionCount() == 0, "connections left");
        metric("rping_pings", h.pings);
        metrics("rping", listener.releasedCounters());
        return 0;
    }

    /** A handler that remembers its first failure and disconnects on it. */
    abstract static class CheckingHandler implements RdmaConnection.Handler {
        String failure;

        void fail(RdmaConnection c, String why) {
            if (failure == null) {
                failure = why;
            }
            c.disconnect(why);
        }
    }

    /** The rping server protocol on one connection. */
    static final class RpingHandler extends CheckingHandler {
        private final RegisteredBuffer data;
        private final RegisteredBuffer goAhead;
        private final AtomicInteger releases;
        private final CompletableFuture<RpingHandler> done;
        RdmaConnection connection;
        int pings;
        private boolean expectSource = true;
        private int length;

        RpingHandler(RegisteredBuffer data, RegisteredBuffer goAhead, AtomicInteger releases,
                CompletableFuture<RpingHandler> done) {
            this.data = data;
            this.goAhead = goAhead;
            this.releases = releases;
            this.done = done;
            goAhead.segment().asSlice(0, RPING_INFO).fill((byte) 0);
        }

        @Override
        public void onEstablished(RdmaConnection c) {
            connection = c;
        }

        @Override
        public void onReceive(RdmaConnection c, RdmaConnection.Received m) {
            if (m.length() != RPING_INFO) {
                fail(c, "message of " + m.length() + " bytes");
                return;
            }
            MemorySegment info = m.segment();
            long remote = info.get(BE64, 0);
            int rkey = info.get(BE32, 8);
            int size = info.get(BE32, 12);
            if (size <= 0 || size > data.capacity()) {
                fail(c, "size " + size);
                return;
            }
            if (expectSource) {
                length = size;
                expectSource = false;
                if (!c.postRdmaRead(data, 0, size, remote, rkey, 1)) {
                    fail(c, "RDMA Read not posted");
                }
            } else {
                expectSource = true;
                // The echo, then the go-ahead: RC delivers the write before the SEND that follows it.
                boolean posted = c.chain().add(data, 0, length).rdmaWrite(remote, rkey, 2, 0)
                        .add(goAhead, 0, RPING_INFO).send(3, SendChain.SIGNALED).post();
                if (!posted) {
                    fail(c, "write+send not posted");
                }
            }
        }

        @Override
        public void onSendCompleted(RdmaConnection c, long cookie, int status) {
            if (status != 0) {
                if (c.state() == RdmaConnection.State.LIVE) {
                    fail(c, "send " + cookie + " status " + status);
                }
                return;
            }
            if (cookie == 1) {
                String text = data.segment().getString(0);
                String prefix = "rdma-ping-" + pings + ": ";
                if (!text.startsWith(prefix) || text.length() != length - 1) {
                    fail(c, "ping " + pings + " read " + text.length() + " chars: "
                            + text.substring(0, Math.min(24, text.length())));
                    return;
                }
                if (!c.postSend(goAhead, 0, RPING_INFO, 4)) {
                    fail(c, "go-ahead not posted");
                }
            } else if (cookie == 3) {
                pings++;
            }
        }

        @Override
        public void onReleased(RdmaConnection c) {
            connection = c;
            releases.incrementAndGet();
            data.release();
            goAhead.release();
            done.complete(this);
        }
    }

    // ------------------------------------------------------------------ pair

    /** Messages between the two sides: [type][address][rkey][length], big-endian. */
    private static final int MSG = 20;
    private static final int MSG_BUFFER = 1;
    private static final int MSG_DONE = 2;
    private static final int MSG_FILLER = 3;
    private static final int CHUNK = 256 * 1024;
    /** Cookies of the server's work requests: kind + round. */
    private static final long READ = 1_000_000;
    private static final long WRITE = 2_000_000;
    private static final long DONE = 3_000_000;

    static int pair(String address) throws Exception {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        Map<RdmaConnection, AtomicInteger> releases = new ConcurrentHashMap<>();
        List<PairServer> servers = new ArrayList<>();
        AtomicInteger requests = new AtomicInteger();
        RdmaListener listener = RdmaListener.open(new InetSocketAddress(address, 0), loops, request -> {
            requests.incrementAndGet();
            String hello = text(request.privateData());
            if (hello.startsWith("reject me")) {
                request.reject("go away".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            try {
                RdmaBufferPool pool = request.device().sharedPool("pair-server", CHUNK, 16, RdmaBufferPool.LOCAL_WRITE);
                PairServer s = new PairServer(pool, hello, releases);
                synchronized (servers) {
                    servers.add(s);
                }
                request.accept(RdmaConnectionConfig.defaults(), s, ("welcome " + hello).getBytes(StandardCharsets.US_ASCII));
            } catch (RdmaException e) {
                throw new IllegalStateException(e);
            }
        });
        InetSocketAddress target = listener.localAddress();
        System.out.println("listening on " + target);
        RdmaConnector connector = RdmaConnector.open(loops);
        RdmaConnectionConfig config = RdmaConnectionConfig.defaults();

        // 1. Reject with private data.
        try {
            connector.connect(target, config, bytes("reject me"), new PairClient(0, releases))
                    .toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
            throw new AssertionError("a rejected connect succeeded");
        } catch (java.util.concurrent.ExecutionException e) {
            check(e.getCause() instanceof RdmaRejectedException, "rejected: " + e.getCause());
            String why = text(((RdmaRejectedException) e.getCause()).privateData());
            check(why.equals("go away"), "reject private data: '" + why + "'");
            System.out.println("rejected with private data: " + why);
        }

        // 2. Accept with private data, then rounds of RDMA Read and Write against the client's buffer.
        int rounds = 20;
        PairClient client = connectClient(connector, target, config, releases, "hello-1", rounds);
        check(text(client.connection.peerPrivateData()).equals("welcome hello-1"),
                "accept private data: " + text(client.connection.peerPrivateData()));
        client.start();
        client.finished.get(TIMEOUT_S, TimeUnit.SECONDS);
        check(client.roundsDone == rounds, "rounds " + client.roundsDone);
        metric("pair_rounds", client.roundsDone);
        client.connection.disconnect("client done");
        client.connection.releaseFuture().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);

        // 3. Disconnect from the client with sends in flight: the server sees DISCONNECTED mid-stream.
        PairClient burst = connectClient(connector, target, config, releases, "hello-2", 0);
        burst.connection.loop().submit(() -> {
            for (int i = 0; i < 24; i++) {
                burst.sendFiller(i);
            }
            burst.connection.disconnect("client disconnects with sends outstanding");
        }).get(TIMEOUT_S, TimeUnit.SECONDS);
        burst.connection.releaseFuture().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);

        // 4. Disconnect from the server with an RDMA Read outstanding.
        PairClient victim = connectClient(connector, target, config, releases, "hello-3 read-and-drop", 1);
        victim.start();
        victim.connection.releaseFuture().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);

        // Every server connection must reach RELEASED on its own.
        for (PairServer s : snapshot(servers)) {
            s.released.get(TIMEOUT_S, TimeUnit.SECONDS);
        }
        for (PairServer s : snapshot(servers)) {
            check(s.failure == null, "server " + s.hello + ": " + s.failure);
            check(s.pool.available() == s.pool.chunkCount(), "server pool not all back: " + s.pool.available());
        }
        PairServer burstServer = find(servers, "hello-2");
        PairServer readServer = find(servers, "hello-3 read-and-drop");
        check(readServer.readCompletions == 1, "the dropped read completed " + readServer.readCompletions + " times");
        check(readServer.readStatus == 0 || readServer.readStatus == 5,
                "the dropped read ended with status " + readServer.readStatus);
        System.out.println("server dropped a read: status " + readServer.readStatus + "; burst server received "
                + burstServer.fillers + " of 24 sends before the disconnect");
        check(client.pool.available() == client.pool.chunkCount(), "client pool not all back");
        for (var e : releases.entrySet()) {
            check(e.getValue().get() == 1, e.getKey() + " released " + e.getValue().get() + " times");
            check(e.getKey().state() == RdmaConnection.State.RELEASED, e.getKey() + " not released");
        }
        // 4 client connections (one of them rejected) and 3 server connections.
        check(releases.size() == 7, "connections released: " + releases.size() + " (4 clients + 3 servers)");
        check(requests.get() == 4, "connect requests: " + requests.get());

        connector.close();
        listener.close();
        check(listener.connectionCount() == 0 && connector.connectionCount() == 0, "connections left");
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        RdmaCounters.Snapshot server = listener.releasedCounters();
        RdmaCounters.Snapshot peer = connector.releasedCounters();
        check(server.errorCompletions() > 0, "the server drained no flushed work request");
        metric("pair_released", releases.size());
        metric("pair_burst_received", burstServer.fillers);
        metrics("server", server);
        metrics("client", peer);
        metric("server_verbs_calls_per_round",
                String.format("%.1f", (double) server.verbsCalls() / Math.max(1, client.roundsDone)));
        return 0;
    }

    private static PairServer find(List<PairServer> servers, String hello) {
        return snapshot(servers).stream().filter(s -> s.hello.equals(hello)).findFirst()
                .orElseThrow(() -> new AssertionError("no server for " + hello));
    }

    private static List<PairServer> snapshot(List<PairServer> servers) {
        synchronized (servers) {
            return List.copyOf(servers);
        }
    }

    private static PairClient connectClient(RdmaConnector connector, InetSocketAddress target,
            RdmaConnectionConfig config, Map<RdmaConnection, AtomicInteger> releases, String hello, int rounds)
            throws Exception {
        PairClient c = new PairClient(rounds, releases);
        c.connection = connector.connect(target, config, bytes(hello), c).toCompletableFuture()
                .get(TIMEOUT_S, TimeUnit.SECONDS);
        c.pool = c.connection.device().sharedPool("pair-client", CHUNK, 4,
                RdmaBufferPool.LOCAL_WRITE | RdmaBufferPool.REMOTE_READ | RdmaBufferPool.REMOTE_WRITE);
        return c;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Private data as text up to the first NUL (the CM pads it with zeros). */
    static String text(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    static byte pattern(int round, int i, int salt) {
        return (byte) (i * 31 + round * 7 + salt);
    }

    /**
     * The client: for each round it fills its registered buffer, SENDs its address/rkey/length,
     * and when the server answers DONE checks that the server wrote back the transformed data.
     */
    static final class PairClient implements RdmaConnection.Handler {
        final int rounds;
        final Map<RdmaConnection, AtomicInteger> releases;
        final CompletableFuture<Void> finished = new CompletableFuture<>();
        RdmaConnection connection;
        RdmaBufferPool pool;
        RegisteredBuffer buffer;
        RegisteredBuffer message;
        int roundsDone;
        int length;

        PairClient(int rounds, Map<RdmaConnection, AtomicInteger> releases) {
            this.rounds = rounds;
            this.releases = releases;
        }

        void start() {
            connection.loop().execute(this::round);
        }

        private boolean ensureBuffers() {
            if (buffer == null) {
                buffer = pool.allocate();
                message = pool.allocate();
            }
            return buffer != null && message != null;
        }

        private void round() {
            if (!ensureBuffers()) {
                finished.completeExceptionally(new AssertionError("client pool exhausted"));
                return;
            }
            length = 1000 + (roundsDone * 6151) % (CHUNK - 1000);
            MemorySegment s = buffer.segment();
            for (int i = 0; i < length; i++) {
                s.set(ValueLayout.JAVA_BYTE, i, pattern(roundsDone, i, 0));
            }
            sendMessage(MSG_BUFFER, roundsDone);
        }

        void sendFiller(int i) {
            ensureBuffers();
            sendMessage(MSG_FILLER, i);
        }

        private void sendMessage(int type, long cookie) {
            MemorySegment m = message.segment();
            m.set(BE32, 0, type);
            m.set(BE64, 4, buffer.address());
            m.set(BE32, 12, buffer.rkey());
            m.set(BE32, 16, length);
            // Filler sends are unsignaled: the layer must still retire them (and flush them on disconnect).
            int flags = type == MSG_FILLER ? 0 : SendChain.SIGNALED;
            connection.chain().add(message, 0, MSG).send(cookie, flags).post();
        }

        @Override
        public void onReceive(RdmaConnection c, RdmaConnection.Received m) {
            MemorySegment msg = m.segment();
            if (m.length() != MSG || msg.get(BE32, 0) != MSG_DONE) {
                finished.completeExceptionally(new AssertionError("client got " + m.length() + " bytes"));
                return;
            }
            MemorySegment s = buffer.segment();
            for (int i = 0; i < length; i++) {
                if (s.get(ValueLayout.JAVA_BYTE, i) != pattern(roundsDone, i, 1)) {
                    finished.completeExceptionally(new AssertionError("round " + roundsDone + ": byte " + i
                            + " not written back"));
                    return;
                }
            }
            roundsDone++;
            if (roundsDone == rounds) {
                finished.complete(null);
            } else {
                round();
            }
        }

        @Override
        public void onReleased(RdmaConnection c) {
            releases.computeIfAbsent(c, k -> new AtomicInteger()).incrementAndGet();
            if (buffer != null) {
                buffer.release();
            }
            if (message != null) {
                message.release();
            }
            buffer = null;
            message = null;
            finished.completeExceptionally(new AssertionError("released before all rounds: " + c.disconnectReason()));
        }
    }

    /**
     * The server: on a BUFFER message it RDMA Reads the client's buffer, checks it, transforms
     * it and RDMA Writes it back from two SGEs (unsignaled) chained with a signaled DONE send.
     * With "read-and-drop" in its hello it disconnects right after posting its first read.
     */
    static final class PairServer extends CheckingHandler {
        final RdmaBufferPool pool;
        final String hello;
        final Map<RdmaConnection, AtomicInteger> releases;
        final CompletableFuture<Void> released = new CompletableFuture<>();
        final boolean dropAfterRead;
        RegisteredBuffer data;
        RegisteredBuffer second;
        RegisteredBuffer done;
        int round;
        int length;
        long remote;
        int rkey;
        int fillers;
        int readCompletions;
        int readStatus = -1;

        PairServer(RdmaBufferPool pool, String hello, Map<RdmaConnection, AtomicInteger> releases) {
            this.pool = pool;
            this.hello = hello;
            this.releases = releases;
            this.dropAfterRead = hello.contains("read-and-drop");
        }

        @Override
        public void onEstablished(RdmaConnection c) {
            data = pool.allocate();
            second = pool.allocate();
            done = pool.allocate();
            if (data == null || second == null || done == null) {
                fail(c, "server pool exhausted");
            }
        }

        @Override
        public void onReceive(RdmaConnection c, RdmaConnection.Received m) {
            MemorySegment msg = m.segment();
            if (m.length() != MSG) {
                fail(c, "message of " + m.length() + " bytes");
                return;
            }
            int type = msg.get(BE32, 0);
            if (type == MSG_FILLER) {
                fillers++;
                return;
            }
            remote = msg.get(BE64, 4);
            rkey = msg.get(BE32, 12);
            length = msg.get(BE32, 16);
            if (type != MSG_BUFFER || length <= 0 || length > CHUNK) {
                fail(c, "bad message type " + type + " length " + length);
                return;
            }
            if (!c.postRdmaRead(data, 0, length, remote, rkey, READ + round)) {
                fail(c, "read not posted");
                return;
            }
            if (dropAfterRead) {
                c.disconnect("server disconnects with an RDMA Read outstanding");
            }
        }

        @Override
        public void onSendCompleted(RdmaConnection c, long cookie, int status) {
            boolean isRead = cookie >= READ && cookie < WRITE;
            if (isRead) {
                readCompletions++;
                readStatus = status;
            }
            if (status != 0) {
                if (c.state() == RdmaConnection.State.LIVE) {
                    fail(c, "work request " + cookie + " failed with status " + status);
                }
                return;
            }
            if (isRead && c.state() == RdmaConnection.State.LIVE) {
                MemorySegment s = data.segment();
                for (int i = 0; i < length; i++) {
                    if (s.get(ValueLayout.JAVA_BYTE, i) != pattern(round, i, 0)) {
                        fail(c, "round " + round + ": byte " + i + " read wrong");
                        return;
                    }
                }
                // Transform, and split it over two buffers: the write goes out from a two-entry SGE list.
                int half = length / 2;
                for (int i = 0; i < length; i++) {
                    byte b = pattern(round, i, 1);
                    if (i < half) {
                        s.set(ValueLayout.JAVA_BYTE, i, b);
                    } else {
                        second.segment().set(ValueLayout.JAVA_BYTE, i - half, b);
                    }
                }
                MemorySegment d = done.segment();
                d.set(BE32, 0, MSG_DONE);
                d.set(BE64, 4, 0);
                d.set(BE32, 12, 0);
                d.set(BE32, 16, round);
                boolean posted = c.chain().add(data, 0, half).add(second, 0, length - half)
                        .rdmaWrite(remote, rkey, WRITE + round, 0)
                        .add(done, 0, MSG).send(DONE + round, SendChain.SIGNALED).post();
                if (!posted) {
                    fail(c, "write+done not posted");
                }
                round++;
            }
        }

        @Override
        public void onReleased(RdmaConnection c) {
            releases.computeIfAbsent(c, k -> new AtomicInteger()).incrementAndGet();
            for (RegisteredBuffer b : new RegisteredBuffer[] {data, second, done}) {
                if (b != null) {
                    b.release();
                }
            }
            data = null;
            second = null;
            done = null;
            released.complete(null);
        }
    }
}
