package io.jtarget.iser;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.iscsi.login.IserLoginLimits;
import io.jtarget.iscsi.login.KeyValue;
import io.jtarget.iscsi.login.LoginFailure;
import io.jtarget.iscsi.login.LoginNegotiator;
import io.jtarget.iscsi.login.LoginSettings;
import io.jtarget.iscsi.login.LoginStatus;
import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.login.NegotiationResult;
import io.jtarget.iscsi.login.Stage;
import io.jtarget.iscsi.login.TargetDirectory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** RFC 7145 §6 keys as the Linux initiator (open-iscsi over ib_iser) and libiscsi send them. */
class IserLoginNegotiationTest {
    static final String TARGET = "iqn.2026-11.io.jtarget:disk";
    static final String OPEN_ISCSI = "iqn.2004-10.com.debian:01:c0ffee";
    static final IserLoginLimits ISER = new IserLoginLimits(8192, 8192, 8);

    static final TargetDirectory DIRECTORY = new TargetDirectory() {
        @Override
        public Optional<TargetIdentity> find(String targetName) {
            return targetName.equals(TARGET) ? Optional.of(new TargetIdentity(TARGET, Optional.empty())) : Optional.empty();
        }

        @Override
        public boolean mayAccess(String initiatorName, InetAddress address, String targetName) {
            return true;
        }
    };

    static final LoginSettings TCP = LoginSettings.withoutAuthentication(1, DIRECTORY);

    /** Every key open-iscsi's login.c accepts in a Login Response; anything else fails its login. */
    static final Set<String> OPEN_ISCSI_UNDERSTANDS = Set.of("TargetAlias", "TargetAddress", "TargetPortalGroupTag",
            "InitialR2T", "ImmediateData", "MaxRecvDataSegmentLength", "FirstBurstLength", "MaxBurstLength",
            "HeaderDigest", "DataDigest", "DefaultTime2Wait", "DefaultTime2Retain", "OFMarker", "OFMarkInt",
            "IFMarker", "IFMarkInt", "DataPDUInOrder", "DataSequenceInOrder", "MaxOutstandingR2T", "MaxConnections",
            "ErrorRecoveryLevel", "RDMAExtensions", "InitiatorRecvDataSegmentLength", "TargetRecvDataSegmentLength");

    /** open-iscsi (usr/login.c) for an iface with an RDMA transport: no digests, iSER lengths instead of MRDSL. */
    static List<KeyValue> openIscsiIserLogin() {
        return keys("InitiatorName=" + OPEN_ISCSI, "TargetName=" + TARGET, "SessionType=Normal",
                "DefaultTime2Wait=2", "DefaultTime2Retain=0", "IFMarker=No", "OFMarker=No", "ErrorRecoveryLevel=0",
                "InitialR2T=No", "ImmediateData=Yes", "MaxBurstLength=16776192", "FirstBurstLength=262144",
                "MaxOutstandingR2T=1", "MaxConnections=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes",
                "InitiatorRecvDataSegmentLength=262144", "TargetRecvDataSegmentLength=262144", "RDMAExtensions=Yes");
    }

    @Test
    void shouldAgreeRdmaExtensionsAndControlPduLengthsWithTheLinuxInitiator() {
        LoginNegotiator negotiator = new LoginNegotiator(TCP.forIser(ISER));
        NegotiationResult result = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, openIscsiIserLogin());

