package io.jtarget.metrics.prometheus;

import io.jtarget.registry.Fabric;
import io.jtarget.registry.ServedTarget;
import io.jtarget.metrics.CommandKind;
import io.jtarget.metrics.LatencyHistogram;
import io.jtarget.metrics.LoginStats;
import io.jtarget.metrics.LunStats;
import io.jtarget.net.IscsiServer;
import io.jtarget.scsi.LogicalUnit;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Map;

/**
 * Per-LUN and per-target families, read from the live targets at every scrape. LUNs come and go
 * while the server runs; reading them at scrape time means no meter is registered or removed when
 * they do, and a removed LUN simply stops appearing. The counters themselves are the
 * {@link LunStats} the SCSI core keeps; this class only sums and labels them.
 */
final class LunCollector implements MultiCollector {
    private static final double NANOS_PER_SECOND = 1e9;
    /**
     * Exported histogram bounds: one per power of two of the recorder's finer buckets (2^10 ns to
     * 2^36 ns), which keeps a LUN at 28 series per kind while staying exact.
     */
    private static final int[] EXPORTED_BUCKETS = exportedBuckets();
    private static final double[] EXPORTED_BOUNDS = exportedBounds();

    private final IscsiServer server;

    LunCollector(IscsiServer server) {
        this.server = server;
    }

    @Override
    public MetricSnapshots collect() {
        var commands = CounterSnapshot.builder().name("jtarget_lun_commands")
                .help("SCSI commands completed, by kind (read, write, flush, other)");
        var readBytes = CounterSnapshot.builder().name("jtarget_lun_read_bytes")
                .help("Bytes read from the medium by READ commands that succeeded");
        var writtenBytes = CounterSnapshot.builder().name("jtarget_lun_written_bytes")
                .help("Bytes written to the medium by write commands that succeeded");
        var checkConditions = CounterSnapshot.builder().name("jtarget_lun_check_conditions")
                .help("Commands ended with CHECK CONDITION, by sense key (SPC-5 4.5.6)");
        var failures = CounterSnapshot.builder().name("jtarget_lun_failed_commands")
                .help("Commands ended with a status other than GOOD or CHECK CONDITION, or aborted");
        var inFlight = GaugeSnapshot.builder().name("jtarget_lun_commands_in_flight")
                .help("Commands received and not yet completed");
        var size = GaugeSnapshot.builder().name("jtarget_lun_size_bytes").help("Capacity of the logical unit");
        var latency = HistogramSnapshot.builder().name("jtarget_lun_command_latency_seconds")
                .help("Time from a command reaching the SCSI core to its completion, by kind");
        LunFamilies families = new LunFamilies(commands, readBytes, writtenBytes, checkConditions, failures, inFlight,
                size, latency);
        for (ServedTarget target : server.targets()) {
            for (LogicalUnit lu : target.logicalUnits()) {
                families.add(Labels.of("target", target.name(), "lun", Integer.toString(lu.lun())), lu);
            }
        }
        // Units fabrics serve outside the targets (LIO's user backstores through TCMU), named by the fabric.
        for (Fabric.OwnUnit own : server.registry().fabricUnits()) {
            families.add(Labels.of("target", own.name(), "lun", Integer.toString(own.unit().lun())), own.unit());
        }
        var sessions = GaugeSnapshot.builder().name("jtarget_target_sessions").help("Sessions in full feature phase");
        Map<String, Integer> byTarget = server.sessionsByTarget();
        for (ServedTarget target : server.targets()) {
            sessions.dataPoint(gauge(Labels.of("target", target.name()), byTarget.getOrDefault(target.name(), 0)));
        }
        var logins = CounterSnapshot.builder().name("jtarget_logins")
                .help("Logins by target (\"\" for discovery and unknown targets) and outcome: success or the "
                        + "failure status (RFC 7143 11.13.5)");
        for (Map.Entry<LoginStats.Key, Long> e : server.loginStats().snapshot().entrySet()) {
            logins.dataPoint(counter(Labels.of("target", e.getKey().target(), "outcome", e.getKey().outcome()), e.getValue()));
        }
        return MetricSnapshots.of(commands.build(), readBytes.build(), writtenBytes.build(), checkConditions.build(),
                failures.build(), inFlight.build(), size.build(), latency.build(), sessions.build(), logins.build());
    }

