package io.jtarget.tcmu;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.IoCallback;
import io.jtarget.backstore.RamBlockDevice;
import io.jtarget.scsi.ItNexus;
import io.jtarget.scsi.LogicalUnit;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A served device end to end without a kernel: the ring in memory ({@link FakeKernelRing}), a
 * socket pair standing in for the uio descriptor (the "kernel" writes 4 bytes to raise an event,
 * reads the device's 4-byte kicks), the real SCSI core and stores, and a real epoll event loop.
 */
class TcmuDeviceTest {
    private static final int ALL_CAPS = TcmuAbi.FLAG_CAP_OOOC | TcmuAbi.FLAG_CAP_READ_LEN | TcmuAbi.FLAG_CAP_TMR;
    private static final long SIZE = 1 << 20;
    private static final byte[] TEST_UNIT_READY = new byte[6];

    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    /** The kernel's memory; outlives the device. */
    private final Arena arena = Arena.ofShared();
    /** What the device releases when it closes (in production: the mapping). */
    private final Arena deviceArena = Arena.ofShared();
    private final FakeKernelRing kernel = new FakeKernelRing(arena, 64 * 1024, 64, ALL_CAPS);
    private final UioDevice uio = new UioDevice(0, 1, "disk0", "jtarget", "ram:1M");
    private int kernelEnd;
    private int deviceEnd;
    private TcmuDevice device;
    private boolean closed;

    @BeforeEach
    void pair() throws Throwable {
        int[] sv = socketPair();
        deviceEnd = sv[0];
        kernelEnd = sv[1];
    }

    @AfterEach
    void tearDown() throws Exception {
        if (device != null && !closed) {
            device.close(false).get(5, TimeUnit.SECONDS);
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        Posix.close(kernelEnd);
        arena.close();
    }

    private void serve(BlockDevice store) throws Exception {
        LogicalUnit unit = new LogicalUnit(0, store, false, "0123456789ab");
        device = TcmuDevice.serve(uio, deviceEnd, deviceArena, kernel.map, unit, loops.next()).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        // A new LU reports POWER ON, RESET OR BUS DEVICE RESET OCCURRED once (SAM-5 §5.14), as to any initiator.
        kernel.queueCommand(TEST_UNIT_READY, 0, null);
        FakeKernelRing.Completion first = signalAndReap(1).getFirst();
        assertThat(first.status()).isEqualTo(0x02);
        assertThat(first.sense()[12]).as("ASC 29h").isEqualTo((byte) 0x29);
    }

    @Test
    void writeAndReadBackThroughTheCoreOneWakeUpAndOneKickPerBatch() throws Exception {
        serve(new RamBlockDevice(SIZE, 512));
        byte[] pattern = new byte[4096];
        new java.util.Random(7).nextBytes(pattern);
        int write = kernel.queueCommand(cdb10(0x2a, 16, 8), 4096, pattern);
        List<FakeKernelRing.Completion> done = signalAndReap(1);
        assertThat(done).extracting(FakeKernelRing.Completion::cmdId).containsExactly(write);
        assertThat(done.getFirst().status()).isZero();

        int read = kernel.queueCommand(cdb10(0x28, 16, 8), 4096, null);
        done = signalAndReap(1);
        assertThat(done.getFirst().cmdId()).isEqualTo(read);
        assertThat(done.getFirst().status()).isZero();
        assertThat(Arrays.equals(kernel.dataOf(read, 4096), pattern)).as("read back what was written").isTrue();

        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            ids.add(kernel.queueCommand(cdb10(0x28, i * 8, 8), 4096, null));
        }
        done = signalAndReap(16);
        assertThat(done).extracting(FakeKernelRing.Completion::cmdId).containsExactlyInAnyOrderElementsOf(ids);

        TcmuDevice.Stats stats = device.statsSnapshot().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(stats.commands()).isEqualTo(19);
        assertThat(stats.completions()).isEqualTo(19);
        assertThat(stats.wakeups()).as("one wake-up per signal, 16 commands drained by one").isEqualTo(4);
        assertThat(stats.kicks()).as("one kick per batch of completions").isEqualTo(4);
        assertThat(drainKicks()).isEqualTo(4);
        assertThat(stats.copiedReads()).as("every READ's data copied into the ring once").isEqualTo(17);
    }

    @Test
    void readWhoseDataAreaIsInPiecesIsCopiedIntoEachPiece() throws Exception {
        RamBlockDevice store = new RamBlockDevice(SIZE, 512);
        serve(store);
        byte[] pattern = new byte[8192];
        new java.util.Random(11).nextBytes(pattern);
        kernel.queueCommand(cdb10(0x2a, 0, 16), 8192, pattern);
        signalAndReap(1);
        kernel.occupyBlock(1); // the next 8 KiB buffer becomes blocks 0 and 2: two iovecs
        int read = kernel.queueCommand(cdb10(0x28, 0, 16), 8192, null);
        List<FakeKernelRing.Completion> done = signalAndReap(1);
        assertThat(done.getFirst().status()).isZero();
        assertThat(Arrays.equals(kernel.dataOf(read, 8192), pattern)).as("read back what was written").isTrue();
        assertThat(device.statsSnapshot().toCompletableFuture().get().copiedReads()).isEqualTo(1);
    }

    @Test
    void shortDataInIsReportedAsReadLengthAndErrorsCarrySense() throws Exception {
        serve(new RamBlockDevice(SIZE, 512));
        int inquiry = kernel.queueCommand(new byte[] {0x12, 0, 0, 0, (byte) 0xff, 0}, 255, null);
        int capacity = kernel.queueCommand(cdb10(0x25, 0, 0), 8, null);
        int beyond = kernel.queueCommand(cdb10(0x28, 2047, 2), 1024, null);
        List<FakeKernelRing.Completion> done = signalAndReap(3);
        FakeKernelRing.Completion inq = find(done, inquiry);
        assertThat(inq.status()).isZero();
        assertThat(inq.readLength()).isBetween(36, 254);
        assertThat(kernel.dataOf(inquiry, 1)[0]).as("direct-access block device").isZero();

        assertThat(find(done, capacity).readLength()).as("READ CAPACITY fills its 8 bytes").isEqualTo(-1);
        byte[] cap = kernel.dataOf(capacity, 8);
        assertThat(java.nio.ByteBuffer.wrap(cap).getInt(0)).isEqualTo(2047);
        assertThat(java.nio.ByteBuffer.wrap(cap).getInt(4)).isEqualTo(512);

        FakeKernelRing.Completion error = find(done, beyond);
        assertThat(error.status()).isEqualTo(0x02);
        assertThat(error.sense()[2] & 0x0f).as("ILLEGAL REQUEST").isEqualTo(0x05);
        assertThat(error.sense()[12]).as("LOGICAL BLOCK ADDRESS OUT OF RANGE").isEqualTo((byte) 0x21);
    }

    @Test
    void tmrAbortsTheNamedCommandAndCloseWaitsForCommandsInFlight() throws Exception {
        HeldDevice store = new HeldDevice(new RamBlockDevice(SIZE, 512));
        serve(store);
        store.hold = true;
        int held = kernel.queueCommand(cdb10(0x28, 0, 8), 4096, null);
        signal();
        waitFor(() -> store.heldCount() == 1);
        kernel.queueTmr(TcmuAbi.TMR_ABORT_TASK, held);
        signal();
        int other = kernel.queueCommand(TEST_UNIT_READY, 0, null);
        signal();
        waitFor(() -> device.statsSnapshot().toCompletableFuture().join().commands() == 3);
        CompletableFuture<Void> closing = device.close(false);
        Thread.sleep(100);
        assertThat(closing).as("a command is still with the store").isNotDone();
        List<FakeKernelRing.Completion> early = kernel.reap();
        assertThat(early).as("the TUR is queued behind the ABORT TASK, which waits for the READ it aborts").isEmpty();

        store.release();
        closing.get(5, TimeUnit.SECONDS);
        closed = true;
        assertThat(deviceArena.scope().isAlive()).as("released once nothing is in flight").isFalse();
        assertThat(kernel.tail()).as("every completion was published before").isEqualTo(kernel.head());
        List<FakeKernelRing.Completion> late = kernel.reap();
        List<FakeKernelRing.Completion> all = new ArrayList<>(early);
        all.addAll(late);
        assertThat(find(all, held).status()).as("TASK ABORTED").isEqualTo(0x40);
        assertThat(find(all, other).status()).isZero();
    }

    @Test
    void closeAnswersCommandsNotYetTakenWithBusy() throws Exception {
        serve(new RamBlockDevice(SIZE, 512));
        int queued = kernel.queueCommand(TEST_UNIT_READY, 0, null); // no event: the device has not taken it
        device.close(false).get(5, TimeUnit.SECONDS);
        closed = true;
        List<FakeKernelRing.Completion> done = kernel.reap();
        assertThat(done).extracting(FakeKernelRing.Completion::cmdId).containsExactly(queued);
        assertThat(done.getFirst().status()).as("BUSY: the initiator retries with the next handler").isEqualTo(0x08);
        assertThat(kernel.tail()).isEqualTo(kernel.head());
    }

    @Test
    void aDeviceOpenedAfterAnotherClosedIsWatchedEvenWhenItGetsTheSameDescriptorNumber() throws Throwable {
        serve(new RamBlockDevice(SIZE, 512));
        int oldFd = deviceEnd;
        device.close(false).get(5, TimeUnit.SECONDS);
        Posix.close(kernelEnd);
        int[] sv = socketPair();
        deviceEnd = sv[0];
        kernelEnd = sv[1];
        assertThat(deviceEnd).as("the kernel reuses the lowest free number").isEqualTo(oldFd);
        Arena second = Arena.ofShared();
        FakeKernelRing kernel2 = new FakeKernelRing(arena, 64 * 1024, 64, ALL_CAPS);
        LogicalUnit unit = new LogicalUnit(0, new RamBlockDevice(SIZE, 512), false, "0123456789ac");
        device = TcmuDevice.serve(uio, deviceEnd, second, kernel2.map, unit, loops.next()).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        int id = kernel2.queueCommand(TEST_UNIT_READY, 0, null);
        signal();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<FakeKernelRing.Completion> done = new ArrayList<>();
        while (done.isEmpty() && System.nanoTime() < deadline) {
            done.addAll(kernel2.reap());
            Thread.sleep(5);
        }
        assertThat(done).extracting(FakeKernelRing.Completion::cmdId).containsExactly(id);
    }

    @Test
    void parallelWritesAndReadsOnAFileStoreAllComplete(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            BlockDevice file = io.jtarget.backstore.Stores.open(
                    new io.jtarget.backstore.BackingSpec.File(dir.resolve("disk.img"), SIZE * 16, false),
                    io.jtarget.backstore.StoreContext.of(io.jtarget.backstore.FairQueueExecutor.over(pool)));
            serve(file);
            byte[] data = new byte[65536];
            new java.util.Random(3).nextBytes(data);
            for (int round = 0; round < 8; round++) {
                List<Integer> ids = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    ids.add(kernel.queueCommand(cdb10(0x2a, (round * 4 + k) * 128L, 128), 65536, data));
                }
                assertThat(signalAndReap(4)).allSatisfy(c -> assertThat(c.status()).isZero());
                for (int k = 0; k < 4; k++) {
                    ids.add(kernel.queueCommand(cdb10(0x28, (round * 4 + k) * 128L, 128), 65536, null));
                }
                List<FakeKernelRing.Completion> reads = signalAndReap(4);
                for (FakeKernelRing.Completion c : reads) {
                    assertThat(c.status()).isZero();
                    assertThat(Arrays.equals(kernel.dataOf(c.cmdId(), 65536), data)).isTrue();
                }
            }
        } finally {
            device.close(false).get(5, TimeUnit.SECONDS);
            closed = true;
            pool.shutdown();
        }
    }

    private static FakeKernelRing.Completion find(List<FakeKernelRing.Completion> done, int id) {
        return done.stream().filter(c -> c.cmdId() == id).findFirst().orElseThrow();
    }

    private static byte[] cdb10(int opcode, long lba, int blocks) {
        byte[] cdb = new byte[10];
        cdb[0] = (byte) opcode;
        cdb[2] = (byte) (lba >>> 24);
        cdb[3] = (byte) (lba >>> 16);
        cdb[4] = (byte) (lba >>> 8);
        cdb[5] = (byte) lba;
        cdb[7] = (byte) (blocks >>> 8);
        cdb[8] = (byte) blocks;
        return cdb;
    }

    private void signal() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment word = a.allocate(4);
            assertThat(Posix.write(kernelEnd, word, Posix.callState(a))).isEqualTo(4);
        }
    }

    private List<FakeKernelRing.Completion> signalAndReap(int expected) throws InterruptedException {
        signal();
        List<FakeKernelRing.Completion> done = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (done.size() < expected && System.nanoTime() < deadline) {
            done.addAll(kernel.reap());
            if (done.size() < expected) {
                Thread.sleep(5);
            }
        }
        assertThat(done).hasSize(expected);
        return done;
    }

    private int drainKicks() {
        int kicks = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(4);
            MemorySegment state = Posix.callState(a);
            while (Posix.recv(kernelEnd, buf, Posix.MSG_DONTWAIT, state) == 4) {
                kicks++;
            }
        }
        return kicks;
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 5 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** socketpair(AF_UNIX, SOCK_DGRAM): a readable/writable descriptor pair standing in for /dev/uioN. */
    private static int[] socketPair() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle socketpair = linker.downcallHandle(linker.defaultLookup().findOrThrow("socketpair"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sv = a.allocate(ValueLayout.JAVA_INT, 2);
            int rc = (int) socketpair.invokeExact(1, 2 | Posix.SOCK_CLOEXEC, 0, sv);
            assertThat(rc).isZero();
            return new int[] {sv.getAtIndex(ValueLayout.JAVA_INT, 0), sv.getAtIndex(ValueLayout.JAVA_INT, 1)};
        }
    }

    /** A store whose reads wait, while {@link #hold} is set, until {@link #release}. */
    private static final class HeldDevice implements BlockDevice {
        private final BlockDevice ram;
        private final List<Runnable> held = new ArrayList<>();
        volatile boolean hold;

        HeldDevice(BlockDevice ram) {
            this.ram = ram;
        }

        synchronized int heldCount() {
            return held.size();
        }

        void release() {
            List<Runnable> run;
            synchronized (this) {
                hold = false;
                run = List.copyOf(held);
                held.clear();
            }
            run.forEach(r -> new Thread(r).start());
        }

        @Override
        public void read(ItNexus nexus, long lba, int blocks, ByteBuf dst, IoCallback done) {
            synchronized (this) {
                if (hold) {
                    held.add(() -> ram.read(nexus, lba, blocks, dst, done));
                    return;
                }
            }
            ram.read(nexus, lba, blocks, dst, done);
        }

        @Override
        public int blockSize() {
            return ram.blockSize();
        }

        @Override
        public long blockCount() {
            return ram.blockCount();
        }

        @Override
        public Set<Capability> capabilities() {
            return ram.capabilities();
        }

        @Override
        public boolean writeCacheEnabled() {
            return ram.writeCacheEnabled();
        }

        @Override
        public String describe() {
            return "held " + ram.describe();
        }

        @Override
        public void write(ItNexus nexus, long lba, int blocks, ByteBuf src, boolean fua, IoCallback done) {
            ram.write(nexus, lba, blocks, src, fua, done);
        }

        @Override
        public void flush(ItNexus nexus, IoCallback done) {
            ram.flush(nexus, done);
        }

        @Override
        public void close() {
            ram.close();
        }
    }
}
