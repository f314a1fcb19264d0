package io.jtarget.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free latency histogram cheap enough for every command: log-linear buckets (four per
 * power of two, so a bucket's bounds are at most 25% apart) from about 1 µs to 68 s, one
 * {@link LongAdder} per bucket. Recording is a leading-zero count, a shift and one add; nothing is
 * allocated and nothing is shared with other histograms, so threads recording different LUNs never
 * touch the same cache line, and threads recording the same LUN spread over LongAdder's cells.
 *
 * <p>Readers take {@link #snapshot()}s (cumulative since start); the difference of two snapshots
 * is the histogram of the interval between them, which is how {@code jtarget stats} computes
 * per-second percentiles and how Prometheus computes rates.
 */
public final class LatencyHistogram {
    /** Smallest resolved latency: 2^10 ns (about 1 µs); faster commands share bucket 0. */
    static final int MIN_SHIFT = 10;
    /** Largest resolved latency: 2^36 ns (about 68 s); slower commands share the last bucket. */
    static final int MAX_SHIFT = 36;
    static final int SUB_BUCKET_BITS = 2;
    private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
    /** Bucket 0 (below 2^MIN_SHIFT), the log-linear buckets, and the overflow bucket. */
    public static final int BUCKETS = 1 + (MAX_SHIFT - MIN_SHIFT) * SUB_BUCKETS + 1;

    private static final long[] UPPER_BOUNDS_NANOS = upperBounds();

    private final LongAdder[] counts = new LongAdder[BUCKETS];
    private final LongAdder sumNanos = new LongAdder();

    public LatencyHistogram() {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void record(long nanos) {
        counts[bucket(nanos)].increment();
        sumNanos.add(Math.max(0, nanos));
    }

    static int bucket(long nanos) {
        if (nanos < (1L << MIN_SHIFT)) {
            return 0;
        }
        int msb = 63 - Long.numberOfLeadingZeros(nanos);
        if (msb >= MAX_SHIFT) {
            return BUCKETS - 1;
        }
        int sub = (int) (nanos >>> (msb - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
        return 1 + (msb - MIN_SHIFT) * SUB_BUCKETS + sub;
    }

    /** Exclusive upper bound of bucket {@code i} in nanoseconds; {@link Long#MAX_VALUE} for the overflow bucket. */
    public static long upperBoundNanos(int i) {
        return UPPER_BOUNDS_NANOS[i];
    }

    private static long[] upperBounds() {
        long[] bounds = new long[BUCKETS];
        bounds[0] = 1L << MIN_SHIFT;
        for (int i = 1; i < BUCKETS - 1; i++) {
            int msb = MIN_SHIFT + (i - 1) / SUB_BUCKETS;
            int sub = (i - 1) % SUB_BUCKETS;
            bounds[i] = (long) (SUB_BUCKETS + sub + 1) << (msb - SUB_BUCKET_BITS);
        }
        bounds[BUCKETS - 1] = Long.MAX_VALUE;
        return bounds;
    }

    /** Counts so far (not atomic across buckets: a command recorded meanwhile may or may not be in it). */
    public Snapshot snapshot() {
        long[] c = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            c[i] = counts[i].sum();
        }
        return new Snapshot(c, sumNanos.sum());
    }

    /**
     * Bucket counts (not cumulative) and the sum of all recorded latencies.
     *
     * @param counts one count per bucket, {@link #BUCKETS} long
     */
    public record Snapshot(long[] counts, long sumNanos) {
        public static final Snapshot EMPTY = new Snapshot(new long[BUCKETS], 0);

        public Snapshot {
            if (counts.length != BUCKETS) {
                throw new IllegalArgumentException("expected " + BUCKETS + " buckets, got " + counts.length);
            }
        }

        public long count() {
            long n = 0;
            for (long c : counts) {
                n += c;
            }
            return n;
        }

        /** What was recorded after {@code earlier}. */
        public Snapshot minus(Snapshot earlier) {
            long[] d = new long[BUCKETS];
            for (int i = 0; i < BUCKETS; i++) {
                d[i] = Math.max(0, counts[i] - earlier.counts[i]);
            }
            return new Snapshot(d, Math.max(0, sumNanos - earlier.sumNanos));
        }

        /**
         * The upper bound of the bucket holding the {@code quantile} (0..1] of the recorded values: the
         * true value is at most this and more than three quarters of it. 0 when nothing was recorded.
         */
        public long quantileNanos(double quantile) {
            long total = count();
            if (total == 0) {
                return 0;
            }
            long rank = Math.max(1, (long) Math.ceil(quantile * total));
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += counts[i];
                if (seen >= rank) {
                    return i == BUCKETS - 1 ? (1L << MAX_SHIFT) : UPPER_BOUNDS_NANOS[i];
                }
            }
            return 1L << MAX_SHIFT;
        }
    }
}
