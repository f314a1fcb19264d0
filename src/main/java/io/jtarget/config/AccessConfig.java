package io.jtarget.config;

import java.net.InetAddress;
import java.util.List;

/**
 * Which initiators may log in to a target. An empty list does not restrict; when both lists are
 * given an initiator must match both (its name is listed and it connects from a listed range).
 *
 * @param initiators allowed InitiatorNames, held case-folded ({@link IscsiNameFolding}: RFC 7143
 *     §4.2.7.1 compares names case-insensitively)
 * @param addresses allowed source address ranges
 */
public record AccessConfig(List<String> initiators, List<AddressRange> addresses) {
    public static final AccessConfig ANY = new AccessConfig(List.of(), List.of());

    public AccessConfig {
        initiators = initiators.stream().map(IscsiNameFolding::fold).toList();
        addresses = List.copyOf(addresses);
    }

    public boolean unrestricted() {
        return initiators.isEmpty() && addresses.isEmpty();
    }

    /** @param address the initiator's address; null (unknown) fails any address rule */
    public boolean allows(String initiatorName, InetAddress address) {
        boolean nameOk = initiators.isEmpty() || initiators.contains(IscsiNameFolding.fold(initiatorName));
        boolean addressOk = addresses.isEmpty() || addresses.stream().anyMatch(r -> r.contains(address));
        return nameOk && addressOk;
    }

    public String describe() {
        if (unrestricted()) {
            return "any initiator";
        }
        StringBuilder b = new StringBuilder();
        if (!initiators.isEmpty()) {
            b.append("initiators ").append(String.join(", ", initiators));
        }
        if (!addresses.isEmpty()) {
            b.append(b.isEmpty() ? "" : "; ").append("from ")
                    .append(String.join(", ", addresses.stream().map(AddressRange::toString).toList()));
        }
        return b.toString();
    }
}
