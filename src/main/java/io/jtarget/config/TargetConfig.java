package io.jtarget.config;

import java.util.List;
import java.util.Objects;

/**
 * One iSCSI target: its name (an iqn./eui./naa. name, RFC 7143 §4.2.7), its LUNs, how initiators
 * authenticate to it and which initiators may log in.
 */
public record TargetConfig(String name, List<LunConfig> luns, AuthConfig auth, AccessConfig access) {
    public TargetConfig {
        luns = List.copyOf(luns);
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(access, "access");
    }

    /** No authentication, any initiator. */
    public TargetConfig(String name, List<LunConfig> luns) {
        this(name, luns, AuthConfig.NONE, AccessConfig.ANY);
    }
}
