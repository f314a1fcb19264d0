package io.jtarget.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.admin.AdminServer;
import io.jtarget.admin.StatsRoutes;
import io.jtarget.cli.Main;
import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.TestInitiator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code jtarget stats --data-dir DIR} reads the running server's counters through its admin socket. */
class StatsCommandE2ETest {
    @RegisterExtension
    static final E2eTarget target = E2eTarget.withDefaults();

    @TempDir
    Path dir;

    @Test
    void shouldShowWritesPerSecondOfTheLunBeingWritten() throws Exception {
        try (AdminServer admin = AdminServer.start(dir, target.server().eventLoops(),
                StatsRoutes.of(target.server().registry()));
                TestInitiator initiator = target.loginReady()) {
            AtomicBoolean writing = new AtomicBoolean(true);
            byte[] block = Bytes.random(4096, 11);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                long lba = 0;
                while (writing.get()) {
                    try {
                        initiator.write16(E2eTarget.RAM_LUN, lba, block, false).requireGood();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    lba = (lba + 8) % 8192;
                }
            });
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            int exit = cli.execute("stats", "--data-dir", dir.toString(), "--count", "2", "--interval", "0.3");
            writing.set(false);
            writer.get(30, TimeUnit.SECONDS);

            assertThat(exit).as(err.toString()).isZero();
            List<String> lines = out.toString().lines().toList();
            assertThat(lines.stream().filter(l -> l.equals(headerOf())).count()).as(out.toString()).isEqualTo(2);
            assertThat(lines).contains(E2eTarget.TARGET_NAME);
            List<String[]> lun0 = lines.stream().map(l -> l.trim().split(" +")).filter(t -> t.length == 10
                    && t[0].equals(Integer.toString(E2eTarget.RAM_LUN))).toList();
            assertThat(lun0).as(out.toString()).hasSize(2);
            assertThat(lun0).allSatisfy(t -> assertThat(Double.parseDouble(t[2])).as("w/s").isPositive());
            assertThat(lines).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
        }
    }

    @Test
    void shouldSayInOneLineWhenNoServerRunsThere() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("stats", "--data-dir", dir.resolve("nothing").toString(), "--count", "1");
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().lines().toList()).singleElement().asString().startsWith("jtarget: no jtarget server runs on");
        assertThat(Files.exists(dir.resolve("nothing"))).isFalse();
    }

    private static String headerOf() {
        return "  LUN      r/s      w/s  rMiB/s  wMiB/s    r_ms    w_ms  p50_ms  p99_ms inflt";
    }
}
