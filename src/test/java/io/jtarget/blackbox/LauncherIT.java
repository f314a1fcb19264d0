package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.TestInitiator;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

    @TempDir
    Path dir;

    @Test
    void shouldKeepWrittenDataWhenStoppedWithSigtermAndRestarted() throws Exception {
        Path launcher = Launched.launcher();
        int port = Launched.freePort();
        Path lun = dir.resolve("lun0.img");
        List<String> command = List.of(launcher.toString(), "serve", "--listen", "127.0.0.1:" + port,
                "--target", IQN, "--lun", "file:" + lun + ":64M");
        InetSocketAddress portal = new InetSocketAddress("127.0.0.1", port);

        byte[] unflushed = Bytes.random(1 << 20, 1);  // written without FUA
        byte[] durable = Bytes.random(256 << 10, 2);  // written with FUA
        Launched first = Launched.start(command, dir.resolve("first.log"), portal);
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

        Launched second = Launched.start(command, dir.resolve("second.log"), portal);
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
}
