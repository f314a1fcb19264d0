package io.jtarget.backstore;

import static io.jtarget.backstore.SyncIo.pattern;
import static io.jtarget.backstore.SyncIo.read;
import static io.jtarget.backstore.SyncIo.writeOrFail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RamBlockDeviceTest extends BlockDeviceContractTest {

    @Override
    BlockDevice create(long sizeBytes) {
        return new RamBlockDevice(sizeBytes, BLOCK);
    }

    @Test
    void shouldAllocateNothingWhenNeverWritten() {
        try (RamBlockDevice device = new RamBlockDevice(512L << 20, BLOCK)) {
            read(device, 1000, 64);

            assertThat(device.allocatedBytes()).isZero();
            assertThat(device.describe()).isEqualTo("ram:512M");
            assertThat(device.writeCacheEnabled()).isFalse();
        }
    }

    @Test
    void shouldAllocateOnlyTheChunksWritten() {
        try (RamBlockDevice device = new RamBlockDevice(512L << 20, BLOCK)) {
            writeOrFail(device, 0, pattern(BLOCK, 1), false);
            writeOrFail(device, CHUNK_BLOCKS * 100L - 1, pattern(2 * BLOCK, 2), false);

            assertThat(device.allocatedBytes()).isEqualTo(3L * RamBlockDevice.CHUNK_SIZE);
        }
    }

    @Test
    void shouldAllocateEachChunkOnceWhenWritersRaceOnIt() throws Exception {
        int threads = 16;
        try (RamBlockDevice device = new RamBlockDevice(DEVICE_SIZE, BLOCK)) {
            ExecutorService writers = Executors.newFixedThreadPool(threads);
            try {
                for (int round = 0; round < 4; round++) {
                    long chunkStart = (long) round * CHUNK_BLOCKS;
                    CountDownLatch start = new CountDownLatch(1);
                    List<Future<?>> futures = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        long lba = chunkStart + t;
                        futures.add(writers.submit(() -> {
                            start.await();
                            writeOrFail(device, lba, pattern(BLOCK, lba), false);
                            return null;
                        }));
                    }
                    start.countDown();
                    for (Future<?> f : futures) {
                        f.get();
                    }
                    // A chunk allocated twice would lose the writes that went to the losing copy.
                    for (int t = 0; t < threads; t++) {
                        assertThat(read(device, chunkStart + t, 1)).isEqualTo(pattern(BLOCK, chunkStart + t));
                    }
                }
            } finally {
                writers.shutdown();
            }
            assertThat(device.allocatedBytes()).isEqualTo(4L * RamBlockDevice.CHUNK_SIZE);
        }
    }

    @Test
    void shouldSizeLastChunkToDeviceWhenSizeIsNotChunkAligned() {
        long size = RamBlockDevice.CHUNK_SIZE + 3 * BLOCK;
        try (RamBlockDevice device = new RamBlockDevice(size, BLOCK)) {
            byte[] data = pattern(4 * BLOCK, 9);
            writeOrFail(device, CHUNK_BLOCKS - 1, data, false);
            assertThat(read(device, CHUNK_BLOCKS - 1, 4)).isEqualTo(data);
        }
    }

    @Test
    void shouldRejectSizeWhenNotAPositiveMultipleOfBlockSize() {
        assertThatThrownBy(() -> new RamBlockDevice(0, BLOCK)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RamBlockDevice(1000, BLOCK)).hasMessageContaining("1000");
        assertThatThrownBy(() -> new RamBlockDevice(4096, 1000)).hasMessageContaining("block size");
    }
}
