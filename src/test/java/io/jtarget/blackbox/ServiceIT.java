package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.IscsiWire.SenseKey;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.ScsiResult;
import io.jtarget.testinit.TestInitiator;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jtarget as a service, through the real launcher and real initiators: a server started on a data
 * directory takes a new LUN without a restart while iscsi-perf reads another LUN without an error,
 * resizes it (iscsi-readcapacity16 sees the new size), keeps it across a restart from the data
 * directory alone, and applies an edited configuration file with exactly its effects. The unit
 * attentions are seen by a session that stays logged in throughout (the in-process initiator).
 */
@Tag("blackbox")
class ServiceIT {
    private static final String IQN = "iqn.2026-11.io.jtarget.blackbox:service";
    private static final String SECOND = "iqn.2026-11.io.jtarget.blackbox:second";
    private static final String THIRD = "iqn.2026-11.io.jtarget.blackbox:third";
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
    /** iscsi-perf runs until it is stopped; this bounds it should the test fail before that. */
    private static final int PERF_MAX_SECONDS = 120;
    /** SPC-5 Annex F: REPORTED LUNS DATA HAS CHANGED, CAPACITY DATA HAS CHANGED, LOGICAL UNIT NOT SUPPORTED. */
    private static final int ASC_REPORTED_LUNS = 0x3F;
    private static final int ASCQ_REPORTED_LUNS = 0x0E;
    private static final int ASC_CAPACITY = 0x2A;
    private static final int ASCQ_CAPACITY = 0x09;
    private static final int ASC_LUN_NOT_SUPPORTED = 0x25;

    @TempDir
    Path dir;

    @BeforeAll
    static void tools() {
        for (String tool : List.of("iscsi-inq", "iscsi-readcapacity16", "iscsi-perf", "iscsi-ls")) {
            ExternalTool.requireInstalled(tool, "libiscsi-bin");
        }
    }