        Map<String, String> answers = answers(result);
        assertThat(answers).containsEntry("RDMAExtensions", "Yes")
                .containsEntry("TargetRecvDataSegmentLength", "8192")
                .containsEntry("InitiatorRecvDataSegmentLength", "8192")
                .doesNotContainKey("MaxRecvDataSegmentLength")
                .doesNotContainKey("MaxOutstandingUnexpectedPDUs");
        assertThat(OPEN_ISCSI_UNDERSTANDS).containsAll(answers.keySet());
        assertThat(((NegotiationResult.Proceed) result).stageComplete()).isTrue();
        assertThat(negotiator.readyForFullFeaturePhase()).isTrue();
        assertThat(negotiator.rdmaExtensions()).isTrue();

        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.initiatorMaxRecvDataSegmentLength()).isEqualTo(8192);
        assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(8192);
        assertThat(p.headerDigest()).isFalse();
        assertThat(p.dataDigest()).isFalse();
    }

    @Test
    void shouldTakeTheSmallerControlPduLengthsWhenTheInitiatorOffersLess() {
        LoginNegotiator negotiator = new LoginNegotiator(TCP.forIser(new IserLoginLimits(65536, 65536, 8)));
        List<KeyValue> login = replace(openIscsiIserLogin(), "TargetRecvDataSegmentLength", "4096");
        login = replace(login, "InitiatorRecvDataSegmentLength", "1024");

        assertThat(answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, login)))
                .containsEntry("TargetRecvDataSegmentLength", "4096")
                .containsEntry("InitiatorRecvDataSegmentLength", "1024");
        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(4096);
        assertThat(p.initiatorMaxRecvDataSegmentLength()).isEqualTo(1024);
    }

    @Test
    void shouldOfferItsLimitsWhenTheInitiatorLeavesTheKeysAtTheirDefaults() {
        LoginNegotiator negotiator = new LoginNegotiator(TCP.forIser(new IserLoginLimits(4096, 8192, 8)));
        List<KeyValue> login = without(without(openIscsiIserLogin(), "TargetRecvDataSegmentLength"),
                "RDMAExtensions");

        NegotiationResult first = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, login);
        assertThat(answers(first)).containsEntry("RDMAExtensions", "Yes").containsEntry("TargetRecvDataSegmentLength", "4096");
        assertThat(((NegotiationResult.Proceed) first).stageComplete()).isFalse();

        NegotiationResult second = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                keys("RDMAExtensions=Yes", "TargetRecvDataSegmentLength=4096"));
        assertThat(((NegotiationResult.Proceed) second).stageComplete()).isTrue();
        assertThat(negotiator.negotiatedParameters().targetMaxRecvDataSegmentLength()).isEqualTo(4096);
        assertThat(negotiator.rdmaExtensions()).isTrue();
    }

    @Test
    void shouldRefuseANormalSessionWithoutRdmaExtensionsOnAnIserPortal() {
        LoginNegotiator negotiator = new LoginNegotiator(TCP.forIser(ISER));
        NegotiationResult result = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                replace(openIscsiIserLogin(), "RDMAExtensions", "No"));

        assertThat(result).isInstanceOf(NegotiationResult.Fail.class);
        LoginFailure failure = ((NegotiationResult.Fail) result).failure();
        assertThat(failure.status()).isEqualTo(LoginStatus.INITIATOR_ERROR);
        assertThat(failure.reason()).contains("RDMAExtensions");
    }

    @Test
    void shouldAnswerNoAndIrrelevantOnATcpPortal() {
        LoginNegotiator negotiator = new LoginNegotiator(TCP);
        Map<String, String> answers = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                openIscsiIserLogin()));

        assertThat(answers).containsEntry("RDMAExtensions", "No")
                .containsEntry("TargetRecvDataSegmentLength", "Irrelevant")
                .containsEntry("InitiatorRecvDataSegmentLength", "Irrelevant")
                .containsKey("MaxRecvDataSegmentLength");
        assertThat(negotiator.rdmaExtensions()).isFalse();
    }

    @Test
    void shouldBoundADiscoverySessionOnAnIserPortalByItsReceiveBuffers() {
        LoginNegotiator negotiator = new LoginNegotiator(TCP.forIser(ISER));
        Map<String, String> answers = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI, "SessionType=Discovery", "MaxRecvDataSegmentLength=32768",
                        "RDMAExtensions=Yes")));

        assertThat(answers).containsEntry("MaxRecvDataSegmentLength", "8192").containsEntry("RDMAExtensions", "Irrelevant");
        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(8192);
        assertThat(p.initiatorMaxRecvDataSegmentLength()).isEqualTo(32768);
    }

    @Test
    void shouldNegotiateMaxOutstandingUnexpectedPdusAsAMinimumWhereZeroIsUnlimited() {
        assertThat(unexpectedPdusAnswer("0")).isEqualTo("8");
        assertThat(unexpectedPdusAnswer("4")).isEqualTo("4");
        assertThat(unexpectedPdusAnswer("100")).isEqualTo("8");
        assertThat(unexpectedPdusAnswer("1")).isEqualTo("Reject");
    }

    @Test
    void shouldRefuseDigestsOnAnIserPortal() {
        LoginNegotiator negotiator = new LoginNegotiator(TCP.forIser(ISER));
        List<KeyValue> login = new ArrayList<>(openIscsiIserLogin());
        login.add(KeyValue.of("HeaderDigest", "CRC32C,None"));
        login.add(KeyValue.of("DataDigest", "CRC32C"));

        Map<String, String> answers = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, login));
        assertThat(answers).containsEntry("HeaderDigest", "None").containsEntry("DataDigest", "Reject");
    }

    private static String unexpectedPdusAnswer(String offered) {
        LoginNegotiator negotiator = new LoginNegotiator(TCP.forIser(ISER));
        List<KeyValue> login = new ArrayList<>(openIscsiIserLogin());
        login.add(KeyValue.of("MaxOutstandingUnexpectedPDUs", offered));
        return answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, login)).get("MaxOutstandingUnexpectedPDUs");
    }

    static List<KeyValue> keys(String... keyValues) {
        List<KeyValue> out = new ArrayList<>();
        for (String kv : keyValues) {
            int eq = kv.indexOf('=');
            out.add(KeyValue.of(kv.substring(0, eq), kv.substring(eq + 1)));
        }
        return out;
    }

    static List<KeyValue> replace(List<KeyValue> keys, String key, String value) {
        return keys.stream().map(kv -> kv.key().equals(key) ? KeyValue.of(key, value) : kv).toList();
    }

    static List<KeyValue> without(List<KeyValue> keys, String key) {
        return keys.stream().filter(kv -> !kv.key().equals(key)).toList();
    }

    static Map<String, String> answers(NegotiationResult result) {
        assertThat(result).isInstanceOf(NegotiationResult.Proceed.class);
        Map<String, String> out = new LinkedHashMap<>();
        for (KeyValue kv : ((NegotiationResult.Proceed) result).response()) {
            assertThat(out.put(kv.key(), kv.value())).as("answered twice: " + kv.key()).isNull();
        }
        return out;
    }
}
