package io.jtarget.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.backstore.BlockDevices;
import io.jtarget.config.BackingSpec;
import io.jtarget.config.LunConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.scsi.ItNexus;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.scsi.ScsiCommand;
import io.jtarget.scsi.ScsiResponse;
import io.jtarget.scsi.TaskAttribute;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryTest {
    private static final String T = "iqn.2026-11.org.example:registry";
    private static final ItNexus NEXUS = new ItNexus("iqn.2026-11.org.example:init,i,0x000000000001", T + ",t,0x0001", 1);
    /** SPC-2 RESERVE(6): an initiator holding the LU. */
    private static final byte[] RESERVE_6 = {0x16, 0, 0, 0, 0, 0};

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private final Registry registry = new Registry(spec -> BlockDevices.open(spec, pool), null);

    @AfterEach
    void close() throws Exception {
        registry.close();
        pool.shutdown();
        pool.awaitTermination(5, TimeUnit.SECONDS);
    }

    private LunConfig file(int lun, String name, long size) {
        return new LunConfig(lun, new BackingSpec.File(dir.resolve(name), size, false), false);
    }

    @Test
    void shouldServeAddedTargetsAndRefuseAClashingName() throws Exception {
        registry.addTarget(new TargetConfig(T, List.of(new LunConfig(0, new BackingSpec.Ram(1 << 20), false))));
        assertThat(registry.target(T.toUpperCase())).isNotNull();
        assertThatThrownBy(() -> registry.addTarget(new TargetConfig(T.toUpperCase(), List.of())))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.reason()).isEqualTo(RegistryException.Reason.CONFLICT));
        assertThat(registry.targets()).hasSize(1);
    }

    @Test
    void shouldCloseWhatItOpenedWhenALaterStoreFails() throws Exception {
        Files.createDirectory(dir.resolve("a-directory"));
        assertThatThrownBy(() -> registry.addTarget(new TargetConfig(T, List.of(file(0, "ok.img", 1 << 20),
                new LunConfig(1, new BackingSpec.File(dir.resolve("a-directory"), 1 << 20, false), false)))))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.reason())
                        .isEqualTo(RegistryException.Reason.STORE_FAILED));
        assertThat(registry.target(T)).isNull();
        // The first file was closed again: its lock is free for the next open.
        registry.addTarget(new TargetConfig(T, List.of(file(0, "ok.img", 1 << 20))));
    }

    @Test
    void shouldGrowAFileLunAndRefuseToShrinkBelowWrittenDataUnlessForced() throws Exception {
        registry.addTarget(new TargetConfig(T, List.of()));
        LogicalUnit lu = registry.addLun(T, file(1, "lun1.img", 64L << 20));

        registry.resizeLun(T, 1, 512L << 20, false);
        assertThat(Files.size(dir.resolve("lun1.img"))).isEqualTo(512L << 20);
        assertThat(lu.device().blockCount() * lu.device().blockSize()).isEqualTo(512L << 20);

        // Data written near the end: a shrink below it would lose it.
        try (var ch = java.nio.channels.FileChannel.open(dir.resolve("lun1.img"), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[4096]).put(0, (byte) 1), 300L << 20);
        }
        assertThatThrownBy(() -> registry.resizeLun(T, 1, 128L << 20, false))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.reason()).isEqualTo(RegistryException.Reason.BUSY));
        assertThat(Files.size(dir.resolve("lun1.img"))).isEqualTo(512L << 20);
        registry.resizeLun(T, 1, 128L << 20, true);
        assertThat(Files.size(dir.resolve("lun1.img"))).isEqualTo(128L << 20);
        assertThat(registry.target(T).lunConfig(1).backing().sizeBytes()).isEqualTo(128L << 20);

        assertThatThrownBy(() -> registry.resizeLun(T, 1, 1000, false))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.reason()).isEqualTo(RegistryException.Reason.BAD_VALUE));
    }

    @Test
    void shouldRefuseToRemoveAHeldLunUnlessForcedAndCloseItsStoreAfterwards() throws Exception {
        registry.addTarget(new TargetConfig(T, List.of(file(0, "lun0.img", 1 << 20))));
        ServedTarget target = registry.target(T);
        target.core().nexusEstablished(NEXUS);
        // The first command reports the new nexus' POWER ON unit attention; the RESERVE after it runs.
        CompletableFuture<ScsiResponse> first = new CompletableFuture<>();
        target.core().submit(new ScsiCommand(NEXUS, 0, new byte[6], 0, TaskAttribute.SIMPLE, ScsiCommand.DataDirection.NONE,
                0, null, ByteBufAllocator.DEFAULT), first::complete);
        first.get(5, TimeUnit.SECONDS);
        CompletableFuture<ScsiResponse> reserved = new CompletableFuture<>();
        target.core().submit(new ScsiCommand(NEXUS, 0, RESERVE_6, 1, TaskAttribute.SIMPLE, ScsiCommand.DataDirection.NONE,
                0, null, ByteBufAllocator.DEFAULT), reserved::complete);
        assertThat(reserved.get(5, TimeUnit.SECONDS).status()).isZero();

        assertThatThrownBy(() -> registry.removeLun(T, 0, false, Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RegistryException.Reason.BUSY);
                    assertThat(e.getMessage()).contains("reserved (RESERVE) by " + NEXUS.initiatorPort());
                });
        assertThat(target.core().logicalUnit(0)).isNotNull();

        registry.removeLun(T, 0, true, Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
        assertThat(target.core().logicalUnit(0)).isNull();
        // The store was closed: the file can be opened (and locked) again.
        registry.addLun(T, file(0, "lun0.img", 0));
    }

    @Test
    void shouldKeepASerialAcrossResizesOfAFile() {
        LunConfig small = file(0, "a.img", 1 << 20);
        assertThat(Registry.serialFor(T, small)).isEqualTo(Registry.serialFor(T, new LunConfig(0, small.backing().withSize(1 << 30), false)))
                .isNotEqualTo(Registry.serialFor(T, file(1, "a.img", 1 << 20)));
    }
}