    /** The per-LUN families being built for one scrape. */
    private record LunFamilies(CounterSnapshot.Builder commands, CounterSnapshot.Builder readBytes,
            CounterSnapshot.Builder writtenBytes, CounterSnapshot.Builder checkConditions,
            CounterSnapshot.Builder failures, GaugeSnapshot.Builder inFlight, GaugeSnapshot.Builder size,
            HistogramSnapshot.Builder latency) {

        void add(Labels lun, LogicalUnit lu) {
            LunStats stats = lu.stats();
            for (CommandKind kind : CommandKind.values()) {
                Labels labels = lun.add("kind", kind.label());
                commands.dataPoint(counter(labels, stats.commands(kind)));
                latency.dataPoint(histogram(labels, stats.latency(kind).snapshot()));
            }
            readBytes.dataPoint(counter(lun, stats.bytesRead()));
            writtenBytes.dataPoint(counter(lun, stats.bytesWritten()));
            for (int key = 0; key < LunStats.SENSE_KEYS; key++) {
                long n = stats.checkConditions(key);
                if (n > 0) {
                    checkConditions.dataPoint(counter(lun.add("sense_key", LunStats.senseKeyName(key)), n));
                }
            }
            for (LunStats.Outcome outcome : LunStats.Outcome.values()) {
                long n = stats.outcomes(outcome);
                if (n > 0) {
                    failures.dataPoint(counter(lun.add("status", outcome.name().toLowerCase(java.util.Locale.ROOT)), n));
                }
            }
            inFlight.dataPoint(gauge(lun, stats.inFlight()));
            size.dataPoint(gauge(lun, (double) lu.device().blockCount() * lu.device().blockSize()));
        }
    }

    private static CounterDataPointSnapshot counter(Labels labels, double value) {
        return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static GaugeDataPointSnapshot gauge(Labels labels, double value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    /** The recorder's buckets folded into the exported ones (each exported bucket sums the finer ones below its bound). */
    static HistogramDataPointSnapshot histogram(Labels labels, LatencyHistogram.Snapshot snapshot) {
        long[] counts = new long[EXPORTED_BUCKETS.length];
        long[] fine = snapshot.counts();
        int out = 0;
        for (int i = 0; i < fine.length; i++) {
            while (i > EXPORTED_BUCKETS[out]) {
                out++;
            }
            counts[out] += fine[i];
        }
        return HistogramDataPointSnapshot.builder().labels(labels)
                .classicHistogramBuckets(ClassicHistogramBuckets.of(EXPORTED_BOUNDS, counts))
                .sum(snapshot.sumNanos() / NANOS_PER_SECOND)
                .build();
    }

    /** Indexes of the recorder's buckets whose upper bound is a power of two, and the overflow bucket. */
    private static int[] exportedBuckets() {
        return java.util.stream.IntStream.range(0, LatencyHistogram.BUCKETS)
                .filter(i -> i == LatencyHistogram.BUCKETS - 1 || Long.bitCount(LatencyHistogram.upperBoundNanos(i)) == 1)
                .toArray();
    }

    private static double[] exportedBounds() {
        double[] bounds = new double[EXPORTED_BUCKETS.length];
        for (int i = 0; i < bounds.length; i++) {
            int b = EXPORTED_BUCKETS[i];
            bounds[i] = b == LatencyHistogram.BUCKETS - 1 ? Double.POSITIVE_INFINITY
                    : LatencyHistogram.upperBoundNanos(b) / NANOS_PER_SECOND;
        }
        return bounds;
    }
}