    @Test
    void shouldChangeTheRunningServerAndKeepTheChangesAcrossARestart() throws Exception {
        Path data = dir.resolve("data");
        int port = Launched.freePort();
        int metricsPort = Launched.freePort();
        InetSocketAddress portal = new InetSocketAddress("127.0.0.1", port);
        String listen = "127.0.0.1:" + port;
        String url = "iscsi://" + listen + "/" + IQN;
        Path lun1 = dir.resolve("lun1.img");
        byte[] written = Bytes.random(256 << 10, 14);

        Launched first = Launched.start(List.of(Launched.launcher().toString(), "serve", "--data-dir", data.toString(),
                "--listen", listen, "--target", IQN, "--lun", "ram:64M", "--metrics", "127.0.0.1:" + metricsPort),
                dir.resolve("first.log"), portal);
        Process perf = null;
        Path perfLog = dir.resolve("perf.log");
        try (TestInitiator watcher = TestInitiator.login(portal, LoginOptions.normal(IQN))) {
            watcher.clearUnitAttentions(0);
            perf = new ProcessBuilder("iscsi-perf", "-m", "4", "-t", Integer.toString(PERF_MAX_SECONDS), url + "/0")
                    .redirectErrorStream(true).redirectOutput(perfLog.toFile()).start();
            awaitOutput(perf, perfLog, "performing");

            CliResult add = cli(data, "lun", "add", "--target", IQN, "--lun", "file:" + lun1 + ":64M");
            assertThat(add.exitCode()).as(add.output()).isZero();
            assertThat(add.output()).contains("add LUN 1");

            // Reachable at once by a new initiator, without a restart.
            ExternalTool.Result inq = ExternalTool.run(TOOL_TIMEOUT, List.of("iscsi-inq", url + "/1"));
            assertThat(inq.exitCode()).as(inq.describe()).isZero();
            assertThat(inq.output()).contains("DIRECT_ACCESS");
            // The session that was there learns of it on the new LUN; LUN 0 goes on undisturbed.
            assertThat(watcher.testUnitReady(0).isGood()).isTrue();
            assertThat(watcher.reportLuns()).containsExactly(0, 1);
            assertThat(unitAttentions(watcher, 1)).anyMatch(ua -> ua.equals(List.of(ASC_REPORTED_LUNS, ASCQ_REPORTED_LUNS)));
            watcher.capacity(1);
            watcher.write10(1, 100, written, true).requireGood();
            assertThat(watcher.read10(1, 100, written.length / watcher.blockSize(1)).requireGood().data()).isEqualTo(written);
            // The metrics endpoint counts the LUN added live: at least the bytes just written to it.
            assertThat(writtenBytes(metricsPort, 1)).isGreaterThanOrEqualTo(written.length);

            CliResult resize = cli(data, "lun", "resize", "--target", IQN, "--lun", "1", "--size", "512M");
            assertThat(resize.exitCode()).as(resize.output()).isZero();
            ExternalTool.Result capacity = ExternalTool.run(TOOL_TIMEOUT, List.of("iscsi-readcapacity16", "-s", url + "/1"));
            assertThat(capacity.exitCode()).as(capacity.describe()).isZero();
            assertThat(capacity.output().strip()).isEqualTo("536870912");
            assertThat(Files.size(lun1)).isEqualTo(512L << 20);
            assertThat(unitAttentions(watcher, 1)).contains(List.of(ASC_CAPACITY, ASCQ_CAPACITY));

            // iscsi-perf ends cleanly on SIGTERM; any command that failed meanwhile would have made it exit 10.
            perf.destroy();
            assertThat(perf.waitFor(30, TimeUnit.SECONDS)).as("iscsi-perf stops").isTrue();
            String perfOutput = Files.readString(perfLog, StandardCharsets.UTF_8);
            assertThat(perf.exitValue()).as(perfOutput).isZero();
            assertThat(perfOutput).doesNotContain("failed").contains("iops average");
            assertThat(watcher.logout().response()).isZero();
            assertThat(first.stop()).as("exit code after SIGTERM\n%s", first.log()).isZero();
        } finally {
            if (perf != null && perf.isAlive()) {
                ExternalTool.kill(perf);
            }
            first.kill();
        }

        // Only the data directory and the portal: LUN 1 is back, with its data and its new size.
        Launched second = Launched.start(List.of(Launched.launcher().toString(), "serve", "--data-dir", data.toString(),
                "--listen", listen), dir.resolve("second.log"), portal);
        try (TestInitiator watcher = TestInitiator.login(portal, LoginOptions.normal(IQN))) {
            watcher.clearUnitAttentions(0);
            watcher.clearUnitAttentions(1);
            assertThat(watcher.capacity(1).bytes()).isEqualTo(512L << 20);
            assertThat(watcher.read10(1, 100, written.length / watcher.blockSize(1)).requireGood().data()).isEqualTo(written);

            // An edited file: a second target added, LUN 0 removed; nothing else changes.
            String shown = cli(data, "config", "show").output();
            Path edited = dir.resolve("edited.yaml");
            Files.writeString(edited, edit(shown), StandardCharsets.UTF_8);
            CliResult apply = cli(data, "config", "apply", edited.toString());
            assertThat(apply.exitCode()).as(apply.output()).isZero();
            assertThat(apply.output().lines().toList()).containsExactly("add target " + SECOND + " with 1 LUN(s)",
                    "remove LUN 0 from " + IQN);

            ExternalTool.Result ls = ExternalTool.run(TOOL_TIMEOUT, List.of("iscsi-ls", "iscsi://" + listen));
            assertThat(ls.output()).contains("Target:" + IQN, "Target:" + SECOND);
            ExternalTool.Result inq = ExternalTool.run(TOOL_TIMEOUT, List.of("iscsi-inq", "iscsi://" + listen + "/" + SECOND + "/0"));
            assertThat(inq.exitCode()).as(inq.describe()).isZero();
            // The logged-in session: LUN 0 is gone, LUN 1 reports the inventory change and still has its data.
            ScsiResult gone = watcher.testUnitReady(0);
            assertThat(gone.sense().is(SenseKey.ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED, 0)).as(gone.toString()).isTrue();
            assertThat(unitAttentions(watcher, 1)).containsExactly(List.of(ASC_REPORTED_LUNS, ASCQ_REPORTED_LUNS));
            assertThat(watcher.reportLuns()).containsExactly(1);
            assertThat(watcher.read10(1, 100, written.length / watcher.blockSize(1)).requireGood().data()).isEqualTo(written);

            // A refused change: one line saying why, a non-zero exit, the file as it was.
            String before = Files.readString(data.resolve("jtarget.yaml"), StandardCharsets.UTF_8);
            CliResult refused = cli(data, "lun", "add", "--target", IQN, "--lun", "ram:1000");
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.output().lines().toList()).singleElement().asString().startsWith("jtarget: ");
            CliResult clash = cli(data, "target", "add", SECOND);
            assertThat(clash.exitCode()).isEqualTo(1);
            assertThat(clash.output().strip()).isEqualTo("jtarget: target " + SECOND + " already exists");
            assertThat(Files.readString(data.resolve("jtarget.yaml"), StandardCharsets.UTF_8)).isEqualTo(before);

            // SIGHUP re-reads the edited file.
            Files.writeString(data.resolve("jtarget.yaml"), before + "  - name: " + THIRD
                    + "\n    luns:\n      - lun: 0\n        backing: ram:8M\n", StandardCharsets.UTF_8);
            ExternalTool.run(TOOL_TIMEOUT, List.of("kill", "-HUP", Long.toString(second.process().pid())));
            awaitTarget(listen, THIRD);

            // The sessions view shows the watcher with what it negotiated; dropping it closes its connection.
            String sessions = cli(data, "session", "list").output();
            String id = sessions.lines().filter(l -> l.contains("to " + IQN)).map(l -> l.substring(0, l.indexOf(' ')))
                    .findFirst().orElseThrow(() -> new AssertionError("no session to " + IQN + " in:\n" + sessions));
            assertThat(sessions).contains("HeaderDigest=", "MaxBurstLength=");
            CliResult drop = cli(data, "session", "drop", id);
            assertThat(drop.exitCode()).as(drop.output()).isZero();
            assertThat(watcher.awaitClosedByTarget(Duration.ofSeconds(10))).as("session dropped").isTrue();

            assertThat(second.stop()).as("exit code after SIGTERM\n%s", second.log()).isZero();
        } finally {
            second.kill();
        }
    }

    /** The configuration as shown, with LUN 0 of the first target removed and a second target added. */
    private static String edit(String shown) {
        String withoutLun0 = shown.replace("      - lun: 0\n        backing: ram:64M\n", "");
        assertThat(withoutLun0).as("LUN 0 in:\n%s", shown).isNotEqualTo(shown);
        return withoutLun0 + "  - name: " + SECOND + "\n    luns:\n      - lun: 0\n        backing: ram:16M\n";
    }

    /** The unit attentions pending on a LUN for this session, as (ASC, ASCQ) pairs; they are cleared. */
    private static List<List<Integer>> unitAttentions(TestInitiator initiator, int lun) throws Exception {
        List<List<Integer>> seen = new ArrayList<>();
        initiator.clearUnitAttentions(lun).forEach(s -> seen.add(List.of(s.asc(), s.ascq())));
        return seen;
    }

    private record CliResult(int exitCode, String output) {}

    /** {@code ./jtarget ARGS --data-dir DATA}: its exit code and its output (stdout and stderr). */
    private static CliResult cli(Path data, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Launched.launcher().toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--data-dir", data.toString()));
        ExternalTool.Result r = ExternalTool.run(TOOL_TIMEOUT, command);
        return new CliResult(r.exitCode(), r.output());
    }

    /** Waits until discovery (iscsi-ls) lists {@code target}. */
    /** {@code jtarget_lun_written_bytes_total} of LUN {@code lun} of the test target, from Prometheus text. */
    private static double writtenBytes(int metricsPort, int lun) throws Exception {
        String metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        String series = "jtarget_lun_written_bytes_total{lun=\"" + lun + "\",target=\"" + IQN + "\"} ";
        return metrics.lines().filter(line -> line.startsWith(series))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length()).strip()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + series + "in\n" + metrics));
    }

    private static void awaitTarget(String listen, String target) throws Exception {
        long deadline = System.nanoTime() + TOOL_TIMEOUT.toNanos();
        while (true) {
            ExternalTool.Result ls = ExternalTool.run(TOOL_TIMEOUT, List.of("iscsi-ls", "iscsi://" + listen));
            if (ls.output().contains("Target:" + target)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(target + " not served after SIGHUP:\n" + ls.describe());
            }
            Thread.sleep(200);
        }
    }

    private static void awaitOutput(Process process, Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TOOL_TIMEOUT.toNanos();
        while (!Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("iscsi-perf did not start:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            Thread.sleep(100);
        }
    }
}
