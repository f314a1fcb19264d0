package io.jtarget.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.DiscoveredTarget;
import io.jtarget.testinit.IscsiWire.Keys;
import io.jtarget.testinit.IscsiWire.Login;
import io.jtarget.testinit.IscsiWire.Logout;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.LoginRejectedException;
import io.jtarget.testinit.LogoutResult;
import io.jtarget.testinit.SessionParameters;
import io.jtarget.testinit.TestInitiator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Login, negotiation, discovery and logout against an in-process jtarget (RFC 7143 §6, §11.12–§11.15, §13). */
class LoginE2ETest {
    @RegisterExtension
    static final E2eTarget target = E2eTarget.withDefaults();

    @ParameterizedTest(name = "HeaderDigest={0} DataDigest={1}")
    @CsvSource({"None,None", "CRC32C,None", "None,CRC32C", "CRC32C,CRC32C"})
    void shouldUseNegotiatedDigestsWhenInitiatorOffersThem(String header, String data) throws Exception {
        try (TestInitiator initiator = target.loginReady(E2eTarget.options().headerDigest(header).dataDigest(data))) {
            SessionParameters p = initiator.negotiated();
            assertThat(p.headerDigest()).isEqualTo(header.equals(Keys.CRC32C));
            assertThat(p.dataDigest()).isEqualTo(data.equals(Keys.CRC32C));
            // Every PDU after login is now checked against the digests (PduChannel), both ways.
            byte[] payload = Bytes.random(64 * 1024, 1);
            initiator.write10(E2eTarget.RAM_LUN, 2048, payload, false).requireGood();
            assertThat(initiator.read10(E2eTarget.RAM_LUN, 2048, payload.length / initiator.blockSize(E2eTarget.RAM_LUN))
                    .requireGood().data()).isEqualTo(payload);
            assertThat(initiator.logout().response()).isEqualTo(Logout.RESPONSE_CLOSED);
        }
    }

    @Test
    void shouldChooseFromInitiatorsListWhenOfferedSeveralDigests() throws Exception {
        try (TestInitiator initiator = target.loginReady(E2eTarget.options().headerDigest("CRC32C,None").dataDigest("None,CRC32C"))) {
            // The answer must be one of the offered values (checked by the initiator); either works for I/O.
            assertThat(initiator.negotiated().targetKeys().get(Keys.HEADER_DIGEST)).hasSize(1);
            assertThat(initiator.ping(new byte[100]).data()).hasSize(100);
        }
    }

    @Test
    void shouldReachFullFeaturePhaseWhenLoginStartsInOperationalStage() throws Exception {
        try (TestInitiator initiator = target.login(E2eTarget.options().securityStage(false))) {
            assertThat(initiator.phase()).isEqualTo(TestInitiator.Phase.FULL_FEATURE);
            assertThat(initiator.tsih()).isNotZero();
            assertThat(initiator.inquiry(E2eTarget.RAM_LUN).requireGood().data()).hasSizeGreaterThanOrEqualTo(36);
        }
    }

    @Test
    void shouldNegotiateByResultFunctionsWhenInitiatorOffersLimits() throws Exception {
        LoginOptions options = E2eTarget.options()
                .maxBurstLength(16384).firstBurstLength(8192).maxRecvDataSegmentLength(4096)
                .immediateData(false).initialR2T(true);
        try (TestInitiator initiator = target.login(options)) {
            SessionParameters p = initiator.negotiated();
            assertThat(p.maxBurstLength()).isBetween(512, 16384);          // Minimum (§13.13)
            // §13.14: FirstBurstLength is Irrelevant with InitialR2T=Yes and ImmediateData=No; else the minimum.
            assertThat(p.targetKeys().get(Keys.FIRST_BURST_LENGTH)).singleElement()
                    .satisfiesAnyOf(v -> assertThat(v).isEqualTo(Keys.IRRELEVANT),
                            v -> assertThat(Integer.parseInt(v)).isBetween(512, 8192));
            assertThat(p.immediateData()).isFalse();                       // AND (§13.11)
            assertThat(p.initialR2T()).isTrue();                           // OR (§13.10)
            assertThat(p.errorRecoveryLevel()).isZero();
            assertThat(p.targetMaxRecvDataSegmentLength()).isBetween(512, 0xFFFFFF);
            assertThat(p.targetKeys()).containsKey(Keys.TARGET_PORTAL_GROUP_TAG);
        }
    }

    @Test
    void shouldAcceptUnsolicitedDataWhenInitiatorOffersIt() throws Exception {
        // jtarget supports immediate and unsolicited data (DESIGN: Data-Out paths), so it agrees.
        try (TestInitiator initiator = target.login(E2eTarget.options().immediateData(true).initialR2T(false))) {
            assertThat(initiator.negotiated().immediateData()).isTrue();
            assertThat(initiator.negotiated().initialR2T()).isFalse();
        }
    }

