package io.jtarget.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.config.AccessConfig;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.ChapDigest;
import io.jtarget.config.TargetConfig;
import io.jtarget.iscsi.login.ChapAlgorithm;
import java.net.InetAddress;
import java.util.List;
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

    @Test
    void unknownTargetsAreDeniedAndKnownOnesFollowTheirRules() throws Exception {
        InetAddress here = InetAddress.getByName("192.0.2.7");
        SecurityPolicy none = SecurityPolicy.of(AuthConfig.NONE, List.of());
        assertThat(none.mayAccess("iqn.2026-01.org.example:host", here, "iqn.2026-01.org.example:t")).isFalse();

        SecurityPolicy policy = SecurityPolicy.of(AuthConfig.NONE, List.of(new TargetConfig("iqn.2026-01.org.example:T",
                List.of(), AuthConfig.NONE, new AccessConfig(List.of("iqn.2026-01.org.example:Host"), List.of()))));
        assertThat(policy.mayAccess("IQN.2026-01.org.example:host", here, "iqn.2026-01.org.example:t")).isTrue();
        assertThat(policy.mayAccess("iqn.2026-01.org.example:other", here, "iqn.2026-01.org.example:t")).isFalse();
        assertThat(policy.mayAccess("iqn.2026-01.org.example:host", here, "iqn.2026-01.org.example:u")).isFalse();
    }
}
