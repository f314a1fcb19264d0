package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libiscsi's iscsi-ls discovers the target (SendTargets) and lists its LUNs. */
@Tag("blackbox")
class IscsiLsIT {
    @TempDir
    Path dir;

    @BeforeAll
    static void requireTool() {
        ExternalTool.requireInstalled("iscsi-ls", "libiscsi-bin");
    }

    @Test
    void shouldListTargetAndLunsWhenDiscovering() throws Exception {
        try (BlackboxTarget target = BlackboxTarget.start(dir, 64L << 20)) {
            ExternalTool.Result r = ExternalTool.run(Duration.ofSeconds(60),
                    List.of("iscsi-ls", "-s", target.portalUrl()));
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.output()).as(r.describe())
                    .contains("Target:" + BlackboxTarget.IQN)
                    .contains("Portal:" + target.hostPort() + ",1")
                    // iscsi-ls prints RETURNED LOGICAL BLOCK ADDRESS x block length in whole MiB: a 64 MiB LUN
                    // (last LBA 131071) shows as 63M, as it does for other targets.
                    .containsPattern("Lun:0\\s+Type:DIRECT_ACCESS \\(Size:63M\\)")
                    .containsPattern("Lun:1\\s+Type:DIRECT_ACCESS");
        }
    }

    @Test
    void shouldListTargetUrlWhenAskedForUrls() throws Exception {
        try (BlackboxTarget target = BlackboxTarget.start(dir, 64L << 20)) {
            ExternalTool.Result r = ExternalTool.run(Duration.ofSeconds(60),
                    List.of("iscsi-ls", "--url", target.portalUrl()));
            assertThat(r.exitCode()).as(r.describe()).isZero();
            // --url prints one URL per target, naming LUN 0
            assertThat(r.output().strip()).as(r.describe()).isEqualTo(target.lunUrl(0));
        }
    }
}
