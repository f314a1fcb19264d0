package io.jtarget.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.config.ServerConfig;
import io.jtarget.testinit.TestInitiator;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The configurable limits as an initiator sees them: the CmdSN window, target pings (NOP-In) on
 * idle connections, and the login timeout (ServerConfig.Limits; RFC 7143 §4.2.2.1, §11.19).
 */
class LimitsE2ETest {
    private static final int WINDOW = 4;
    private static final Duration NOP_INTERVAL = Duration.ofMillis(300);
    private static final Duration NOP_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(1);

    @RegisterExtension
    static final E2eTarget target = E2eTarget.withLimits(
            new ServerConfig.Limits(1, 2, NOP_INTERVAL, NOP_TIMEOUT, LOGIN_TIMEOUT, WINDOW));

    @Test
    void shouldOfferConfiguredWindowWhenSessionStarts() throws Exception {
        try (TestInitiator initiator = target.login()) {
            assertThat(initiator.maxCmdSn() - initiator.expCmdSn() + 1).isEqualTo(WINDOW);
            for (int i = 0; i < 3 * WINDOW; i++) {
                initiator.inquiry(E2eTarget.RAM_LUN).requireGood();
            }
            assertThat(initiator.maxCmdSn() - initiator.expCmdSn() + 1).as("window once idle again").isEqualTo(WINDOW);
        }
    }

    @Test
    void shouldPingIdleInitiatorAndKeepSessionWhenAnswered() throws Exception {
        try (TestInitiator initiator = target.login()) {
            long until = System.nanoTime() + NOP_INTERVAL.multipliedBy(4).plus(NOP_TIMEOUT).toNanos();
            while (System.nanoTime() < until) {
                assertThat(initiator.pollPdu(Duration.ofMillis(100))).as("nothing but pings while idle").isEmpty();
            }
            assertThat(initiator.targetPingsAnswered()).as("NOP-In pings answered").isGreaterThanOrEqualTo(1);
            assertThat(initiator.ping(new byte[] {3}).data()).containsExactly(3);
        }
    }

    @Test
    void shouldDropConnectionWhenPingGoesUnanswered() throws Exception {
        try (TestInitiator initiator = target.login()) {
            Thread.sleep(NOP_INTERVAL.plus(NOP_TIMEOUT).toMillis() + 500); // read nothing, answer nothing
            assertThat(initiator.awaitClosedByTarget(NOP_INTERVAL.plus(NOP_TIMEOUT).plusSeconds(5)))
                    .as("connection dropped after an unanswered NOP-In").isTrue();
        }
    }

    @Test
    void shouldDropConnectionWhenLoginNeverStarts() throws Exception {
        try (Socket idle = new Socket(target.portal().getAddress(), target.portal().getPort())) {
            idle.setSoTimeout((int) LOGIN_TIMEOUT.plusSeconds(5).toMillis());
            long start = System.nanoTime();
            assertThat(idle.getInputStream().read()).as("EOF from the target").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(LOGIN_TIMEOUT.plusSeconds(4));
        }
    }
}
