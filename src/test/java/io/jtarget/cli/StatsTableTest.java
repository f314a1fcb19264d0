package io.jtarget.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.metrics.LatencyHistogram;
import io.jtarget.metrics.LunSample;
import io.jtarget.metrics.StatsSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTableTest {
    private static final String T1 = "iqn.2026-11.io.jtarget:one";
    private static final String T2 = "iqn.2026-11.io.jtarget:two";
    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldShowRatesMeansAndPercentilesOfTheIntervalPerLun() {
        LunSample before = sample(T1, 0, 1000, 10, 4096, 100_000, 500);
        LunSample after = sample(T1, 0, 3000, 410, 4096, 100_000, 500);
        List<String> lines = StatsTable.render(new StatsSnapshot(5 * SECOND, List.of(before)),
                new StatsSnapshot(7 * SECOND, List.of(after)));

        assertThat(lines).containsExactly(StatsTable.HEADER, T1, lines.get(2));
        // 2000 reads and 400 writes of 4 KiB in 2 s; every command took 100 µs, in the 98.3-114.7 µs bucket.
        assertThat(lines.get(2).trim().split(" +")).containsExactly(
                "0", "1000.0", "200.0", "3.9", "0.8", "0.100", "0.100", "0.115", "0.115", "500");
    }

    @Test
    void shouldCountALunAddedMeanwhileFromZeroAndLeaveOutARemovedOne() {
        LunSample removed = sample(T1, 1, 50, 50, 512, 1_000_000, 0);
        LunSample added = sample(T2, 7, 100, 0, 512, 2_000_000, 0);
        List<String> lines = StatsTable.render(new StatsSnapshot(0, List.of(removed)),
                new StatsSnapshot(SECOND, List.of(added)));

        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).isEqualTo(T2);
        assertThat(lines.get(2).trim().split(" +")).startsWith("7", "100.0", "0.0");
        assertThat(lines.get(2).trim().split(" +")[7]).isEqualTo("2.097"); // 2 ms falls in the 1.835-2.097 ms bucket
    }

    @Test
    void shouldFitEightyColumnsWithEveryValueUnderItsHeading() {
        LunSample big = sample(T1, 16383, 0, 0, 1 << 20, 30_000_000_000L, 99_999);
        LunSample bigger = sample(T1, 16383, 9_999_999, 9_999_999, 1 << 20, 30_000_000_000L, 99_999);
        List<String> lines = StatsTable.render(new StatsSnapshot(0, List.of(big)), new StatsSnapshot(SECOND, List.of(bigger)));
        String header = lines.get(0);
        String row = lines.get(2);
        assertThat(header.length()).isLessThanOrEqualTo(80);
        assertThat(row).hasSameSizeAs(header);
        // Right-aligned columns: every heading ends where its value ends.
        for (int i = 0; i < header.length(); i++) {
            boolean headingEnds = header.charAt(i) != ' ' && (i + 1 == header.length() || header.charAt(i + 1) == ' ');
            if (headingEnds) {
                assertThat(row.charAt(i)).as("column ending at %d in '%s'", i, row).isNotEqualTo(' ');
            }
        }
    }

    @Test
    void shouldDropDecimalsThenUseASuffixWhenAValueIsTooWide() {
        assertThat(StatsTable.fit(12.3456, 7, 3)).isEqualTo(" 12.346");
        assertThat(StatsTable.fit(30000.0, 7, 3)).isEqualTo("30000.0");
        assertThat(StatsTable.fit(300000.0, 7, 3)).isEqualTo(" 300000");
        assertThat(StatsTable.fit(12_345_678.0, 7, 1)).isEqualTo("  12.3M");
        assertThat(StatsTable.fit(0, 5, 0)).isEqualTo("    0");
    }

    /** A LUN with {@code reads} and {@code writes} of {@code size} bytes each, every one taking {@code latencyNanos}. */
    private static LunSample sample(String target, int lun, long reads, long writes, long size, long latencyNanos,
            long inFlight) {
        LatencyHistogram h = new LatencyHistogram();
        long[] buckets = h.snapshot().counts();
        h.record(latencyNanos);
        long[] one = h.snapshot().counts();
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = one[i] * (reads + writes);
        }
        return new LunSample(target, lun, reads, writes, 0, reads * size, writes * size, reads * latencyNanos,
                writes * latencyNanos, buckets, inFlight);
    }
}
