package io.jtarget.config;

import java.util.List;

/** One iSCSI target: its name (an iqn./eui./naa. name, RFC 7143 §4.2.7) and its LUNs. */
public record TargetConfig(String name, List<LunConfig> luns) {
    public TargetConfig {
        luns = List.copyOf(luns);
    }
}