    @Test
    void shouldAnswerNotFoundWhenTargetNameIsUnknown() throws Exception {
        try (TestInitiator initiator = TestInitiator.connect(target.portal())) {
            LoginRejectedException e = catchThrowableOfType(LoginRejectedException.class,
                    () -> initiator.login(LoginOptions.normal("iqn.2026-11.io.jtarget.e2e:no-such-target")));
            assertThat(e).as("login to an unknown target must fail").isNotNull();
            assertThat(e.status()).as("Status-Class/Detail (RFC 7143 §11.13.5)").isEqualTo(Login.STATUS_NOT_FOUND);
            assertThat(initiator.awaitClosedByTarget(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void shouldAnswerMissingParameterWhenInitiatorNameIsAbsent() throws Exception {
        try (TestInitiator initiator = TestInitiator.connect(target.portal())) {
            LoginRejectedException e = catchThrowableOfType(LoginRejectedException.class,
                    () -> initiator.login(E2eTarget.options().initiatorName(null)));
            assertThat(e).as("login without InitiatorName must fail").isNotNull();
            assertThat(e.status()).isEqualTo(Login.STATUS_MISSING_PARAMETER);
            assertThat(initiator.awaitClosedByTarget(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void shouldAnswerMissingParameterWhenNormalSessionHasNoTargetName() throws Exception {
        try (TestInitiator initiator = TestInitiator.connect(target.portal())) {
            LoginRejectedException e = catchThrowableOfType(LoginRejectedException.class,
                    () -> initiator.login(E2eTarget.options().omit(Keys.TARGET_NAME)));
            assertThat(e).as("normal-session login without TargetName must fail").isNotNull();
            assertThat(e.status()).isEqualTo(Login.STATUS_MISSING_PARAMETER);
        }
    }

    @Test
    void shouldListTargetWithPortalWhenDiscoverySessionAsksSendTargets() throws Exception {
        try (TestInitiator initiator = TestInitiator.login(target.portal(), LoginOptions.discovery())) {
            List<DiscoveredTarget> targets = initiator.sendTargets("All");
            assertThat(targets).extracting(DiscoveredTarget::name).containsExactly(E2eTarget.TARGET_NAME);
            String portal = target.portal().getAddress().getHostAddress() + ":" + target.portal().getPort();
            assertThat(targets.getFirst().addresses()).anySatisfy(a -> assertThat(a).startsWith(portal + ","));
            assertThat(initiator.logout().response()).isEqualTo(Logout.RESPONSE_CLOSED);
            assertThat(initiator.awaitClosedByTarget(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void shouldLoginToDiscoveredTargetWhenDiscoveryIsDoneWithDigests() throws Exception {
        String name;
        try (TestInitiator discovery = TestInitiator.login(target.portal(), LoginOptions.discovery().crc32cDigests())) {
            assertThat(discovery.negotiated().headerDigest()).isTrue();
            name = discovery.sendTargets("All").getFirst().name();
        }
        try (TestInitiator initiator = TestInitiator.login(target.portal(), LoginOptions.normal(name))) {
            assertThat(initiator.reportLuns()).containsExactlyInAnyOrder(E2eTarget.RAM_LUN, E2eTarget.FILE_LUN);
        }
    }

    @Test
    void shouldCloseConnectionWhenInitiatorLogsOut() throws Exception {
        try (TestInitiator initiator = target.login()) {
            LogoutResult result = initiator.logout(Logout.CLOSE_SESSION);
            assertThat(result.response()).isEqualTo(Logout.RESPONSE_CLOSED);
            assertThat(initiator.awaitClosedByTarget(Duration.ofSeconds(5)))
                    .as("RFC 7143 §11.14: the target closes the connection after the Logout Response").isTrue();
        }
    }

    @Test
    void shouldCloseConnectionWhenInitiatorClosesItsOnlyConnection() throws Exception {
        try (TestInitiator initiator = target.login()) {
            assertThat(initiator.logout(Logout.CLOSE_CONNECTION).response()).isEqualTo(Logout.RESPONSE_CLOSED);
            assertThat(initiator.awaitClosedByTarget(Duration.ofSeconds(5))).isTrue();
        }
        // The target must still take new sessions.
        try (TestInitiator again = target.login()) {
            assertThat(again.ping().data()).isEmpty();
        }
    }

    @Test
    void shouldKeepSessionsApartWhenManyLogInAtOnce() throws Exception {
        int count = 8;
        ExecutorService pool = Executors.newFixedThreadPool(count);
        List<Future<TestInitiator>> logins = new ArrayList<>();
        try {
            // Every thread connects and logs in as soon as all are released, so the logins overlap.
            CountDownLatch go = new CountDownLatch(1);
            for (int i = 0; i < count; i++) {
                logins.add(pool.submit(() -> {
                    go.await();
                    return target.login();
                }));
            }
            go.countDown();
            List<TestInitiator> sessions = new ArrayList<>();
            for (Future<TestInitiator> login : logins) {
                sessions.add(login.get(30, TimeUnit.SECONDS));
            }
            for (TestInitiator s : sessions) {
                assertThat(s.ping(new byte[] {7}).data()).containsExactly(7);
            }
            assertThat(sessions.stream().mapToInt(TestInitiator::tsih).distinct().count())
                    .as("each new session gets its own TSIH").isEqualTo(count);
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("login threads ended").isTrue();
            for (Future<TestInitiator> login : logins) {
                if (login.state() == Future.State.SUCCESS) {
                    login.resultNow().close();
                }
            }
        }
    }
}
