package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.backstore.BackingSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockDevicesTest {

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        pool.shutdown();
    }

    @Test
    void shouldOpenRamDeviceOfRequestedSize() throws Exception {
        try (BlockDevice device = BlockDevices.open(new BackingSpec.Ram(64L << 20), pool)) {
            assertThat(device).isInstanceOf(RamBlockDevice.class);
            assertThat(device.blockSize()).isEqualTo(512);
            assertThat(device.blockCount()).isEqualTo((64L << 20) / 512);
        }
    }

    @Test
    void shouldCreateFileAndParentDirectoriesWhenMissing() throws Exception {
        Path path = dir.resolve("a/b/lun.img");
        try (BlockDevice device = BlockDevices.open(new BackingSpec.File(path, 1 << 20, false), pool)) {
            assertThat(device).isInstanceOf(FileBlockDevice.class);
            assertThat(device.describe()).isEqualTo("file:" + path);
            assertThat(device.writeCacheEnabled()).isTrue();
            SyncIo.writeOrFail(device, 3, SyncIo.pattern(512, 3), true);
            assertThat(SyncIo.read(device, 3, 1)).isEqualTo(SyncIo.pattern(512, 3));
        }
        assertThat(Files.size(path)).isEqualTo(1 << 20);
    }

    @Test
    void shouldOpenWriteThroughWhenSpecAsksForIt() throws Exception {
        Path path = dir.resolve("wt.img");
        try (BlockDevice device = BlockDevices.open(new BackingSpec.File(path, 1 << 20, true), pool)) {
            assertThat(device.writeCacheEnabled()).isFalse();
        }
    }

    @Test
    void shouldRejectSizesWhenNotPositiveMultiplesOf512() {
        assertThatThrownBy(() -> BlockDevices.open(new BackingSpec.Ram(0), pool))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ram");
        assertThatThrownBy(() -> BlockDevices.open(new BackingSpec.Ram(1000), pool))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("512");
        Path path = dir.resolve("odd.img");
        assertThatThrownBy(() -> BlockDevices.open(new BackingSpec.File(path, 1000, false), pool))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(path.toString());
        assertThat(path).doesNotExist();
    }

    @Test
    void shouldFailNamingPathWhenFileIsMissingAndHasNoSize() {
        Path path = dir.resolve("missing.img");
        assertThatThrownBy(() -> BlockDevices.open(new BackingSpec.File(path, 0, false), pool))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(path.toString());
    }

    @Test
    void shouldFailNamingPathWhenPathIsADirectory() {
        assertThatThrownBy(() -> BlockDevices.open(new BackingSpec.File(dir, 1 << 20, false), pool))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(dir.toString());
    }
}
