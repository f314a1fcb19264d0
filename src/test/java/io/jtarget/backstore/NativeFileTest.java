package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeFileTest {
    @TempDir
    Path dir;

    @Test
    void shouldRefuseCallsAfterCloseRatherThanUseAReusableDescriptorNumber() throws Exception {
        assumeTrue(NativeFile.isAvailable(), "no native file calls on this platform");
        Path file = dir.resolve("f.img");
        Files.write(file, new byte[8192]);
        NativeFile nativeFile = NativeFile.open(file);
        assertThat(nativeFile.seek(0, NativeFile.SEEK_DATA)).isGreaterThanOrEqualTo(-1);
        nativeFile.close();
        nativeFile.close(); // idempotent
        assertThatThrownBy(() -> nativeFile.punchHole(0, 4096)).isInstanceOf(DeviceClosedException.class);
        assertThatThrownBy(() -> nativeFile.seek(0, NativeFile.SEEK_HOLE)).isInstanceOf(DeviceClosedException.class);
    }
}
