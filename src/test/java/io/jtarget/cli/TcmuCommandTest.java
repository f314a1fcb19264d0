package io.jtarget.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code jtarget tcmu} and {@code serve --tcmu} where LIO's target_core_user is missing (the build
 * machines: LIO exists only in the test guest, where the guest scenarios run them for real).
 */
class TcmuCommandTest {

    @Test
    void withoutTheKernelModuleOneLineSaysWhatIsMissing() {
        assumeFalse(Files.exists(Path.of("/sys/module/target_core_user")),
                "target_core_user is loaded here: the command would serve until stopped");
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        int rc = cli.execute("tcmu", "--event-loops", "1", "--backend-threads", "1");
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString().strip()).isEqualTo("jtarget: the TCMU interface is missing: the target_core_user "
                + "kernel module is not loaded (modprobe target_core_user)");
    }

    @Test
    void serveWithTcmuStopsTheServerAndSaysWhy(@org.junit.jupiter.api.io.TempDir Path dir) {
        assumeFalse(Files.exists(Path.of("/sys/module/target_core_user")),
                "target_core_user is loaded here: the command would serve until stopped");
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(out, true));
        int rc = cli.execute("serve", "--tcmu", "--listen", "127.0.0.1:0", "--lun", "ram:1M", "--event-loops", "1",
                "--data-dir", dir.toString());
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString()).contains("target_core_user kernel module is not loaded");
        assertThat(out.toString()).as("no banner: nothing is served").doesNotContain("jtarget is serving");
    }

    @Test
    void badArgumentIsAUsageError() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute("tcmu", "--backend-threads", "0")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err.toString()).contains("--backend-threads");
    }

    @Test
    void takesTheStoreOptionsServeTakesSoThatRbdDevicesReachTheirCluster() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute("tcmu", "--io-timeout", "0")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err.toString()).contains("--io-timeout: must be at least 1, got 0");
        StringWriter help = new StringWriter();
        cli.setOut(new PrintWriter(help, true));
        cli.execute("tcmu", "--help");
        assertThat(help.toString()).contains("--ceph-conf=FILE", "--ceph-id=NAME", "--ceph-keyring=FILE",
                "--io-timeout=SECONDS", "file:/srv/disk.img[:SIZE];wt");
    }
}
