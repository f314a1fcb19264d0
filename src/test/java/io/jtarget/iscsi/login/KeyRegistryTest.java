package io.jtarget.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyRegistryTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "HeaderDigest", "DataDigest", "MaxConnections", "SendTargets", "TargetName", "InitiatorName",
        "TargetAlias", "InitiatorAlias", "TargetAddress", "TargetPortalGroupTag", "InitialR2T",
        "ImmediateData", "MaxRecvDataSegmentLength", "MaxBurstLength", "FirstBurstLength",
        "DefaultTime2Wait", "DefaultTime2Retain", "MaxOutstandingR2T", "DataPDUInOrder",
        "DataSequenceInOrder", "ErrorRecoveryLevel", "SessionType", "AuthMethod", "TaskReporting",
        "iSCSIProtocolLevel", "X#NodeArchitecture", "OFMarker", "IFMarker", "OFMarkInt", "IFMarkInt"})
    void shouldKnowEveryRfc7143Key(String name) {
        assertThat(KeyRegistry.lookup(name)).isPresent();
        assertThat(TextParameters.isValidKeyName(name)).isTrue();
    }

    @Test
    void shouldDescribeKeysAsRfc7143Section13Says() {
        KeyDefinition maxBurst = KeyRegistry.lookup("MaxBurstLength").orElseThrow();
        assertThat(maxBurst.type()).isEqualTo(KeyType.NUMERIC_MIN);
        assertThat(maxBurst.use()).isEqualTo(KeyUse.LEADING_ONLY);
        assertThat(maxBurst.scope()).isEqualTo(KeyScope.SESSION_WIDE);
        assertThat(maxBurst.defaultValue()).contains("262144");
        assertThat(maxBurst.min()).isEqualTo(512);
        assertThat(maxBurst.max()).isEqualTo(16777215);

        KeyDefinition mrdsl = KeyRegistry.lookup("MaxRecvDataSegmentLength").orElseThrow();
        assertThat(mrdsl.type()).isEqualTo(KeyType.DECLARATIVE);
        assertThat(mrdsl.scope()).isEqualTo(KeyScope.CONNECTION_ONLY);
        assertThat(mrdsl.use()).isEqualTo(KeyUse.ALL);

        assertThat(KeyRegistry.lookup("DefaultTime2Wait").orElseThrow().type()).isEqualTo(KeyType.NUMERIC_MAX);
        assertThat(KeyRegistry.lookup("InitialR2T").orElseThrow().type()).isEqualTo(KeyType.BOOLEAN_OR);
        assertThat(KeyRegistry.lookup("ImmediateData").orElseThrow().type()).isEqualTo(KeyType.BOOLEAN_AND);
        assertThat(KeyRegistry.lookup("HeaderDigest").orElseThrow().anyStage()).isFalse();
        assertThat(KeyRegistry.lookup("InitiatorName").orElseThrow().anyStage()).isTrue();
        assertThat(KeyRegistry.lookup("TargetPortalGroupTag").orElseThrow().sender()).isEqualTo(KeySender.TARGET);
        assertThat(KeyRegistry.lookup("FirstBurstLength").orElseThrow().irrelevantInDiscovery()).isTrue();
        assertThat(KeyRegistry.lookup("HeaderDigest").orElseThrow().irrelevantInDiscovery()).isFalse();
    }

    @Test
    void shouldRecogniseExtensionKeysButNotDefineThem() {
        assertThat(KeyRegistry.isExtensionKey("X-com.example.Foo")).isTrue();
        assertThat(KeyRegistry.isExtensionKey("X#Bar")).isTrue();
        assertThat(KeyRegistry.isExtensionKey("Xylophone")).isFalse();
        assertThat(KeyRegistry.lookup("X-com.example.Foo")).isEmpty();
    }
}
