package io.jtarget.backstore;

import static io.jtarget.backstore.SyncIo.NEXUS;
import static io.jtarget.backstore.SyncIo.read;
import static io.jtarget.backstore.SyncIo.writeOrFail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hole punching and SEEK_DATA/SEEK_HOLE mapped state on a real file. */
class FileThinProvisioningTest {
    private static final int BS = 512;
    @TempDir
    Path dir;
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private static BlockDevice.ProvisioningExtent status(BlockDevice d, long lba) throws Exception {
        CompletableFuture<BlockDevice.ProvisioningExtent> f = new CompletableFuture<>();
        d.provisioningStatus(NEXUS, lba, Long.MAX_VALUE, (e, x) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(x);
            }
        });
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldPunchHolesAndReportTheMappedStateTruthfully() throws Exception {
        try (FileBlockDevice d = FileBlockDevice.open(dir.resolve("thin.img"), 4L << 20, BS, false,
                FairQueueExecutor.over(pool))) {
            assumeTrue(d.capabilities().contains(BlockDevice.Capability.DEALLOCATE), "file system punches holes");
            long granule = d.deallocationGranularity();
            assertThat(status(d, 0).mapped()).isFalse();

            byte[] data = new byte[(int) (64 * granule) * BS];
            Arrays.fill(data, (byte) 'a');
            writeOrFail(d, 0, data, false);
            BlockDevice.ProvisioningExtent mapped = status(d, 0);
            assertThat(mapped.mapped()).isTrue();
            assertThat(mapped.blocks()).isGreaterThanOrEqualTo(64 * granule);

            assertThat(SyncIo.await(f -> d.deallocate(NEXUS, granule, 2 * granule, f::complete))).isNull();
            assertThat(read(d, granule, (int) (2 * granule))).containsOnly(0);
            assertThat(read(d, 0, (int) granule)).containsOnly('a');
            BlockDevice.ProvisioningExtent hole = status(d, granule);
            assertThat(hole).isEqualTo(new BlockDevice.ProvisioningExtent(granule, 2 * granule, false));
            assertThat(status(d, 3 * granule).mapped()).isTrue();
            // Past the written data the file is one hole to the end.
            BlockDevice.ProvisioningExtent tail = status(d, 64 * granule);
            assertThat(tail.mapped()).isFalse();
            assertThat(tail.lba() + tail.blocks()).isEqualTo(d.blockCount());
        }
    }

    @Test
    void shouldZeroPartialGranulesOnDeallocate() throws Exception {
        try (FileBlockDevice d = FileBlockDevice.open(dir.resolve("partial.img"), 1L << 20, BS, false,
                FairQueueExecutor.over(pool))) {
            assumeTrue(d.capabilities().contains(BlockDevice.Capability.DEALLOCATE), "file system punches holes");
            byte[] data = new byte[16 * BS];
            Arrays.fill(data, (byte) 'z');
            writeOrFail(d, 0, data, false);
            assertThat(SyncIo.await(f -> d.deallocate(NEXUS, 3, 1, f::complete))).isNull();
            assertThat(read(d, 3, 1)).containsOnly(0);
            assertThat(read(d, 2, 1)).containsOnly('z');
            assertThat(read(d, 4, 1)).containsOnly('z');
        }
    }
}
