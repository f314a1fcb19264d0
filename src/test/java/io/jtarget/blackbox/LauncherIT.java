package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.TestInitiator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real launcher, {@code ./jtarget serve}, as an operator runs it: SIGTERM ends it with exit
 * code 0 while a session is logged in, and data written through it (with and without FUA) reads
 * back after a restart. Written data sits at least in the page cache, which outlives any end of
 * the process, so this does not show that the shutdown flushes to stable storage.
 */
@Tag("blackbox")
class LauncherIT {
    private static final String IQN = "iqn.2026-11.io.jtarget.blackbox:launcher";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void shouldKeepWrittenDataWhenStoppedWithSigtermAndRestarted() throws Exception {
        Path launcher = Path.of(System.getProperty("user.dir")).resolve("jtarget");
        assertThat(launcher).as("the launcher script at the repository root").isExecutable();
        int port = freePort();
        Path lun = dir.resolve("lun0.img");
        List<String> command = List.of(launcher.toString(), "serve", "--listen", "127.0.0.1:" + port,
                "--target", IQN, "--lun", "file:" + lun + ":64M");
        InetSocketAddress portal = new InetSocketAddress("127.0.0.1", port);

        byte[] unflushed = Bytes.random(1 << 20, 1);  // written without FUA
        byte[] durable = Bytes.random(256 << 10, 2);  // written with FUA
        Served first = Served.start(command, dir.resolve("first.log"), portal);
        try (TestInitiator initiator = TestInitiator.login(portal, LoginOptions.normal(IQN))) {
            initiator.clearUnitAttentions(0);
            assertThat(initiator.capacity(0).bytes()).isEqualTo(64L << 20);
            initiator.write10(0, 2048, unflushed, false).requireGood();
            initiator.write16(0, 8192, durable, true).requireGood();
            assertThat(initiator.read10(0, 2048, unflushed.length / initiator.blockSize(0)).requireGood().data())
                    .isEqualTo(unflushed);
            // SIGTERM while this session is still logged in.
            assertThat(first.stop()).as("exit code after SIGTERM\n%s", first.log()).isZero();
            assertThat(initiator.awaitClosedByTarget(Duration.ofSeconds(5))).as("session ended by the shutdown").isTrue();
        } finally {
            first.kill();
        }

        Served second = Served.start(command, dir.resolve("second.log"), portal);
        try (TestInitiator initiator = TestInitiator.login(portal, LoginOptions.normal(IQN))) {
            initiator.clearUnitAttentions(0);
            initiator.capacity(0);
            int bs = initiator.blockSize(0);
            assertThat(initiator.read10(0, 2048, unflushed.length / bs).requireGood().data())
                    .as("data written before SIGTERM").isEqualTo(unflushed);
            assertThat(initiator.read16(0, 8192, durable.length / bs).requireGood().data()).isEqualTo(durable);
            assertThat(initiator.logout().response()).isZero();
            assertThat(second.stop()).as("exit code after SIGTERM\n%s", second.log()).isZero();
        } finally {
            second.kill();
        }
    }

    /** One run of the launcher, output in a log file. */
    private record Served(Process process, Path logFile) {
        static Served start(List<String> command, Path logFile, InetSocketAddress portal) throws Exception {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
            Served served = new Served(process, logFile);
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (!accepts(portal)) {
                if (!process.isAlive()) {
                    throw new AssertionError("launcher exited with " + process.exitValue() + " before listening:\n"
                            + served.log());
                }
                if (System.nanoTime() > deadline) {
                    served.kill();
                    throw new AssertionError("launcher not listening on " + portal + " after "
                            + START_TIMEOUT.toSeconds() + " s:\n" + served.log());
                }
                Thread.sleep(100);
            }
            return served;
        }

        /** SIGTERM (Process.destroy), then the exit code; killed and failed if it does not exit in time. */
        int stop() throws Exception {
            process.destroy();
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                ExternalTool.kill(process);
                throw new AssertionError("launcher still running " + STOP_TIMEOUT.toSeconds()
                        + " s after SIGTERM:\n" + log());
            }
            return process.exitValue();
        }

        void kill() throws InterruptedException {
            if (process.isAlive()) {
                ExternalTool.kill(process);
            }
        }

        String log() {
            try {
                return Files.readString(logFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(log unreadable: " + e + ")";
            }
        }
    }

    private static boolean accepts(InetSocketAddress portal) {
        try (Socket s = new Socket()) {
            s.connect(portal, 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
