package io.jtarget.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The guest scenarios (src/test/guest/scenarios/*.sh): kernel-side peers such as open-iscsi's
 * initiator, LIO, soft-RoCE, that exist only in a throw-away QEMU guest. Boots ONE guest with
 * rxe0 for all of them (booting costs tens of seconds under software emulation), runs them in
 * order through suite.sh, and reports one test per scenario, failing with that scenario's log tail.
 * A guest that does not finish (timeout, boot failure) fails the factory with the console's tail.
 *
 * <p>System properties: {@code jtarget.guest.scenarios} (comma-separated names; default all),
 * {@code jtarget.guest.timeout} (seconds for the whole guest run; default 1500). Files: the console in
 * target/guest/console.log, each scenario's output in target/guest/NAME.log.
 */
@Tag("blackbox")
class GuestSuiteIT {
    private static final Path REPO = Path.of(System.getProperty("user.dir"));
    private static final Path GUEST = REPO.resolve("src/test/guest");
    private static final Path OUT = REPO.resolve("target/guest");
    private static final Path CONSOLE = OUT.resolve("console.log");
    private static final int TAIL_LINES = 60;
    private static final Pattern BOOTED = Pattern.compile("guest: up after ([0-9.]+) s");

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException, InterruptedException {
        List<String> names = scenarioNames();
        assertThat(names).as("scenarios in %s", GUEST.resolve("scenarios")).isNotEmpty();
        assertThat(REPO.resolve("target/jtarget.jar"))
                .as("target/jtarget.jar (built by `mvnw package`, before failsafe runs)").isRegularFile();
        Files.createDirectories(OUT);
        try (Stream<Path> old = Files.list(OUT)) {  // results of an earlier run must not be read as this one's
            for (Path file : old.filter(Files::isRegularFile).toList()) {
                Files.delete(file);
            }
        }

        Path buildLog = OUT.resolve("build.log");
        Run build = run(List.of(GUEST.resolve("build.sh").toString()), buildLog, Duration.ofMinutes(10));
        if (build.exitCode() != 0) {
            throw new AssertionError("building the guest failed (exit " + build.exitCode() + "):\n" + tail(buildLog));
        }

        long timeout = Long.getLong("jtarget.guest.timeout", 1500);
        List<String> command = new ArrayList<>(List.of(GUEST.resolve("run.sh").toString(), "--rxe",
                "--timeout", Long.toString(timeout), "--", "sh", "src/test/guest/suite.sh"));
        command.addAll(names);
        Run guest = run(command, CONSOLE, Duration.ofSeconds(timeout + 60));
        // suite.sh exits 0 (all passed) or 1 (some failed, each with its .rc); anything else means the
        // guest did not get through the suite: run.sh's 124 (timeout) or 3 (no result), a crash
        if (guest.exitCode() != 0 && guest.exitCode() != 1) {
            throw new AssertionError("the guest run exited " + guest.exitCode() + " after " + guest.elapsed().toSeconds()
                    + " s; console (" + REPO.relativize(CONSOLE) + "):\n" + tail(CONSOLE));
        }
        String console = Files.readString(CONSOLE, StandardCharsets.UTF_8);
        Matcher booted = BOOTED.matcher(console);
        System.out.printf("guest: booted in %s s (guest clock), whole run %d s for %d scenarios%n",
                booted.find() ? booted.group(1) : "?", guest.elapsed().toSeconds(), names.size());
        return names.stream().map(name -> dynamicTest(name, () -> verify(name)));
    }

    private static void verify(String name) throws IOException {
        Path rc = OUT.resolve(name + ".rc");
        Path log = OUT.resolve(name + ".log");
        if (!Files.isRegularFile(rc)) {
            throw new AssertionError("scenario " + name + " left no result; console:\n" + tail(CONSOLE));
        }
        int exitCode = Integer.parseInt(Files.readString(rc, StandardCharsets.UTF_8).strip());
        List<String> lines = Files.isRegularFile(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        lines.stream().filter(line -> line.startsWith("METRIC ")).forEach(line -> System.out.println(name + ": " + line));
        assertThat(exitCode)
                .as("exit code of scenario %s (%s); last lines of its log:%n%s", name, REPO.relativize(log), tail(log))
                .isZero();
    }

    private static List<String> scenarioNames() throws IOException {
        String chosen = System.getProperty("jtarget.guest.scenarios", "").strip();
        if (!chosen.isEmpty()) {
            return Arrays.stream(chosen.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
        try (Stream<Path> files = Files.list(GUEST.resolve("scenarios"))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(f -> f.endsWith(".sh"))
                    .map(f -> f.substring(0, f.length() - 3))
                    .sorted()
                    .toList();
        }
    }

    private record Run(int exitCode, Duration elapsed) {}

    /** Runs a host command from the repository root, its output (both streams) into a file. */
    private static Run run(List<String> command, Path output, Duration limit) throws IOException, InterruptedException {
        long start = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(REPO.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        // the guest runs jtarget with the JDK that runs this test
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", command) + " did not end within " + limit.toSeconds()
                    + " s and was killed; last output:\n" + tail(output));
        }
        return new Run(process.exitValue(), Duration.ofNanos(System.nanoTime() - start));
    }

    private static String tail(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return "(no " + file + ")";
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
    }
}
