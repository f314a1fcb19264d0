package io.jtarget.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.config.ChapDigest;
import io.jtarget.iscsi.login.ChapAlgorithm;
import org.junit.jupiter.api.Test;

class SecurityPolicyTest {

    @Test
    void everyConfiguredDigestMapsToTheProtocolAlgorithmOfTheSameHash() {
        for (ChapDigest d : ChapDigest.values()) {
            assertThat(SecurityPolicy.algorithm(d).jcaName()).as(d.name()).isEqualTo(d.configName());
        }
        assertThat(java.util.Arrays.stream(ChapDigest.values()).map(SecurityPolicy::algorithm).distinct().count())
                .isEqualTo(ChapAlgorithm.values().length);
    }
}
