package io.jtarget.metrics;

/**
 * One logical unit's cumulative counters at one moment, as the admin API hands them to
 * {@code jtarget stats}: rates and percentiles are differences of two samples.
 *
 * @param latencyBuckets reads and writes together, in {@link LatencyHistogram}'s buckets
 */
public record LunSample(
        String target,
        int lun,
        long reads,
        long writes,
        long otherCommands,
        long bytesRead,
        long bytesWritten,
        long readLatencyNanos,
        long writeLatencyNanos,
        long[] latencyBuckets,
        long inFlight) {

    public LunSample {
        if (latencyBuckets.length != LatencyHistogram.BUCKETS) {
            throw new IllegalArgumentException("latencyBuckets: expected " + LatencyHistogram.BUCKETS + " buckets, got "
                    + latencyBuckets.length);
        }
    }

    /** Reads {@code stats} now. */
    public static LunSample of(String target, int lun, LunStats stats) {
        LatencyHistogram.Snapshot read = stats.latency(CommandKind.READ).snapshot();
        LatencyHistogram.Snapshot write = stats.latency(CommandKind.WRITE).snapshot();
        long[] merged = new long[LatencyHistogram.BUCKETS];
        for (int i = 0; i < merged.length; i++) {
            merged[i] = read.counts()[i] + write.counts()[i];
        }
        return new LunSample(target, lun, stats.commands(CommandKind.READ), stats.commands(CommandKind.WRITE),
                stats.commands(CommandKind.FLUSH) + stats.commands(CommandKind.OTHER), stats.bytesRead(),
                stats.bytesWritten(), read.sumNanos(), write.sumNanos(), merged, stats.inFlight());
    }

    /** Reads and writes since {@code earlier}, as a histogram. */
    public LatencyHistogram.Snapshot latencySince(LunSample earlier) {
        return new LatencyHistogram.Snapshot(latencyBuckets, 0)
                .minus(new LatencyHistogram.Snapshot(earlier.latencyBuckets, 0));
    }
}
