package io.jtarget.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LoginNegotiatorTest {
    static final String TARGET = "iqn.2025-01.io.jtarget:disk1";
    static final String FORBIDDEN = "iqn.2025-01.io.jtarget:secret";
    static final String LIBISCSI = "iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test";
    static final String OPEN_ISCSI = "iqn.2004-10.com.ubuntu:01:5a7b2c3d4e5f";
    static final int TPGT = 7;

    static final TargetDirectory DIRECTORY = new TargetDirectory() {
        @Override
        public Optional<TargetIdentity> find(String targetName) {
            return switch (targetName) {
                case TARGET -> Optional.of(new TargetIdentity(TARGET, Optional.of("Disk One")));
                case FORBIDDEN -> Optional.of(new TargetIdentity(FORBIDDEN, Optional.empty()));
                default -> Optional.empty();
            };
        }

        @Override
        public boolean mayAccess(String initiatorName, String targetName) {
            return !targetName.equals(FORBIDDEN);
        }
    };

    static LoginNegotiator negotiator() {
        return new LoginNegotiator(LoginSettings.withoutAuthentication(TPGT, DIRECTORY));
    }

    static LoginNegotiator negotiator(TargetNegotiationLimits limits) {
        return new LoginNegotiator(new LoginSettings(limits, TPGT, DIRECTORY,
                List.of(NoAuthentication.INSTANCE), TextLimits.defaults()));
    }

    static List<KeyValue> keys(String... keyValues) {
        List<KeyValue> out = new ArrayList<>();
        for (String kv : keyValues) {
            int eq = kv.indexOf('=');
            out.add(KeyValue.of(kv.substring(0, eq), kv.substring(eq + 1)));
        }
        return out;
    }

    static NegotiationResult.Proceed proceed(NegotiationResult result) {
        assertThat(result).isInstanceOf(NegotiationResult.Proceed.class);
        return (NegotiationResult.Proceed) result;
    }

    static Map<String, String> answers(NegotiationResult result) {
        return proceed(result).response().stream()
                .collect(Collectors.toMap(KeyValue::key, KeyValue::value, (a, b) -> {
                    throw new AssertionError("key answered twice: " + a + "/" + b);
                }));
    }

    static LoginFailure failure(NegotiationResult result) {
        assertThat(result).isInstanceOf(NegotiationResult.Fail.class);
        return ((NegotiationResult.Fail) result).failure();
    }

    /** What libiscsi (lib/login.c) sends when no CHAP user is set: straight to operational, T=1 to FFP. */
    static List<KeyValue> libiscsiNormalLogin() {
        return keys("InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "SessionType=Normal",
                "HeaderDigest=None,CRC32C", "DataDigest=None", "InitialR2T=Yes", "ImmediateData=Yes",
                "MaxBurstLength=262144", "FirstBurstLength=262144", "DefaultTime2Wait=2",
                "DefaultTime2Retain=0", "MaxOutstandingR2T=1", "ErrorRecoveryLevel=0", "IFMarker=No",
                "OFMarker=No", "MaxConnections=1", "MaxRecvDataSegmentLength=262144", "DataPDUInOrder=Yes",
                "DataSequenceInOrder=Yes");
    }

    // --- realistic initiators --------------------------------------------------------------------

    @Test
    void shouldNegotiateLibiscsiNormalLoginInOneRequest() {
        LoginNegotiator negotiator = negotiator();
        NegotiationResult result = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, libiscsiNormalLogin());

        Map<String, String> answers = answers(result);
        assertThat(proceed(result).stageComplete()).isTrue();
        assertThat(answers).containsEntry("HeaderDigest", "None")
                .containsEntry("DataDigest", "None")
                .containsEntry("InitialR2T", "Yes")
                .containsEntry("ImmediateData", "Yes")
                .containsEntry("MaxBurstLength", "262144")
                .containsEntry("FirstBurstLength", "65536")
                .containsEntry("DefaultTime2Wait", "2")
                .containsEntry("DefaultTime2Retain", "0")
                .containsEntry("MaxOutstandingR2T", "1")
                .containsEntry("ErrorRecoveryLevel", "0")
                .containsEntry("IFMarker", "No")
                .containsEntry("OFMarker", "No")
                .containsEntry("MaxConnections", "1")
                .containsEntry("DataPDUInOrder", "Yes")
                .containsEntry("DataSequenceInOrder", "Yes")
                .containsEntry("TargetPortalGroupTag", "7")
                .containsEntry("TargetAlias", "Disk One")
                .containsEntry("MaxRecvDataSegmentLength", "262144")
                .doesNotContainKeys("InitiatorName", "TargetName", "SessionType");

        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.sessionType()).isEqualTo(SessionType.NORMAL);
        assertThat(p.initiatorName()).isEqualTo(LIBISCSI);
        assertThat(p.targetName()).contains(TARGET);
        assertThat(p.headerDigest()).isFalse();
        assertThat(p.dataDigest()).isFalse();
        assertThat(p.initiatorMaxRecvDataSegmentLength()).isEqualTo(262144);
        assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(262144);
        assertThat(p.maxBurstLength()).isEqualTo(262144);
        assertThat(p.firstBurstLength()).isEqualTo(65536);
        assertThat(p.initialR2T()).isTrue();
        assertThat(p.immediateData()).isTrue();
        assertThat(p.maxOutstandingR2T()).isEqualTo(1);
        assertThat(p.errorRecoveryLevel()).isZero();
        assertThat(p.maxConnections()).isEqualTo(1);
        assertThat(p.defaultTime2Retain()).isZero();
    }

    @Test
    void shouldNegotiateOpenIscsiSecurityThenOperationalStage() {
        LoginNegotiator negotiator = negotiator();
        NegotiationResult security = negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "InitiatorAlias=host1", "TargetName=" + TARGET,
                "SessionType=Normal", "AuthMethod=None"));
        assertThat(answers(security)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "AuthMethod", "None", "TargetPortalGroupTag", "7", "TargetAlias", "Disk One"));
        assertThat(proceed(security).stageComplete()).isTrue();

        NegotiationResult operational = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "HeaderDigest=None", "DataDigest=None", "DefaultTime2Wait=2", "DefaultTime2Retain=0",
                "IFMarker=No", "OFMarker=No", "ErrorRecoveryLevel=0", "InitialR2T=No", "ImmediateData=Yes",
                "MaxBurstLength=16776192", "FirstBurstLength=262144", "MaxOutstandingR2T=1",
                "MaxConnections=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes",
                "MaxRecvDataSegmentLength=262144"));
        Map<String, String> answers = answers(operational);
        assertThat(answers).containsEntry("InitialR2T", "No")
                .containsEntry("MaxBurstLength", "1048576")
                .containsEntry("FirstBurstLength", "65536")
                .containsEntry("MaxRecvDataSegmentLength", "262144")
                .doesNotContainKey("TargetPortalGroupTag");
        assertThat(proceed(operational).stageComplete()).isTrue();

        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.initialR2T()).isFalse();
        assertThat(p.unsolicitedDataAllowed()).isTrue();
        assertThat(p.maxBurstLength()).isEqualTo(1048576);
        assertThat(p.initiatorAlias()).contains("host1");
    }

    @Test
    void shouldAnswerIrrelevantForNormalSessionKeysInLibiscsiDiscoveryLogin() {
        LoginNegotiator negotiator = negotiator();
        List<KeyValue> offered = new ArrayList<>(libiscsiNormalLogin());
        offered.removeIf(kv -> kv.key().equals("TargetName") || kv.key().equals("SessionType"));
        offered.add(KeyValue.of("SessionType", "Discovery"));

        Map<String, String> answers = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, offered));

        assertThat(answers).containsEntry("InitialR2T", "Irrelevant")
                .containsEntry("ImmediateData", "Irrelevant")
                .containsEntry("MaxBurstLength", "Irrelevant")
                .containsEntry("FirstBurstLength", "Irrelevant")
                .containsEntry("MaxOutstandingR2T", "Irrelevant")
                .containsEntry("MaxConnections", "Irrelevant")
                .containsEntry("DataPDUInOrder", "Irrelevant")
                .containsEntry("DataSequenceInOrder", "Irrelevant")
                .containsEntry("HeaderDigest", "None")
                .containsEntry("MaxRecvDataSegmentLength", "262144")
                .doesNotContainKeys("TargetPortalGroupTag", "TargetAlias");
        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.sessionType()).isEqualTo(SessionType.DISCOVERY);
        assertThat(p.targetName()).isEmpty();
    }

    // --- identity -------------------------------------------------------------------------------

    @Test
    void shouldFailWithMissingParameterWhenInitiatorNameAbsent() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION,
                keys("TargetName=" + TARGET, "AuthMethod=None")));
        assertThat(failure.status()).isEqualTo(LoginStatus.MISSING_PARAMETER);
        assertThat(failure.status().code()).isEqualTo(0x0207);
    }

    @Test
    void shouldFailWithMissingParameterWhenNormalSessionHasNoTargetName() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI, "SessionType=Normal", "AuthMethod=None")));
        assertThat(failure.status()).isEqualTo(LoginStatus.MISSING_PARAMETER);
    }

    @Test
    void shouldTreatAbsentSessionTypeAsNormal() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI, "AuthMethod=None")));
        assertThat(failure.status()).isEqualTo(LoginStatus.MISSING_PARAMETER);
    }

    @Test
    void shouldNotRequireTargetNameForDiscovery() {
        NegotiationResult result = negotiator().negotiate(Stage.SECURITY_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI, "SessionType=Discovery", "AuthMethod=None"));
        assertThat(answers(result)).containsExactly(Map.entry("AuthMethod", "None"));
    }

    @Test
    void shouldFailWithNotFoundForUnknownTarget() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI, "TargetName=iqn.2025-01.io.jtarget:nope")));
        assertThat(failure.status()).isEqualTo(LoginStatus.NOT_FOUND);
    }

    @Test
    void shouldFailWithAuthorizationFailureWhenAccessDenied() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI, "TargetName=" + FORBIDDEN)));
        assertThat(failure.status()).isEqualTo(LoginStatus.AUTHORIZATION_FAILURE);
    }

    @Test
    void shouldFailWithSessionTypeNotSupportedForUnknownSessionType() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI, "SessionType=Bogus")));
        assertThat(failure.status()).isEqualTo(LoginStatus.SESSION_TYPE_NOT_SUPPORTED);
    }

    @Test
    void shouldFailWithInitiatorErrorForMalformedInitiatorName() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION,
                keys("InitiatorName=not-an-iscsi-name", "SessionType=Discovery")));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void shouldKeepFailingAfterAFailure() {
        LoginNegotiator negotiator = negotiator();
        failure(negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys("AuthMethod=None")));
        assertThat(failure(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, libiscsiNormalLogin())).status())
                .isEqualTo(LoginStatus.MISSING_PARAMETER);
        assertThat(negotiator.readyForFullFeaturePhase()).isFalse();
    }

    // --- answers: NotUnderstood / Irrelevant / Reject --------------------------------------------

    @Test
    void shouldAnswerNotUnderstoodForUnknownAndExtensionKeys() {
        Map<String, String> answers = answers(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "X-com.example.Foo=1",
                "FancyNewKey=Yes", "X#Unregistered=1")));
        assertThat(answers).containsEntry("X-com.example.Foo", "NotUnderstood")
                .containsEntry("FancyNewKey", "NotUnderstood")
                .containsEntry("X#Unregistered", "NotUnderstood");
    }

    @Test
    void shouldAcceptNodeArchitectureDeclarationSilently() {
        Map<String, String> answers = answers(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "X#NodeArchitecture=Linux,open-iscsi")));
        assertThat(answers).doesNotContainKey("X#NodeArchitecture");
    }

    @Test
    void shouldRejectIllegalValues() {
        Map<String, String> answers = answers(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET,
                "MaxBurstLength=100", "InitialR2T=Maybe", "HeaderDigest=MD5", "ErrorRecoveryLevel=3",
                "MaxConnections=0", "DataDigest=None,,CRC32C", "DefaultTime2Wait=abc",
                "MaxOutstandingR2T=Reject", "TaskReporting=FastAbort")));
        assertThat(answers).containsEntry("MaxBurstLength", "Reject")
                .containsEntry("InitialR2T", "Reject")
                .containsEntry("HeaderDigest", "Reject")
                .containsEntry("ErrorRecoveryLevel", "Reject")
                .containsEntry("MaxConnections", "Reject")
                .containsEntry("DataDigest", "Reject")
                .containsEntry("DefaultTime2Wait", "Reject")
                .containsEntry("MaxOutstandingR2T", "Reject")
                .containsEntry("TaskReporting", "Reject");
    }

    @Test
    void shouldRejectKeysOnlyTheTargetMaySendAndSendTargetsDuringLogin() {
        Map<String, String> answers = answers(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET,
                "TargetAddress=10.0.0.1:3260,1", "SendTargets=All")));
        assertThat(answers).containsEntry("TargetAddress", "Reject")
                .containsEntry("SendTargets", "Reject");
        // The initiator's TargetPortalGroupTag is rejected; the target's own declaration follows.
        assertThat(proceed(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "TargetPortalGroupTag=1", "TargetAlias=x")))
                .response())
                .startsWith(KeyValue.of("TargetPortalGroupTag", "Reject"), KeyValue.of("TargetAlias", "Reject"),
                        KeyValue.of("TargetPortalGroupTag", "7"), KeyValue.of("TargetAlias", "Disk One"));
    }

    @Test
    void shouldAnswerObsoleteMarkerKeysAsRfc7143Says() {
        Map<String, String> answers = answers(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "IFMarker=Yes", "OFMarker=No",
                "OFMarkInt=2048~8192", "IFMarkInt=2048")));
        assertThat(answers).containsEntry("IFMarker", "No")
                .containsEntry("OFMarker", "No")
                .containsEntry("OFMarkInt", "Reject")
                .containsEntry("IFMarkInt", "Reject");
    }

    // --- result functions --------------------------------------------------------------------------

    @Test
    void shouldApplyBooleanAndOrAndNumericMinMax() {
        TargetNegotiationLimits limits = new TargetNegotiationLimits(65536, 131072, 32768, 4, true, false,
                List.of(DigestType.NONE, DigestType.CRC32C), List.of(DigestType.CRC32C, DigestType.NONE),
                0, 1, 5, 10, 1);
        LoginNegotiator negotiator = negotiator(limits);
        Map<String, String> answers = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET,
                "InitialR2T=No", // OR with target Yes -> Yes
                "ImmediateData=Yes", // AND with target No -> No
                "DataPDUInOrder=No", // OR with Yes -> Yes
                "MaxBurstLength=0x100000", // hex; Minimum -> 131072
                "FirstBurstLength=8192", // Minimum -> 8192
                "MaxOutstandingR2T=8", // Minimum -> 4
                "DefaultTime2Wait=1", // Maximum -> 5
                "DefaultTime2Retain=20", // Minimum -> 10
                "ErrorRecoveryLevel=2", // Minimum -> 0
                "iSCSIProtocolLevel=2", // Minimum -> 1
                "HeaderDigest=CRC32C,None", // first supported
                "DataDigest=None,CRC32C", // first supported in the initiator's order
                "TaskReporting=FastAbort,RFC3720")));
        assertThat(answers).containsEntry("InitialR2T", "Yes")
                .containsEntry("ImmediateData", "No")
                .containsEntry("DataPDUInOrder", "Yes")
                .containsEntry("MaxBurstLength", "131072")
                .containsEntry("FirstBurstLength", "Irrelevant")
                .containsEntry("MaxOutstandingR2T", "4")
                .containsEntry("DefaultTime2Wait", "5")
                .containsEntry("DefaultTime2Retain", "10")
                .containsEntry("ErrorRecoveryLevel", "0")
                .containsEntry("iSCSIProtocolLevel", "1")
                .containsEntry("HeaderDigest", "CRC32C")
                .containsEntry("DataDigest", "None")
                .containsEntry("TaskReporting", "RFC3720")
                .containsEntry("MaxRecvDataSegmentLength", "65536");
        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.headerDigest()).isTrue();
        assertThat(p.dataDigest()).isFalse();
        assertThat(p.initialR2T()).isTrue();
        assertThat(p.immediateData()).isFalse();
        assertThat(p.maxBurstLength()).isEqualTo(131072);
        assertThat(p.defaultTime2Wait()).isEqualTo(5);
        assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(65536);
        // The initiator declared nothing: RFC default.
        assertThat(p.initiatorMaxRecvDataSegmentLength()).isEqualTo(8192);
    }

    @Test
    void shouldKeepFirstBurstLengthWithinNegotiatedMaxBurstLength() {
        LoginNegotiator negotiator = negotiator();
        Map<String, String> answers = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET,
                "FirstBurstLength=65536", "MaxBurstLength=4096")));
        assertThat(answers).containsEntry("MaxBurstLength", "4096").containsEntry("FirstBurstLength", "4096");
        assertThat(negotiator.negotiatedParameters().firstBurstLength()).isEqualTo(4096);
    }

    @Test
    void shouldAnswerFirstBurstLengthWhenImmediateDataKeepsItRelevant() {
        Map<String, String> answers = answers(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET,
                "FirstBurstLength=16384", "InitialR2T=Yes", "ImmediateData=Yes")));
        assertThat(answers).containsEntry("FirstBurstLength", "16384");
    }

    @Test
    void shouldRejectMaxRecvDataSegmentLengthDeclarationOutOfRange() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "MaxRecvDataSegmentLength=511")));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    // --- stages and renegotiation ------------------------------------------------------------------

    @Test
    void shouldFailWhenOperationalKeyArrivesInSecurityStage() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "AuthMethod=None", "HeaderDigest=None")));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void shouldFailWhenAuthMethodArrivesInOperationalStage() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "AuthMethod=None")));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void shouldFailWhenKeyIsRenegotiatedDuringLogin() {
        LoginNegotiator negotiator = negotiator();
        negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "MaxBurstLength=65536"));
        LoginFailure failure = failure(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                keys("MaxBurstLength=65536")));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void shouldFailWhenKeyIsOfferedTwiceInOneRequest() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "ImmediateData=Yes", "ImmediateData=No")));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void shouldTolerateUnchangedIdentityRepeatedAfterSecurityStage() {
        LoginNegotiator negotiator = negotiator();
        proceed(negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "SessionType=Normal", "AuthMethod=None")));
        // libiscsi adds InitiatorName, TargetName and SessionType to every operational request.
        NegotiationResult result = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, libiscsiNormalLogin());
        assertThat(proceed(result).stageComplete()).isTrue();
        assertThat(answers(result)).doesNotContainKeys("InitiatorName", "TargetName", "TargetPortalGroupTag");
    }

    @Test
    void shouldFailWhenIdentityChangesDuringLogin() {
        LoginNegotiator negotiator = negotiator();
        negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "AuthMethod=None"));
        LoginFailure failure = failure(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI)));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void shouldDeclareTargetValuesOnlyOnce() {
        LoginNegotiator negotiator = negotiator();
        Map<String, String> first = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET)));
        assertThat(first).containsKeys("TargetPortalGroupTag", "MaxRecvDataSegmentLength");
        Map<String, String> second = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                keys("ImmediateData=Yes")));
        assertThat(second).containsOnlyKeys("ImmediateData");
    }

    @Test
    void shouldReportTargetMaxRecvDataSegmentLengthDefaultWhenLoginSkipsOperationalStage() {
        LoginNegotiator negotiator = negotiator();
        proceed(negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "AuthMethod=None")));
        // The initiator transits from security straight to Full Feature Phase.
        assertThat(negotiator.negotiatedParameters().targetMaxRecvDataSegmentLength()).isEqualTo(8192);
    }

    @Test
    void shouldRefuseNegotiatedParametersBeforeLoginCompletes() {
        LoginNegotiator negotiator = negotiator();
        assertThat(negotiator.readyForFullFeaturePhase()).isFalse();
        org.assertj.core.api.Assertions.assertThatIllegalStateException().isThrownBy(negotiator::negotiatedParameters);
    }

    // --- target offers -----------------------------------------------------------------------------

    @Test
    void shouldOfferDigestsAndLowerLimitsWhenDefaultsAreUnacceptable() {
        TargetNegotiationLimits limits = new TargetNegotiationLimits(65536, 131072, 32768, 1, false, false,
                List.of(DigestType.CRC32C), List.of(DigestType.NONE), 0, 1, 2, 0, 1);
        LoginNegotiator negotiator = negotiator(limits);
        NegotiationResult first = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "DataDigest=None"));
        assertThat(answers(first)).containsEntry("HeaderDigest", "CRC32C")
                .containsEntry("MaxBurstLength", "131072")
                .containsEntry("FirstBurstLength", "32768")
                .containsEntry("ImmediateData", "No");
        assertThat(proceed(first).stageComplete()).isFalse();

        NegotiationResult second = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "HeaderDigest=CRC32C", "MaxBurstLength=65536", "FirstBurstLength=32768", "ImmediateData=No"));
        assertThat(proceed(second).response()).isEmpty();
        assertThat(proceed(second).stageComplete()).isTrue();
        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.headerDigest()).isTrue();
        assertThat(p.maxBurstLength()).isEqualTo(65536);
        assertThat(p.firstBurstLength()).isEqualTo(32768);
        assertThat(p.immediateData()).isFalse();
    }

    @Test
    void shouldFailWhenInitiatorRejectsRequiredDigest() {
        TargetNegotiationLimits base = TargetNegotiationLimits.defaults();
        TargetNegotiationLimits limits = new TargetNegotiationLimits(base.maxRecvDataSegmentLength(),
                base.maxBurstLength(), base.firstBurstLength(), base.maxOutstandingR2T(), base.initialR2T(),
                base.immediateData(), List.of(DigestType.CRC32C), base.dataDigests(), 0, 1, 2, 0, 1);
        LoginNegotiator negotiator = negotiator(limits);
        negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET));
        LoginFailure failure = failure(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                keys("HeaderDigest=Reject")));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void shouldFailWhenInitiatorAnswersAboveOfferedMinimum() {
        TargetNegotiationLimits limits = new TargetNegotiationLimits(65536, 131072, 32768, 1, false, true,
                List.of(DigestType.NONE), List.of(DigestType.NONE), 0, 1, 2, 0, 1);
        LoginNegotiator negotiator = negotiator(limits);
        negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "FirstBurstLength=4096"));
        LoginFailure failure = failure(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                keys("MaxBurstLength=262144")));
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
    }

    // --- authentication ----------------------------------------------------------------------------

    @Test
    void shouldFailWithAuthenticationFailureWhenNoOfferedMethodIsSupported() {
        LoginFailure failure = failure(negotiator().negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "AuthMethod=CHAP,SRP")));
        assertThat(failure.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldPickFirstOfferedMethodTheTargetSupports() {
        Map<String, String> answers = answers(negotiator().negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "AuthMethod=CHAP,None")));
        assertThat(answers).containsEntry("AuthMethod", "None");
    }

    @Test
    void shouldAnswerIrrelevantForChapKeysWithoutChapExchange() {
        Map<String, String> answers = answers(negotiator().negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "AuthMethod=None", "CHAP_A=5")));
        assertThat(answers).containsEntry("CHAP_A", "Irrelevant");
    }

    /** A two-step stand-in for CHAP: the method plugs in without negotiator changes. */
    static final class SecretWordAuthenticator implements Authenticator {
        @Override
        public String method() {
            return "CHAP";
        }

        @Override
        public AuthenticationExchange begin(String initiatorName, Optional<String> targetName, SessionType type) {
            return new AuthenticationExchange() {
                @Override
                public boolean handlesKey(String key) {
                    return key.startsWith("CHAP_");
                }

                @Override
                public AuthenticationStep step(List<KeyValue> keys) {
                    if (keys.isEmpty()) {
                        return new AuthenticationStep.Continue(List.of());
                    }
                    if (keys.contains(KeyValue.of("CHAP_A", "5"))) {
                        return new AuthenticationStep.Continue(keys("CHAP_A=5", "CHAP_I=1", "CHAP_C=0x0102"));
                    }
                    if (keys.contains(KeyValue.of("CHAP_R", "0xgood"))) {
                        return new AuthenticationStep.Authenticated(List.of());
                    }
                    return new AuthenticationStep.Failed(
                            new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, "bad response"));
                }
            };
        }
    }

    static LoginNegotiator chapOnly() {
        return new LoginNegotiator(new LoginSettings(TargetNegotiationLimits.defaults(), TPGT, DIRECTORY,
                List.of(new SecretWordAuthenticator()), TextLimits.defaults()));
    }

    @Test
    void shouldRunMultiStepAuthenticationThroughAuthenticatorInterface() {
        LoginNegotiator negotiator = chapOnly();
        NegotiationResult first = negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "AuthMethod=CHAP,None"));
        assertThat(answers(first)).containsEntry("AuthMethod", "CHAP");
        assertThat(proceed(first).stageComplete()).isFalse();

        NegotiationResult second = negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_A=5"));
        assertThat(proceed(second).response()).containsExactlyElementsOf(keys("CHAP_A=5", "CHAP_I=1", "CHAP_C=0x0102"));
        assertThat(proceed(second).stageComplete()).isFalse();

        NegotiationResult third = negotiator.negotiate(Stage.SECURITY_NEGOTIATION,
                keys("CHAP_N=user", "CHAP_R=0xgood"));
        assertThat(proceed(third).stageComplete()).isTrue();
        assertThat(proceed(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, libiscsiNormalLogin()))
                .stageComplete()).isTrue();
    }

    @Test
    void shouldFailLoginWhenAuthenticatorFails() {
        LoginNegotiator negotiator = chapOnly();
        negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET, "AuthMethod=CHAP"));
        negotiator.negotiate(Stage.SECURITY_NEGOTIATION, keys("CHAP_A=5"));
        LoginFailure failure = failure(negotiator.negotiate(Stage.SECURITY_NEGOTIATION,
                keys("CHAP_N=user", "CHAP_R=0xbad")));
        assertThat(failure.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldFailWhenInitiatorSkipsRequiredAuthentication() {
        LoginFailure failure = failure(chapOnly().negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, libiscsiNormalLogin()));
        assertThat(failure.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void shouldFailWhenSecurityStageOmitsAuthMethodButTargetRequiresOne() {
        LoginFailure failure = failure(chapOnly().negotiate(Stage.SECURITY_NEGOTIATION, keys(
                "InitiatorName=" + LIBISCSI, "TargetName=" + TARGET)));
        assertThat(failure.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
    }
}
