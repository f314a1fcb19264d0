package io.jtarget.backstore;

import static io.jtarget.backstore.SyncIo.NEXUS;
import static io.jtarget.backstore.SyncIo.pattern;
import static io.jtarget.backstore.SyncIo.read;
import static io.jtarget.backstore.SyncIo.readError;
import static io.jtarget.backstore.SyncIo.writeOrFail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBlockDeviceTest extends BlockDeviceContractTest {

    @TempDir
    Path dir;

    private ExecutorService pool;
    private FairQueueExecutor dispatcher;
    private int files;

    @BeforeEach
    void startPool() {
        pool = Executors.newFixedThreadPool(3);
        dispatcher = FairQueueExecutor.over(pool);
    }

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Override
    BlockDevice create(long sizeBytes) throws IOException {
        return FileBlockDevice.open(dir.resolve("lun" + files++ + ".img"), sizeBytes, BLOCK, false, dispatcher);
    }

    @Test
    void shouldCreateSparseFileWhenMissing() throws Exception {
        Path path = dir.resolve("sub/dir/sparse.img");
        long size = 1L << 30;
        try (FileBlockDevice device = FileBlockDevice.open(path, size, BLOCK, false, dispatcher)) {
            assertThat(Files.size(path)).isEqualTo(size);
            assertThat(device.blockCount()).isEqualTo(size / BLOCK);
            assertThat(allocatedKiB(path)).as("allocated KiB of a fresh 1 GiB file").isLessThan(1024);

            writeOrFail(device, 1000, pattern(BLOCK, 1), false);
            assertThat(SyncIo.flush(device)).isNull();
            assertThat(allocatedKiB(path)).as("allocated KiB after one block").isLessThan(1024);
        }
    }

    @Test
    void shouldKeepSizeOfExistingFileWhenOpenedWithAnotherSize() throws Exception {
        Path path = dir.resolve("existing.img");
        byte[] content = pattern(1 << 20, 3);
        Files.write(path, content);

        try (FileBlockDevice device = FileBlockDevice.open(path, 4L << 20, BLOCK, false, dispatcher)) {
            assertThat(device.blockCount()).isEqualTo((1 << 20) / BLOCK);
            assertThat(read(device, 0, 16)).isEqualTo(Arrays.copyOf(content, 16 * BLOCK));
        }
        assertThat(Files.size(path)).isEqualTo(1 << 20);
    }

    @Test
    void shouldServeExistingFileWhenNoSizeIsGiven() throws Exception {
        Path path = dir.resolve("nosize.img");
        Files.write(path, pattern(4 * BLOCK, 8));
        try (FileBlockDevice device = FileBlockDevice.open(path, 0, BLOCK, false, dispatcher)) {
            assertThat(device.blockCount()).isEqualTo(4);
        }
    }

    @Test
    void shouldNotExportTrailingPartialBlock() throws Exception {
        Path path = dir.resolve("ragged.img");
        Files.write(path, pattern(3 * BLOCK + 100, 4));
        try (FileBlockDevice device = FileBlockDevice.open(path, 0, BLOCK, false, dispatcher)) {
            assertThat(device.blockCount()).isEqualTo(3);
            assertThat(readError(device, 3, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void shouldFailNamingPathWhenFileIsMissingAndNoSizeIsGiven() {
        Path path = dir.resolve("missing.img");
        assertThatThrownBy(() -> FileBlockDevice.open(path, 0, BLOCK, false, dispatcher))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(path.toString());
        assertThat(path).doesNotExist();
    }

    @Test
    void shouldFailNamingPathWhenFileIsSmallerThanOneBlock() throws Exception {
        Path path = dir.resolve("tiny.img");
        Files.write(path, new byte[100]);
        assertThatThrownBy(() -> FileBlockDevice.open(path, 0, BLOCK, false, dispatcher))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(path.toString());
    }

    @Test
    void shouldKeepDataWhenClosedAndReopened() throws Exception {
        Path path = dir.resolve("persist.img");
        byte[] data = pattern(16 * BLOCK, 12);
        try (FileBlockDevice device = FileBlockDevice.open(path, 1 << 20, BLOCK, false, dispatcher)) {
            writeOrFail(device, 77, data, false);
        }
        try (FileBlockDevice device = FileBlockDevice.open(path, 1 << 20, BLOCK, false, dispatcher)) {
            assertThat(read(device, 77, 16)).isEqualTo(data);
            assertThat(read(device, 0, 77)).containsOnly(0);
        }
    }

    @Test
    void shouldPutFuaWriteInFileWhenItCompletes() throws Exception {
        Path path = dir.resolve("fua.img");
        byte[] data = pattern(2 * BLOCK, 21);
        try (FileBlockDevice device = FileBlockDevice.open(path, 1 << 20, BLOCK, false, dispatcher)) {
            assertThat(device.writeCacheEnabled()).isTrue();
            writeOrFail(device, 5, data, true);

            assertThat(readFileAt(path, 5 * BLOCK, data.length)).isEqualTo(data);
        }
    }

    @Test
    void shouldDisableWriteCacheWhenWriteThrough() throws Exception {
        Path path = dir.resolve("wt.img");
        byte[] data = pattern(3 * BLOCK, 22);
        try (FileBlockDevice device = FileBlockDevice.open(path, 1 << 20, BLOCK, true, dispatcher)) {
            assertThat(device.writeCacheEnabled()).isFalse();
            assertThat(device.describe()).contains("write-through");
            writeOrFail(device, 9, data, false);
            assertThat(SyncIo.flush(device)).isNull();

            assertThat(readFileAt(path, 9 * BLOCK, data.length)).isEqualTo(data);
        }
    }

    @Test
    void shouldReadZerosWhenFileShrankUnderTheDevice() throws Exception {
        Path path = dir.resolve("shrunk.img");
        try (FileBlockDevice device = FileBlockDevice.open(path, 1 << 20, BLOCK, false, dispatcher)) {
            writeOrFail(device, 0, pattern(8 * BLOCK, 30), false);
            try (FileChannel other = FileChannel.open(path, StandardOpenOption.WRITE)) {
                other.truncate(2 * BLOCK + 10);
            }
            byte[] readBack = read(device, 0, 8);

            assertThat(Arrays.copyOf(readBack, 2 * BLOCK + 10)).isEqualTo(Arrays.copyOf(pattern(8 * BLOCK, 30), 2 * BLOCK + 10));
            assertThat(Arrays.copyOfRange(readBack, 2 * BLOCK + 10, readBack.length)).containsOnly(0);
        }
    }

    @Test
    void shouldRefuseSecondOpenWhenFileIsAlreadyServed() throws Exception {
        Path path = dir.resolve("locked.img");
        try (FileBlockDevice first = FileBlockDevice.open(path, 1 << 20, BLOCK, false, dispatcher)) {
            assertThatThrownBy(() -> FileBlockDevice.open(path, 1 << 20, BLOCK, false, dispatcher))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(path.toString())
                    .hasMessageContaining("locked");
            writeOrFail(first, 0, pattern(BLOCK, 1), false);
        }
        FileBlockDevice.open(path, 1 << 20, BLOCK, false, dispatcher).close();
    }

    @Test
    void shouldRefuseOpenWhenAnotherProcessHoldsTheLock() throws Exception {
        Path path = dir.resolve("foreign.img");
        Files.write(path, new byte[4 * BLOCK]);
        Process holder;
        try {
            holder = new ProcessBuilder("python3", "-c",
                            "import fcntl,sys; f=open(sys.argv[1],'r+'); fcntl.lockf(f, fcntl.LOCK_EX);"
                                    + " print('locked', flush=True); sys.stdin.read()",
                            path.toString())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            assumeTrue(false, "python3 not available");
            return;
        }
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assumeTrue("locked".equals(out.readLine()), "helper could not lock the file");

            assertThatThrownBy(() -> FileBlockDevice.open(path, 0, BLOCK, false, dispatcher))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(path.toString())
                    .hasMessageContaining("another process");
        } finally {
            holder.destroy();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldFailQueuedRequestsWhenClosedBeforeTheyRun() throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor();
        CountDownLatch release = new CountDownLatch(1);
        try {
            FileBlockDevice device = FileBlockDevice.open(
                    dir.resolve("closing.img"), 1 << 20, BLOCK, false, new FairQueueExecutor(single, 1));
            single.execute(() -> awaitQuietly(release));
            List<CompletableFuture<Throwable>> results = new ArrayList<>();
            List<ByteBuf> buffers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                // Writes: a read of cached pages may complete inline, without queueing.
                ByteBuf src = Unpooled.directBuffer(BLOCK).writeZero(BLOCK);
                buffers.add(src);
                CompletableFuture<Throwable> done = new CompletableFuture<>();
                results.add(done);
                device.write(NEXUS, i, 1, src, false, done::complete);
            }
            CompletableFuture<Throwable> flushed = new CompletableFuture<>();
            device.flush(NEXUS, flushed::complete);
            results.add(flushed);

            device.close();
            release.countDown();

            for (CompletableFuture<Throwable> done : results) {
                assertThat(done.get(10, TimeUnit.SECONDS)).isInstanceOf(DeviceClosedException.class);
            }
            buffers.forEach(ByteBuf::release);
        } finally {
            release.countDown();
            single.shutdown();
        }
    }

    @Test
    void shouldDeliverRejectionToCallbackWhenPoolIsShutDown() throws Exception {
        ExecutorService dead = Executors.newSingleThreadExecutor();
        dead.shutdown();
        try (FileBlockDevice device = FileBlockDevice.open(
                dir.resolve("rejected.img"), 1 << 20, BLOCK, false, FairQueueExecutor.over(dead))) {
            // A write (a cached read may complete inline without the pool).
            assertThat(SyncIo.write(device, 0, new byte[BLOCK], false))
                    .isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        }
    }

    @Test
    void shouldWriteSmallAlignedBlocksOnTheCallersThreadWhileWritebackPressureIsLow() throws Exception {
        WritebackPressureTest.FakeSource calm = new WritebackPressureTest.FakeSource();
        ExecutorService counting = Executors.newSingleThreadExecutor();
        java.util.concurrent.atomic.AtomicInteger pooled = new java.util.concurrent.atomic.AtomicInteger();
        FairQueueExecutor observed = FairQueueExecutor.over(command -> {
            pooled.incrementAndGet();
            counting.execute(command);
        });
        Path path = dir.resolve("inline.img");
        try (FileBlockDevice device = FileBlockDevice.open(path, 1 << 20, BLOCK, false, observed,
                // Inline writes timed by a clock that never moves: on a loaded machine a 4 KiB page-cache
                // write may take over 10 ms and pause inline writes, which is not what this test is about.
                new WritebackPressure(calm, System::nanoTime), () -> 0L)) {
            byte[] page = pattern(4096, 7);
            Thread caller = Thread.currentThread();
            ByteBuf src = Unpooled.directBuffer(4096).writeBytes(page);
            CompletableFuture<Thread> completedOn = new CompletableFuture<>();
            device.write(NEXUS, 8, 8, src, false, error -> {
                assertThat(error).isNull();
                completedOn.complete(Thread.currentThread());
            });
            assertThat(completedOn).as("completed before write() returned").isDone();
            assertThat(completedOn.get()).isSameAs(caller);
            assertThat(pooled).hasValue(0);
            assertThat(readFileAt(path, 8L * BLOCK, 4096)).isEqualTo(page);

            // FUA must be durable before it completes: always the pool (O_DSYNC descriptor).
            assertThat(SyncIo.write(device, 16, page, true)).isNull();
            assertThat(pooled).hasValue(1);
            // Half a file-system block: the rest of it might have to be read from disk first.
            assertThat(SyncIo.write(device, 24, new byte[BLOCK], false)).isNull();
            assertThat(pooled).hasValue(2);
            // Control: an aligned non-FUA write still runs inline, so inline writes are not paused (as they
            // would be for 5 s after a slow one) and only the pressure below can send the next to the pool.
            assertThat(SyncIo.write(device, 40, page, false)).isNull();
            assertThat(pooled).as("aligned write before the pressure rises").hasValue(2);
            // The kernel near throttling writers: the pool.
            calm.dirty = calm.background;
            Thread.sleep(WritebackPressure.SAMPLE_INTERVAL_NANOS / 1_000_000 + 5);
            assertThat(SyncIo.write(device, 32, page, false)).isNull();
            assertThat(pooled).hasValue(3);
            assertThat(read(device, 16, 8)).isEqualTo(page);
            assertThat(read(device, 32, 8)).isEqualTo(page);
            assertThat(read(device, 40, 8)).isEqualTo(page);
            src.release();
        } finally {
            counting.shutdown();
        }
    }

    private static long allocatedKiB(Path path) throws Exception {
        Process du = new ProcessBuilder("du", "-k", path.toString()).redirectErrorStream(true).start();
        String line = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(du.waitFor()).isZero();
        return Long.parseLong(line.split("\\s+")[0]);
    }

    private static byte[] readFileAt(Path path, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) >= 0) {
                // positional reads until full
            }
        }
        return buffer.array();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
