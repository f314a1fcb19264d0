package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ./jtarget serve --iser} or {@code --srp} where RDMA cannot serve the address (this machine
 * has no RDMA device; 192.0.2.1 is a documentation address no device has): one line that says
 * what RDMA needs, exit code 2, and no half-started server.
 */
@Tag("blackbox")
class RdmaPortalWithoutDeviceIT {
    /** The operator's log on stderr: timestamped records, which may say what started and stopped. */
    private static final Pattern LOG_LINE =
            Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) ");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"--iser, 192.0.2.1:3260", "--srp, 192.0.2.1:5555"})
    void shouldRefuseAnRdmaPortalWithOneLineAndExitCodeTwo(String option, String address) throws Exception {
        Path launcher = Path.of(System.getProperty("user.dir")).resolve("jtarget");
        Path out = dir.resolve("out.log");
        Path err = dir.resolve("err.log");
        Process process = new ProcessBuilder(List.of(launcher.toString(), "serve", "--listen", "127.0.0.1:0",
                "--lun", "ram:16M", option, address))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running 90 s after start:\n" + Files.readString(err));
        }
        // Beside the log, the error itself is one line of its own.
        List<String> errors = Files.readAllLines(err, StandardCharsets.UTF_8).stream()
                .filter(line -> !LOG_LINE.matcher(line).lookingAt()).toList();
        assertThat(process.exitValue()).as("exit code; stderr:%n%s", errors).isEqualTo(2);
        assertThat(errors).as("stderr less the log").hasSize(1);
        assertThat(errors.getFirst()).startsWith("jtarget: " + option + " " + address + ": ")
                .contains("rdma-core").contains("rdma link add rxe0 type rxe netdev");
        assertThat(Files.readString(out)).as("no banner: nothing is served").doesNotContain("jtarget is serving");
    }
}
