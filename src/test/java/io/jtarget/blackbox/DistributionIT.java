package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.systemd.UnixDatagramReceiver;
import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.TestInitiator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-contained distribution {@code ./mvnw package} makes, as an operator installs it: unpacked
 * anywhere, it runs with an empty environment (no PATH, no JAVA_HOME: only its own jlink runtime),
 * tells a service manager it is ready, pings the watchdog, serves metrics, and stops on SIGTERM with
 * exit code 0 after saying it is stopping; {@code jtarget stats} reads it through the admin socket. Its
 * systemd unit passes {@code systemd-analyze verify}.
 */
@Tag("blackbox")
class DistributionIT {
    private static final Pattern TARBALL = Pattern.compile("jtarget-(.+)-linux-x86_64\\.tar\\.gz");
    private static final String IQN = "iqn.2026-11.io.jtarget.blackbox:dist";
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static Path home;
    private static String version;

    @BeforeAll
    static void unpack() throws Exception {
        Path target = Path.of(System.getProperty("user.dir"), "target");
        Path tarball;
        try (Stream<Path> files = Files.list(target)) {
            List<Path> found = files.filter(p -> TARBALL.matcher(p.getFileName().toString()).matches()).toList();
            assertThat(found).as("one distribution tarball in target/ (made by ./mvnw package unless "
                    + "-Djtarget.dist.skip=true)").hasSize(1);
            tarball = found.getFirst();
        }
        Matcher m = TARBALL.matcher(tarball.getFileName().toString());
        assertThat(m.matches()).isTrue();
        version = m.group(1);
        ExternalTool.Result untar = ExternalTool.run(RUN_TIMEOUT, List.of("tar", "-xzf", tarball.toString(), "-C",
                dir.toString()));
        assertThat(untar.exitCode()).as(untar.describe()).isZero();
        home = dir.resolve("jtarget-" + version);
        assertThat(home.resolve("bin/jtarget")).isExecutable();
        assertThat(home.resolve("runtime/bin/java")).isExecutable();
    }

    @Test
    void shouldPrintItsVersionAndHelpWithoutAnyJdkOnTheMachinesPaths() throws Exception {
        Run versionRun = Run.start(home, Map.of(), "--version");
        assertThat(versionRun.waitForExit()).as(versionRun.output()).isZero();
        assertThat(versionRun.output().strip()).isEqualTo("jtarget " + version);

        Run help = Run.start(home, Map.of(), "serve", "--help");
        assertThat(help.waitForExit()).as(help.output()).isZero();
        assertThat(help.output()).contains("--metrics=HOST:PORT", "--shutdown-timeout=SECONDS", "LUN specs");
    }

    @Test
    void shouldNotifyReadinessPingTheWatchdogServeMetricsAndStopCleanly() throws Throwable {
        Path notifySocket = dir.resolve("notify.sock");
        int port = freePort();
        int metricsPort = freePort();
        try (UnixDatagramReceiver systemd = new UnixDatagramReceiver(notifySocket.toString(),
                RUN_TIMEOUT.toSeconds())) {
            Run serve = Run.start(home, Map.of("NOTIFY_SOCKET", notifySocket.toString(), "WATCHDOG_USEC", "2000000"),
                    "serve", "--listen", "127.0.0.1:" + port, "--target", IQN, "--lun", "ram:16M",
                    "--metrics", "127.0.0.1:" + metricsPort, "--data-dir", dir.resolve("data").toString(),
                    "--shutdown-timeout", "5");
            try {
                String ready = systemd.receive();
                assertThat(ready).as("first notification\n%s", serve.output()).startsWith("READY=1\nSTATUS=serving");
                assertThat(systemd.receive()).as("watchdog ping").isEqualTo("WATCHDOG=1");

                byte[] data = Bytes.random(128 * 1024, 3);
                try (TestInitiator initiator = TestInitiator.login(new InetSocketAddress("127.0.0.1", port),
                        LoginOptions.normal(IQN))) {
                    initiator.clearUnitAttentions(0);
                    initiator.capacity(0);
                    initiator.write16(0, 0, data, false).requireGood();
                    assertThat(initiator.logout().response()).isZero();
                }
                String metrics = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("jtarget_lun_written_bytes_total{lun=\"0\",target=\"" + IQN + "\"} "
                        + (double) data.length);
                assertThat(metrics).contains("jvm_buffer_memory_used_bytes{");

                Run stats = Run.start(home, Map.of(), "stats", "--data-dir", dir.resolve("data").toString(),
                        "--count", "1", "--interval", "0.2");
                assertThat(stats.waitForExit()).as(stats.output()).isZero();
                assertThat(stats.output()).contains(IQN).containsPattern("(?m)^ +LUN +r/s +w/s")
                        .containsPattern("(?m)^ +0 +\\d");

                serve.process.destroy(); // SIGTERM
                String stopping = systemd.receive();
                while (stopping != null && stopping.equals("WATCHDOG=1")) {
                    stopping = systemd.receive();
                }
                assertThat(stopping).as("notification after SIGTERM").startsWith("STOPPING=1");
                assertThat(serve.waitForExit()).as("exit code after SIGTERM\n%s", serve.output()).isZero();
            } finally {
                serve.kill();
            }
        }
    }

    @Test
    void shouldShipASystemdUnitThatVerifies() throws Exception {
        ExternalTool.requireInstalled("systemd-analyze", "systemd");
        String unit = Files.readString(home.resolve("jtarget.service"), StandardCharsets.UTF_8);
        assertThat(unit).contains("ExecStart=/opt/jtarget/bin/jtarget serve");
        // Verified where this tarball was unpacked instead of /opt/jtarget.
        Path unitFile = dir.resolve("jtarget.service");
        Files.writeString(unitFile, unit.replace("/opt/jtarget", home.toString()), StandardCharsets.UTF_8);
        ExternalTool.Result verify = ExternalTool.run(RUN_TIMEOUT, List.of("systemd-analyze", "verify",
                unitFile.toString()));
        assertThat(verify.exitCode()).as(verify.describe()).isZero();
        assertThat(verify.output()).as(verify.describe()).doesNotContain(unitFile.getFileName().toString() + ":");
    }

    /** The distribution's launcher with exactly the given environment; output in a file. */
    private record Run(Process process, Path log) {
        static Run start(Path home, Map<String, String> env, String... args) throws IOException {
            Path log = Files.createTempFile(dir, "run-", ".log");
            ProcessBuilder pb = new ProcessBuilder(Stream.concat(Stream.of(home.resolve("bin/jtarget").toString()),
                    Stream.of(args)).toList())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().clear();
            pb.environment().putAll(env);
            return new Run(pb.start(), log);
        }

        int waitForExit() throws Exception {
            if (!process.waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                ExternalTool.kill(process);
                throw new AssertionError("still running after " + RUN_TIMEOUT.toSeconds() + " s:\n" + output());
            }
            return process.exitValue();
        }

        void kill() throws InterruptedException {
            if (process.isAlive()) {
                ExternalTool.kill(process);
            }
        }

        String output() throws IOException {
            return Files.readString(log, StandardCharsets.UTF_8);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
