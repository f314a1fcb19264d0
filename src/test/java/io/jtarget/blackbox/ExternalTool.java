package io.jtarget.blackbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real initiator tool (libiscsi, qemu) as a child process with a hard time limit: on
 * timeout the process and its descendants are killed and the test fails with the output so far.
 */
final class ExternalTool {
    private ExternalTool() {}

    record Result(List<String> command, int exitCode, String output, Duration elapsed) {
        String describe() {
            return String.join(" ", command) + "\n--- exit " + exitCode + " after " + elapsed.toMillis() + " ms, output:\n"
                    + output;
        }
    }

    /** Fails the test (AssertionError) if the tool is not installed, naming the Debian package. */
    static void requireInstalled(String tool, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        throw new AssertionError(tool + " is not installed: install the Debian package " + debianPackage
                + " (scripts/test does this when run as root)");
    }

    static Result run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("jtarget-tool-", ".log");
        try {
            long start = System.nanoTime();
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                kill(process);
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s and was killed: "
                        + String.join(" ", command) + "\n--- output so far:\n" + read(log));
            }
            return new Result(List.copyOf(command), process.exitValue(), read(log),
                    Duration.ofNanos(System.nanoTime() - start));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static void kill(Process process) throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    private static String read(Path log) throws IOException {
        return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    }
}
