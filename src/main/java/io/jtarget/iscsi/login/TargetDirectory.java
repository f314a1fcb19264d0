package io.jtarget.iscsi.login;

import java.util.Optional;

/** What login needs to know about the targets this portal group exports. */
public interface TargetDirectory {
    /** The target named in TargetName, if it is exported through this portal group. */
    Optional<TargetIdentity> find(String targetName);

    /** Access control: may this initiator log in to this target (else 0x0202, §11.13.5)? */
    default boolean mayAccess(String initiatorName, String targetName) {
        return true;
    }

    /** A target's name and, if configured, its human-readable TargetAlias (§13.6). */
    record TargetIdentity(String name, Optional<String> alias) {}
}
