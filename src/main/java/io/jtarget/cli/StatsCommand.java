package io.jtarget.cli;

import io.jtarget.admin.AdminServer;
import io.jtarget.metrics.StatsSnapshot;
import java.io.IOException;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jtarget stats}: a live per-LUN table from the running server, like {@code iostat -x 1}. */
@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        description = {
            "Live per-LUN I/O statistics of a running server, like iostat -x.",
            "",
            "Every interval: reads and writes per second (r/s, w/s), MiB/s each way, mean read and "
                    + "write latency (r_ms, w_ms), the median and 99th percentile latency of reads and "
                    + "writes (p50_ms, p99_ms), and the commands in flight now (inflt).",
            ""
        },
        sortOptions = false)
final class StatsCommand extends AdminCommand {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1",
            description = "Seconds between refreshes (default: ${DEFAULT-VALUE}).")
    double interval;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
            description = "Stop after N tables (default: until Ctrl-C).")
    int count;

    @Override
    void run() throws Refused {
        if (!(interval > 0) || interval > 86_400) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--interval: must be more than 0 and at most 86400 seconds, got " + interval);
        }
        if (count < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--count: must be 0 or more, got " + count);
        }
        StatsSnapshot previous = snapshot();
        for (int shown = 0; count == 0 || shown < count; shown++) {
            try {
                Thread.sleep((long) (interval * 1000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            StatsSnapshot current = snapshot();
            out().println(LocalTime.now().format(CLOCK));
            StatsTable.render(previous, current).forEach(out()::println);
            out().println();
            out().flush();
            previous = current;
        }
    }

    private StatsSnapshot snapshot() throws Refused {
        String text = requestText("GET", "/v1/stats", null);
        try {
            return AdminServer.JSON.readValue(text, StatsSnapshot.class);
        } catch (IOException e) {
            throw new Refused("unexpected answer from the server: " + e.getMessage());
        }
    }
}
