package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WritebackPressureTest {

    /** Counters a test sets; {@code /proc/vmstat} and memory.stat lines are built from them. */
    static class FakeSource implements WritebackPressure.Source {
        long dirty;
        long writeback;
        long background = 1000;
        long allocstallNormal;
        long cgroupLimit = -1;
        long cgroupDirtyBytes;
        boolean broken;
        int vmstatReads;

        @Override
        public List<String> vmstat() throws IOException {
            vmstatReads++;
            if (broken) {
                throw new IOException("no such file");
            }
            List<String> lines = new ArrayList<>();
            lines.add("nr_free_pages 123456");
            lines.add("nr_dirty " + dirty);
            lines.add("nr_writeback " + writeback);
            lines.add("nr_dirty_threshold " + background * 2);
            lines.add("nr_dirty_background_threshold " + background);
            lines.add("allocstall_dma 0");
            lines.add("allocstall_normal " + allocstallNormal);
            return lines;
        }

        @Override
        public long cgroupMemoryLimit() {
            return cgroupLimit;
        }

        @Override
        public List<String> cgroupMemoryStat() {
            return List.of("anon 4096", "file_dirty " + cgroupDirtyBytes / 2, "file_writeback " + (cgroupDirtyBytes - cgroupDirtyBytes / 2));
        }

        @Override
        public int dirtyBackgroundRatio() {
            return 10;
        }
    }

    private final FakeSource source = new FakeSource();
    private long now = 1_000_000_000L;
    private final WritebackPressure pressure = new WritebackPressure(source, () -> now);

    private boolean lowAfterNextSample() {
        now += WritebackPressure.SAMPLE_INTERVAL_NANOS + 1;
        return pressure.low();
    }

    @Test
    void shouldBeLowOnlyWhileDirtyAndWritebackPagesStayBelowHalfTheBackgroundThreshold() {
        source.dirty = 300;
        source.writeback = 199;
        assertThat(lowAfterNextSample()).isTrue();

        source.writeback = 200; // 500 = half of 1000
        assertThat(lowAfterNextSample()).isFalse();

        source.dirty = 0;
        source.writeback = 0;
        assertThat(lowAfterNextSample()).isTrue();
    }

    @Test
    void shouldNotBeLowForTheSampleInWhichDirectReclaimStalledATask() {
        assertThat(lowAfterNextSample()).isTrue();
        source.allocstallNormal = 5;
        assertThat(lowAfterNextSample()).isFalse();
        assertThat(lowAfterNextSample()).as("no new stall since the previous sample").isTrue();
    }

    @Test
    void shouldSampleAtMostOncePerInterval() {
        assertThat(lowAfterNextSample()).isTrue();
        int reads = source.vmstatReads;
        source.dirty = 900;
        now += WritebackPressure.SAMPLE_INTERVAL_NANOS / 2;
        assertThat(pressure.low()).as("the previous sample still holds").isTrue();
        assertThat(source.vmstatReads).isEqualTo(reads);
        assertThat(lowAfterNextSample()).isFalse();
        assertThat(source.vmstatReads).isEqualTo(reads + 1);
    }

    @Test
    void shouldNeverBeLowWhenTheCountersCannotBeRead() {
        source.broken = true;
        assertThat(lowAfterNextSample()).isFalse();
        source.broken = false;
        assertThat(lowAfterNextSample()).as("unavailable stays unavailable").isFalse();
        assertThat(new WritebackPressure(null, () -> now).low()).isFalse();
    }

    @Test
    void shouldNotBeLowWhenVmstatLacksTheThresholds() {
        WritebackPressure partial = new WritebackPressure(new FakeSource() {
            @Override
            public List<String> vmstat() {
                return List.of("nr_dirty 1", "nr_writeback 0");
            }
        }, () -> now);
        now += WritebackPressure.SAMPLE_INTERVAL_NANOS + 1;
        assertThat(partial.low()).isFalse();
    }

    @Test
    void shouldCountTheMemoryCgroupsOwnDirtyPagesAgainstItsLimit() {
        source.cgroupLimit = 1L << 30; // background: 10 % = 107,374,182 bytes; half of it 53,687,091
        source.cgroupDirtyBytes = 50_000_000;
        assertThat(lowAfterNextSample()).isTrue();
        source.cgroupDirtyBytes = 60_000_000;
        assertThat(lowAfterNextSample()).isFalse();
    }

    @Test
    void shouldReadThisMachinesCountersWhenOnLinux() {
        WritebackPressure.Counters counters;
        try {
            counters = WritebackPressure.Counters.parse(java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/vmstat")));
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no /proc/vmstat on this platform");
            return;
        }
        assertThat(counters.backgroundThreshold()).isPositive();
        assertThat(counters.dirty()).isNotNegative();
    }
}
