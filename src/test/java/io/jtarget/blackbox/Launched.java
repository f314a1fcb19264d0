package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One run of the real launcher ({@code ./jtarget serve ...}), its output in a log file. */
record Launched(Process process, Path logFile) {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** The launcher script at the repository root. */
    static Path launcher() {
        Path launcher = Path.of(System.getProperty("user.dir")).resolve("jtarget");
        assertThat(launcher).as("the launcher script at the repository root").isExecutable();
        return launcher;
    }

    /** Starts it and waits until {@code portal} accepts connections. */
    static Launched start(List<String> command, Path logFile, InetSocketAddress portal) throws Exception {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .start();
        Launched served = new Launched(process, logFile);
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

    static boolean accepts(InetSocketAddress portal) {
        try (Socket s = new Socket()) {
            s.connect(portal, 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
