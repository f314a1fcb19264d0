package io.jtarget.iser;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.iscsi.login.KeyValue;
import io.jtarget.iscsi.login.LoginNegotiator;
import io.jtarget.iscsi.login.LoginSettings;
import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.login.NegotiationResult;
import io.jtarget.iscsi.login.Stage;
import io.jtarget.iscsi.login.TargetDirectory;
import io.jtarget.iscsi.login.TransportKeyRules;
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
    static final IserLimits ISER = new IserLimits(8192, 8192, 8);

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
        LoginNegotiator negotiator = iser(ISER);
        NegotiationResult result = negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, openIscsiIserLogin());

        Map<String, String> answers = answers(result);
        assertThat(answers).containsEntry("RDMAExtensions", "Yes")
                .containsEntry("TargetRecvDataSegmentLength", "8192")
                .containsEntry("InitiatorRecvDataSegmentLength", "8192")
                .containsEntry("InitialR2T", "Yes")
                .doesNotContainKey("MaxOutstandingUnexpectedPDUs");
        assertThat(OPEN_ISCSI_UNDERSTANDS).as("open-iscsi fails a login on any other key").containsAll(answers.keySet());
        assertThat(((NegotiationResult.Proceed) result).stageComplete()).isTrue();

        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(p.initialR2T()).as("unsolicited data stays within the posted receives").isTrue();
        assertThat(p.headerDigest()).isFalse();
        assertThat(p.dataDigest()).isFalse();
        assertThat(IserKeyRules.rdmaExtensionsAgreed(p.sessionType(), p.transportKeys())).isTrue();
        assertThat(IserKeyRules.negotiatedLength(p.transportKeys(), "TargetRecvDataSegmentLength")).isEqualTo(8192);
        assertThat(IserKeyRules.negotiatedLength(p.transportKeys(), "InitiatorRecvDataSegmentLength")).isEqualTo(8192);
    }

    @Test
    void shouldTakeTheSmallerControlPduLengthsWhenTheInitiatorOffersLess() {
        LoginNegotiator negotiator = iser(new IserLimits(65536, 65536, 8));
        List<KeyValue> login = replace(openIscsiIserLogin(), "TargetRecvDataSegmentLength", "4096");
        login = replace(login, "InitiatorRecvDataSegmentLength", "1024");

        assertThat(answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, login)))
                .containsEntry("TargetRecvDataSegmentLength", "4096")
                .containsEntry("InitiatorRecvDataSegmentLength", "1024");
        Map<String, String> keys = negotiator.negotiatedParameters().transportKeys();
        assertThat(IserKeyRules.negotiatedLength(keys, "TargetRecvDataSegmentLength")).isEqualTo(4096);
        assertThat(IserKeyRules.negotiatedLength(keys, "InitiatorRecvDataSegmentLength")).isEqualTo(1024);
    }

    @Test
    void shouldNotRunANormalSessionOverIserWithoutRdmaExtensions() {
        LoginNegotiator refused = iser(ISER);
        assertThat(answers(refused.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                replace(openIscsiIserLogin(), "RDMAExtensions", "No")))).containsEntry("RDMAExtensions", "No");
        NegotiatedParameters p = refused.negotiatedParameters();
        assertThat(IserKeyRules.rdmaExtensionsAgreed(p.sessionType(), p.transportKeys())).isFalse();

        LoginNegotiator silent = iser(ISER);
        silent.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, without(openIscsiIserLogin(), "RDMAExtensions"));
        NegotiatedParameters q = silent.negotiatedParameters();
        assertThat(IserKeyRules.rdmaExtensionsAgreed(q.sessionType(), q.transportKeys()))
                .as("RDMAExtensions defaults to No").isFalse();
    }

    @Test
    void shouldLeaveTcpPortalsWithoutTheIserKeys() {
        LoginNegotiator negotiator = new LoginNegotiator(TCP, null, TransportKeyRules.NONE);
        Map<String, String> answers = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                openIscsiIserLogin()));

        assertThat(answers).containsEntry("RDMAExtensions", "NotUnderstood")
                .containsEntry("TargetRecvDataSegmentLength", "NotUnderstood")
                .containsEntry("InitialR2T", "No");
    }

    @Test
    void shouldBoundADiscoverySessionOnAnIserPortalByItsReceiveBuffers() {
        LoginNegotiator negotiator = iser(ISER);
        Map<String, String> answers = answers(negotiator.negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION,
                keys("InitiatorName=" + OPEN_ISCSI, "SessionType=Discovery", "MaxRecvDataSegmentLength=32768",
                        "RDMAExtensions=Yes")));

        assertThat(answers).containsEntry("MaxRecvDataSegmentLength", "8192").containsEntry("RDMAExtensions", "Irrelevant");
        NegotiatedParameters p = negotiator.negotiatedParameters();
        assertThat(IserKeyRules.rdmaExtensionsAgreed(p.sessionType(), p.transportKeys()))
                .as("discovery needs no RDMA extensions").isTrue();
    }

    @Test
    void shouldNegotiateMaxOutstandingUnexpectedPdusAsAMinimum() {
        assertThat(unexpectedPdusAnswer("4")).isEqualTo("4");
        assertThat(unexpectedPdusAnswer("100")).isEqualTo("8");
    }

    @Test
    void shouldRefuseDigestsOnAnIserPortal() {
        List<KeyValue> login = new ArrayList<>(openIscsiIserLogin());
        login.add(KeyValue.of("HeaderDigest", "CRC32C,None"));
        login.add(KeyValue.of("DataDigest", "CRC32C"));

        Map<String, String> answers = answers(iser(ISER).negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, login));
        assertThat(answers).containsEntry("HeaderDigest", "None").containsEntry("DataDigest", "Reject");
    }

    private static String unexpectedPdusAnswer(String offered) {
        List<KeyValue> login = new ArrayList<>(openIscsiIserLogin());
        login.add(KeyValue.of("MaxOutstandingUnexpectedPDUs", offered));
        return answers(iser(ISER).negotiate(Stage.LOGIN_OPERATIONAL_NEGOTIATION, login)).get("MaxOutstandingUnexpectedPDUs");
    }

    static LoginNegotiator iser(IserLimits limits) {
        return new LoginNegotiator(TCP, null, new IserKeyRules(limits));
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
