package io.jtarget.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void shouldPutEveryValueInTheBucketWhoseBoundsHoldIt() {
        long[] values = {0, 1, 1023, 1024, 1279, 1280, 2047, 2048, 100_000, 1_000_000_000L, (1L << 36) - 1};
        for (long v : values) {
            int b = LatencyHistogram.bucket(v);
            assertThat(v).as("value %d below the upper bound of bucket %d", v, b)
                    .isLessThan(LatencyHistogram.upperBoundNanos(b));
            if (b > 0) {
                assertThat(v).as("value %d at or above the bound of bucket %d", v, b - 1)
                        .isGreaterThanOrEqualTo(LatencyHistogram.upperBoundNanos(b - 1));
            }
        }
        assertThat(LatencyHistogram.bucket(1L << 36)).isEqualTo(LatencyHistogram.BUCKETS - 1);
        assertThat(LatencyHistogram.bucket(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
    }

    @Test
    void shouldKeepNeighbouringBoundsAtMostAQuarterApart() {
        for (int i = 2; i < LatencyHistogram.BUCKETS - 1; i++) {
            double ratio = (double) LatencyHistogram.upperBoundNanos(i) / LatencyHistogram.upperBoundNanos(i - 1);
            assertThat(ratio).isGreaterThan(1.0).isLessThanOrEqualTo(1.25);
        }
    }

    @Test
    void shouldReportQuantilesOfTheIntervalBetweenTwoSnapshots() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < 1000; i++) {
            h.record(5_000_000); // 5 ms, before the interval
        }
        LatencyHistogram.Snapshot before = h.snapshot();
        for (int i = 0; i < 90; i++) {
            h.record(100_000); // 100 µs
        }
        for (int i = 0; i < 10; i++) {
            h.record(2_000_000); // 2 ms
        }
        LatencyHistogram.Snapshot interval = h.snapshot().minus(before);

        assertThat(interval.count()).isEqualTo(100);
        assertThat(interval.sumNanos()).isEqualTo(90 * 100_000L + 10 * 2_000_000L);
        assertThat(interval.quantileNanos(0.5)).isBetween(100_000L, 125_000L);
        assertThat(interval.quantileNanos(0.9)).isBetween(100_000L, 125_000L);
        assertThat(interval.quantileNanos(0.99)).isBetween(2_000_000L, 2_500_000L);
        assertThat(LatencyHistogram.Snapshot.EMPTY.quantileNanos(0.99)).isZero();
    }
}
