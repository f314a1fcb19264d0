package io.jtarget.iscsi.login;

import java.net.InetAddress;
import java.util.Optional;

/** What login needs to know about the targets this portal group exports. */
public interface TargetDirectory {
    /** The target named in TargetName, if it is exported through this portal group. */
    Optional<TargetIdentity> find(String targetName);

    /** Access control: may this initiator log in to this target (else 0x0202, §11.13.5)? */
    default boolean mayAccess(String initiatorName, String targetName) {
        return true;
    }

    /**
     * Access control including where the initiator connects from (for address-range rules).
     *
     * @param address the initiator's IP address; null when unknown (then address rules deny)
     */
    default boolean mayAccess(String initiatorName, InetAddress address, String targetName) {
        return mayAccess(initiatorName, targetName);
    }

    /** A target's name and, if configured, its human-readable TargetAlias (§13.6). */
    record TargetIdentity(String name, Optional<String> alias) {}
}
