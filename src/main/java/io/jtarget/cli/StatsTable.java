package io.jtarget.cli;

import io.jtarget.metrics.LatencyHistogram;
import io.jtarget.metrics.LunSample;
import io.jtarget.metrics.StatsSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table {@code jtarget stats} prints every interval, like {@code iostat -x}: per LUN, reads and
 * writes per second, MiB/s each way, mean read and write latency, the median and 99th percentile of
 * read and write latency in the interval, and the commands in flight now. Fits 80 columns.
 */
final class StatsTable {
    static final String HEADER = String.format("%5s %8s %8s %7s %7s %7s %7s %7s %7s %5s",
            "LUN", "r/s", "w/s", "rMiB/s", "wMiB/s", "r_ms", "w_ms", "p50_ms", "p99_ms", "inflt");
    /** Column widths and decimals of the values, in the order of {@link #HEADER}. */
    private static final int[] WIDTHS = {8, 8, 7, 7, 7, 7, 7, 7};
    private static final int[] DECIMALS = {1, 1, 1, 1, 3, 3, 3, 3};
    private static final double MIB = 1024 * 1024;
    private static final double NANOS_PER_MS = 1e6;

    private StatsTable() {}

    /** The rows for what happened between {@code earlier} and {@code later}, grouped by target. */
    static List<String> render(StatsSnapshot earlier, StatsSnapshot later) {
        Duration interval = Duration.ofNanos(Math.max(1, later.takenAtNanos() - earlier.takenAtNanos()));
        double seconds = interval.toNanos() / 1e9;
        Map<String, LunSample> before = new HashMap<>();
        for (LunSample s : earlier.luns()) {
            before.put(key(s.target(), s.lun()), s);
        }
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        String target = null;
        for (LunSample now : later.luns()) {
            if (!now.target().equals(target)) {
                target = now.target();
                lines.add(target);
            }
            // A LUN added meanwhile started from zero; one re-created under the same number restarted its counters.
            LunSample then = before.getOrDefault(key(now.target(), now.lun()), zero(now));
            if (now.reads() < then.reads() || now.writes() < then.writes()) {
                then = zero(now);
            }
            long reads = now.reads() - then.reads();
            long writes = now.writes() - then.writes();
            LatencyHistogram.Snapshot latency = now.latencySince(then);
            double[] values = {
                reads / seconds, writes / seconds,
                (now.bytesRead() - then.bytesRead()) / MIB / seconds,
                (now.bytesWritten() - then.bytesWritten()) / MIB / seconds,
                mean(now.readLatencyNanos() - then.readLatencyNanos(), reads),
                mean(now.writeLatencyNanos() - then.writeLatencyNanos(), writes),
                latency.quantileNanos(0.5) / NANOS_PER_MS,
                latency.quantileNanos(0.99) / NANOS_PER_MS
            };
            StringBuilder row = new StringBuilder(String.format("%5d", now.lun()));
            for (int i = 0; i < values.length; i++) {
                row.append(' ').append(fit(values[i], WIDTHS[i], DECIMALS[i]));
            }
            row.append(' ').append(fit(now.inFlight(), 5, 0));
            lines.add(row.toString());
        }
        return lines;
    }

    /** {@code value} right-aligned in {@code width}: fewer decimals first, then a k/M/G suffix, when it is too wide. */
    static String fit(double value, int width, int decimals) {
        for (int d = decimals; d >= 0; d--) {
            String s = String.format(Locale.ROOT, "%." + d + "f", value);
            if (s.length() <= width) {
                return " ".repeat(width - s.length()) + s;
            }
        }
        String[] suffixes = {"k", "M", "G", "T", "P"};
        double v = value;
        for (String suffix : suffixes) {
            v /= 1000;
            if (v >= 999.5) {
                continue; // the next suffix reads better than a four-digit mantissa
            }
            String s = String.format(Locale.ROOT, v < 100 ? "%.1f%s" : "%.0f%s", v, suffix);
            if (s.length() <= width) {
                return " ".repeat(width - s.length()) + s;
            }
        }
        return "#".repeat(width);
    }

    private static double mean(long nanos, long count) {
        return count == 0 ? 0 : nanos / (double) count / NANOS_PER_MS;
    }

    private static String key(String target, int lun) {
        return target + "\0" + lun;
    }

    private static LunSample zero(LunSample like) {
        return new LunSample(like.target(), like.lun(), 0, 0, 0, 0, 0, 0, 0, new long[LatencyHistogram.BUCKETS], 0);
    }
}
