package io.jtarget.srp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./jtarget serve --srp} where RDMA cannot serve the address (192.0.2.1 is a documentation
 * address no device has): one line that says what RDMA needs, exit code 2, nothing served.
 */
@Tag("blackbox")
class SrpWithoutRdmaIT {
    private static final java.util.regex.Pattern LOG_LINE =
            java.util.regex.Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) ");

    @TempDir
    Path dir;

    @Test
    void shouldRefuseAnSrpPortWithOneLineAndExitCodeTwo() throws Exception {
        Path launcher = Path.of(System.getProperty("user.dir")).resolve("jtarget");
        Path out = dir.resolve("out.log");
        Path err = dir.resolve("err.log");
        Process process = new ProcessBuilder(List.of(launcher.toString(), "serve", "--listen", "127.0.0.1:0",
                "--lun", "ram:16M", "--srp", "192.0.2.1:5555"))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running 90 s after start:\n" + Files.readString(err));
        }
        // The operator's log (timestamped lines on stderr) may say what started and stopped; the
        // error itself is one line of its own.
        List<String> errors = Files.readAllLines(err, StandardCharsets.UTF_8).stream()
                .filter(line -> !LOG_LINE.matcher(line).lookingAt()).toList();
        assertThat(process.exitValue()).as("exit code; stderr:%n%s", errors).isEqualTo(2);
        assertThat(errors).as("stderr").hasSize(1);
        assertThat(errors.getFirst()).startsWith("jtarget: --srp 192.0.2.1:5555: ")
                .contains("rdma-core").contains("rdma link add rxe0 type rxe netdev");
        assertThat(Files.readString(out)).as("no banner: nothing is served").doesNotContain("jtarget is serving");
    }
}
