package io.jtarget.registry;

import java.util.Map;

/**
 * One session as a fabric reports it to the registry's sessions view: who, from where, to which
 * target, with what was negotiated, and how much it has outstanding. A snapshot, read on the
 * management thread from state a fabric thread owns: values may be a moment old.
 *
 * @param id unique among the server's sessions, e.g. {@code iscsi:0x0005}; what {@link Fabric#dropSession} takes
 * @param fabric the fabric's name, e.g. {@code iscsi}
 * @param initiator the initiator's name (iSCSI InitiatorName)
 * @param address the initiator's address, {@code host:port}
 * @param target the target's name; empty for a discovery session
 * @param parameters negotiated parameters by their protocol names, in a stable order
 * @param outstandingCommands commands received and not yet answered
 */
public record SessionInfo(String id, String fabric, String initiator, String address, String target,
        Map<String, String> parameters, int outstandingCommands) {
    public SessionInfo {
        parameters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parameters));
    }
}
