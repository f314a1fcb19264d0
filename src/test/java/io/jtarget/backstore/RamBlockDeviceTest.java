package io.jtarget.backstore;

import static io.jtarget.backstore.SyncIo.NEXUS;
import static io.jtarget.backstore.SyncIo.await;
import static io.jtarget.backstore.SyncIo.pattern;
import static io.jtarget.backstore.SyncIo.read;
import static io.jtarget.backstore.SyncIo.writeOrFail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
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

    @Test
    void shouldFreeWholeChunksAndZeroPartOfOthersWhenDeallocating() {
        try (RamBlockDevice device = new RamBlockDevice(4L * RamBlockDevice.CHUNK_SIZE, BLOCK)) {
            byte[] data = pattern(3 * CHUNK_BLOCKS * BLOCK, 5);
            writeOrFail(device, 0, data, false);
            assertThat(device.allocatedBytes()).isEqualTo(3L * RamBlockDevice.CHUNK_SIZE);

            // The second half of chunk 0 (zeroed, stays mapped) and the whole of chunk 1 (freed).
            assertThat(await(f -> device.deallocate(NEXUS, CHUNK_BLOCKS / 2, CHUNK_BLOCKS + CHUNK_BLOCKS / 2,
                    f::complete))).isNull();

            assertThat(device.allocatedBytes()).isEqualTo(2L * RamBlockDevice.CHUNK_SIZE);
            assertThat(read(device, 0, CHUNK_BLOCKS / 2))
                    .isEqualTo(java.util.Arrays.copyOf(data, CHUNK_BLOCKS / 2 * BLOCK));
            assertThat(read(device, CHUNK_BLOCKS / 2, CHUNK_BLOCKS + CHUNK_BLOCKS / 2)).containsOnly(0);
            assertThat(status(device, 0, Long.MAX_VALUE))
                    .isEqualTo(new BlockDevice.ProvisioningExtent(0, CHUNK_BLOCKS, true));
            assertThat(status(device, CHUNK_BLOCKS / 2, Long.MAX_VALUE))
                    .isEqualTo(new BlockDevice.ProvisioningExtent(CHUNK_BLOCKS / 2, CHUNK_BLOCKS / 2, true));
            assertThat(status(device, CHUNK_BLOCKS, Long.MAX_VALUE))
                    .isEqualTo(new BlockDevice.ProvisioningExtent(CHUNK_BLOCKS, CHUNK_BLOCKS, false));
            // Chunk 2 mapped, chunk 3 never written; maxBlocks caps the extent.
            assertThat(status(device, 2L * CHUNK_BLOCKS, Long.MAX_VALUE))
                    .isEqualTo(new BlockDevice.ProvisioningExtent(2L * CHUNK_BLOCKS, CHUNK_BLOCKS, true));
            assertThat(status(device, 3L * CHUNK_BLOCKS + 1, 7))
                    .isEqualTo(new BlockDevice.ProvisioningExtent(3L * CHUNK_BLOCKS + 1, 7, false));
            // An empty range at the end is inside the device.
            assertThat(await(f -> device.deallocate(NEXUS, device.blockCount(), 0, f::complete))).isNull();
        }
    }

    @Test
    void shouldReportOutOfRangeDeallocationAndStatusRequestsToTheCallback() {
        try (RamBlockDevice device = new RamBlockDevice(RamBlockDevice.CHUNK_SIZE, BLOCK)) {
            long count = device.blockCount();
            assertThat(await(f -> device.deallocate(NEXUS, count, 1, f::complete)))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining(device.describe());
            assertThat(await(f -> device.deallocate(NEXUS, 1, Long.MAX_VALUE, f::complete)))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(await(f -> device.deallocate(NEXUS, -1, 1, f::complete)))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(statusError(device, count, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(statusError(device, -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(statusError(device, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    private static BlockDevice.ProvisioningExtent status(BlockDevice device, long lba, long maxBlocks) {
        CompletableFuture<BlockDevice.ProvisioningExtent> extent = new CompletableFuture<>();
        device.provisioningStatus(NEXUS, lba, maxBlocks, (error, e) -> {
            if (error != null) {
                extent.completeExceptionally(error);
            } else {
                extent.complete(e);
            }
        });
        return extent.join();
    }

    private static Throwable statusError(BlockDevice device, long lba, long maxBlocks) {
        return await(f -> device.provisioningStatus(NEXUS, lba, maxBlocks, (error, extent) -> f.complete(error)));
    }
}
