package io.jtarget.iscsi.login;

import static io.jtarget.iscsi.login.LoginNegotiatorTest.LIBISCSI;
import static io.jtarget.iscsi.login.LoginNegotiatorTest.TARGET;
import static io.jtarget.iscsi.login.LoginNegotiatorTest.TPGT;
import static io.jtarget.iscsi.login.LoginNegotiatorTest.DIRECTORY;
import static io.jtarget.iscsi.login.LoginNegotiatorTest.answers;
import static io.jtarget.iscsi.login.LoginNegotiatorTest.failure;
import static io.jtarget.iscsi.login.LoginNegotiatorTest.keys;
import static io.jtarget.iscsi.login.LoginNegotiatorTest.proceed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChapAuthenticatorTest {
    static final byte[] SECRET = "initiator-secret-1".getBytes(StandardCharsets.UTF_8);
    static final byte[] TARGET_SECRET = "target-secret-22".getBytes(StandardCharsets.UTF_8);
    static final ChapAuthenticator.Credentials USER = new ChapAuthenticator.Credentials("user", SECRET);
    static final ChapAuthenticator.Credentials TARGET_USER = new ChapAuthenticator.Credentials("tgt", TARGET_SECRET);

    static LoginNegotiator negotiator(Set<ChapAlgorithm> algorithms, Optional<ChapAuthenticator.Credentials> mutual) {
        ChapAuthenticator chap = new ChapAuthenticator(USER, mutual, algorithms,
                (type, target) -> type == SessionType.NORMAL, new SecureRandom());
        return new LoginNegotiator(new LoginSettings(TargetNegotiationLimits.defaults(), TPGT, DIRECTORY,
                List.of(chap, NoAuthentication.where((type, target) -> type == SessionType.DISCOVERY)),
                TextLimits.defaults()));
    }

    static LoginNegotiator allAlgorithms() {
        return negotiator(EnumSet.allOf(ChapAlgorithm.class), Optional.of(TARGET_USER));
    }

    /** Runs AuthMethod and CHAP_A; returns the target's CHAP_A/CHAP_I/CHAP_C answer. */
    static Map<String, String> challenge(LoginNegotiator n, String chapA) {
        Map<String, String> first = answers(n.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "SessionType=Normal", "AuthMethod=CHAP,None")));
        assertThat(first).containsEntry("AuthMethod", "CHAP");
        return answers(n.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_A=" + chapA)));
    }

    static byte[] response(ChapAlgorithm a, int id, byte[] secret, byte[] challenge) throws Exception {
        MessageDigest md = MessageDigest.getInstance(a.jcaName());
        md.update((byte) id);
        md.update(secret);
        md.update(challenge);
        return md.digest();
    }

    static String correctResponse(Map<String, String> c, byte[] secret) throws Exception {
        ChapAlgorithm a = ChapAlgorithm.byWireId(Long.parseLong(c.get("CHAP_A"))).orElseThrow();
        byte[] challenge = BinaryValues.decode(c.get("CHAP_C")).orElseThrow();
        return "0x" + HexFormat.of().formatHex(response(a, Integer.parseInt(c.get("CHAP_I")), secret, challenge));
    }

    @Test
    void shouldAuthenticateWithMd5WhenConfiguredAndOnlyMd5Offered() throws Exception {
        LoginNegotiator n = allAlgorithms();
        Map<String, String> c = challenge(n, "5");
        assertThat(c).containsEntry("CHAP_A", "5");
        assertThat(BinaryValues.decode(c.get("CHAP_C")).orElseThrow()).hasSizeGreaterThanOrEqualTo(16);
        NegotiationResult done = n.negotiate(Stage.SECURITY_NEGOTIATION,
                keys("CHAP_N=user", "CHAP_R=" + correctResponse(c, SECRET)));
        assertThat(proceed(done).stageComplete()).isTrue();
        assertThat(answers(done)).doesNotContainKeys("CHAP_N", "CHAP_R");
    }

    /**
     * RFC 7143 §6.2.1: the responder answers the first value of the offered list it supports; the
     * order of preference is the initiator's, which algorithms are acceptable the operator's.
     */
    @Test
    void shouldAnswerTheFirstOfferedAlgorithmItAccepts() {
        assertThat(challenge(allAlgorithms(), "5,6,7,8")).containsEntry("CHAP_A", "5");
        assertThat(challenge(allAlgorithms(), "7,5,8")).containsEntry("CHAP_A", "7");
        assertThat(challenge(allAlgorithms(), "99,junk,6,8")).containsEntry("CHAP_A", "6");
        assertThat(challenge(negotiator(EnumSet.of(ChapAlgorithm.MD5, ChapAlgorithm.SHA_1), Optional.empty()), "8,6,5"))
                .containsEntry("CHAP_A", "6");
        assertThat(challenge(negotiator(EnumSet.of(ChapAlgorithm.SHA_256, ChapAlgorithm.SHA3_256), Optional.empty()),
                "5,6,8,7")).as("MD5 and SHA-1 not accepted: skipped").containsEntry("CHAP_A", "8");
    }

    @Test
    void shouldAuthenticateWithEveryShaAlgorithm() throws Exception {
        for (String a : new String[] {"6", "7", "8"}) {
            LoginNegotiator n = allAlgorithms();
            Map<String, String> c = challenge(n, a);
            assertThat(c).containsEntry("CHAP_A", a);
            assertThat(BinaryValues.decode(c.get("CHAP_C")).orElseThrow().length)
                    .isGreaterThanOrEqualTo(ChapAlgorithm.byWireId(Long.parseLong(a)).orElseThrow().digestLength());
            assertThat(proceed(n.negotiate(Stage.SECURITY_NEGOTIATION,
                    keys("CHAP_N=user", "CHAP_R=" + correctResponse(c, SECRET)))).stageComplete()).isTrue();
        }
    }

    @Test
    void shouldRefuseMd5WhenNotConfigured() {
        LoginNegotiator n = negotiator(EnumSet.of(ChapAlgorithm.SHA_256, ChapAlgorithm.SHA3_256), Optional.empty());
        n.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "AuthMethod=CHAP"));
        LoginFailure f = failure(n.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_A=5")));
        assertThat(f.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldFailWithAuthenticationFailureWhenTheSecretIsWrong() throws Exception {
        LoginNegotiator n = allAlgorithms();
        Map<String, String> c = challenge(n, "5");
        LoginFailure f = failure(n.negotiate(Stage.SECURITY_NEGOTIATION,
                keys("CHAP_N=user", "CHAP_R=" + correctResponse(c, "another-secret-1".getBytes(StandardCharsets.UTF_8)))));
        assertThat(f.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
        assertThat(f.reason()).doesNotContain("initiator-secret-1").doesNotContain(correctResponse(c, SECRET));
    }

    @Test
    void shouldFailWhenTheUserIsUnknownEvenWithTheRightSecret() throws Exception {
        LoginNegotiator n = allAlgorithms();
        Map<String, String> c = challenge(n, "7");
        assertThat(failure(n.negotiate(Stage.SECURITY_NEGOTIATION,
                keys("CHAP_N=someone", "CHAP_R=" + correctResponse(c, SECRET)))).status())
                .isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldFailWhenTheResponseUsesAnotherIdentifier() throws Exception {
        LoginNegotiator n = allAlgorithms();
        Map<String, String> c = challenge(n, "7");
        int otherId = (Integer.parseInt(c.get("CHAP_I")) + 1) & 0xff;
        byte[] challenge = BinaryValues.decode(c.get("CHAP_C")).orElseThrow();
        String wrong = BinaryValues.hex(response(ChapAlgorithm.SHA_256, otherId, SECRET, challenge));
        assertThat(failure(n.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_N=user", "CHAP_R=" + wrong))).status())
                .isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldAcceptABase64EncodedResponse() throws Exception {
        LoginNegotiator n = allAlgorithms();
        Map<String, String> c = challenge(n, "8");
        byte[] r = BinaryValues.decode(correctResponse(c, SECRET)).orElseThrow();
        assertThat(proceed(n.negotiate(Stage.SECURITY_NEGOTIATION,
                keys("CHAP_N=user", "CHAP_R=0b" + Base64.getEncoder().encodeToString(r)))).stageComplete()).isTrue();
    }

    @Test
    void shouldFailWhenResponseIsMissingOrMalformed() throws Exception {
        LoginNegotiator n = allAlgorithms();
        challenge(n, "5");
        assertThat(failure(n.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_N=user"))).status())
                .isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
        LoginNegotiator m = allAlgorithms();
        challenge(m, "5");
        assertThat(failure(m.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_N=user", "CHAP_R=0xzz"))).status())
                .isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldSendFreshChallengesEachLogin() {
        String first = challenge(allAlgorithms(), "5").get("CHAP_C");
        String second = challenge(allAlgorithms(), "5").get("CHAP_C");
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void shouldAnswerMutualChapWithTheTargetCredentials() throws Exception {
        LoginNegotiator n = allAlgorithms();
        Map<String, String> c = challenge(n, "7");
        byte[] mine = new byte[16];
        new SecureRandom().nextBytes(mine);
        NegotiationResult done = n.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_N=user",
                "CHAP_R=" + correctResponse(c, SECRET), "CHAP_I=42", "CHAP_C=" + BinaryValues.hex(mine)));
        assertThat(proceed(done).stageComplete()).isTrue();
        Map<String, String> a = answers(done);
        assertThat(a).containsEntry("CHAP_N", "tgt");
        assertThat(BinaryValues.decode(a.get("CHAP_R")).orElseThrow())
                .isEqualTo(response(ChapAlgorithm.SHA_256, 42, TARGET_SECRET, mine));
    }

    @Test
    void shouldRefuseAReflectedChallenge() throws Exception {
        LoginNegotiator n = allAlgorithms();
        Map<String, String> c = challenge(n, "5");
        LoginFailure f = failure(n.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_N=user",
                "CHAP_R=" + correctResponse(c, SECRET), "CHAP_I=" + c.get("CHAP_I"), "CHAP_C=" + c.get("CHAP_C"))));
        assertThat(f.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
        assertThat(f.reason()).contains("reflected");
    }

    @Test
    void shouldRefuseMutualChapWhenTheTargetHasNoCredentials() throws Exception {
        LoginNegotiator n = negotiator(EnumSet.allOf(ChapAlgorithm.class), Optional.empty());
        Map<String, String> c = challenge(n, "5");
        assertThat(failure(n.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_N=user",
                "CHAP_R=" + correctResponse(c, SECRET), "CHAP_I=1", "CHAP_C=0x0102030405060708090a0b0c0d0e0f10"))).status())
                .isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldRefuseAnInvalidMutualIdentifier() throws Exception {
        LoginNegotiator n = allAlgorithms();
        Map<String, String> c = challenge(n, "5");
        assertThat(failure(n.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_N=user",
                "CHAP_R=" + correctResponse(c, SECRET), "CHAP_I=256", "CHAP_C=0x0102030405060708"))).status())
                .isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldRefuseLoginWithoutChapWhenTheTargetRequiresIt() {
        LoginNegotiator n = allAlgorithms();
        assertThat(failure(n.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "AuthMethod=None"))).status())
                .isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
        LoginNegotiator skip = allAlgorithms();
        assertThat(failure(skip.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                LoginNegotiatorTest.libiscsiNormalLogin())).status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldLetDiscoveryUseItsOwnMethod() {
        LoginNegotiator n = allAlgorithms();
        NegotiationResult r = n.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "SessionType=Discovery", "AuthMethod=CHAP,None"));
        assertThat(answers(r)).containsEntry("AuthMethod", "None");
    }

    @Test
    void shouldNeverPrintSecrets() {
        // A record's default toString would print the array as "[B@hash", which also lacks the
        // secret: only the redaction marker shows the override is there.
        assertRedacted(USER.toString(), SECRET);
        assertThat(USER.toString()).contains("user");
        String chap = new ChapAuthenticator(USER, Optional.of(TARGET_USER), EnumSet.allOf(ChapAlgorithm.class),
                (t, n) -> true, new SecureRandom()).toString();
        assertThat(chap).doesNotContain("secret-").doesNotContain("[B@");
        for (byte[] secret : List.of(SECRET, TARGET_SECRET)) {
            assertNoFormOf(chap, secret);
        }
    }

    /** The marker of a redacting toString, and no spelling of the secret or of its array. */
    static void assertRedacted(String text, byte[] secret) {
        assertThat(text).contains("redacted").doesNotContain("[B@");
        assertNoFormOf(text, secret);
    }

    static void assertNoFormOf(String text, byte[] secret) {
        assertThat(text)
                .doesNotContain(new String(secret, StandardCharsets.UTF_8))
                .doesNotContain(HexFormat.of().formatHex(secret))
                .doesNotContain(Base64.getEncoder().encodeToString(secret))
                .doesNotContain(java.util.Arrays.toString(secret));
    }
}
