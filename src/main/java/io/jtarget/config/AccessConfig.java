package io.jtarget.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which initiators may log in to a target. An empty list does not restrict; when both lists are
 * given an initiator must match both (its name is listed and it connects from a listed range).
 *
 * @param initiators allowed InitiatorNames, held case-folded ({@link IscsiNameFolding}: RFC 7143
 *     §4.2.7.1 compares names case-insensitively)
 * @param addresses allowed source address ranges
 * @param mappedLuns LUN masking, as LIO's mapped LUNs: an initiator listed here (by folded name) sees
 *     only these LUNs of the target (REPORT LUNS lists only them; others answer LOGICAL UNIT NOT
 *     SUPPORTED); an initiator not listed sees every LUN. LUNs keep their numbers
 */
public record AccessConfig(List<String> initiators, List<AddressRange> addresses, Map<String, Set<Integer>> mappedLuns) {
    public static final AccessConfig ANY = new AccessConfig(List.of(), List.of());

    public AccessConfig {
        initiators = initiators.stream().map(IscsiNameFolding::fold).toList();
        addresses = List.copyOf(addresses);
        Map<String, Set<Integer>> folded = new TreeMap<>();
        mappedLuns.forEach((name, luns) -> folded.put(IscsiNameFolding.fold(name), Set.copyOf(luns)));
        mappedLuns = java.util.Collections.unmodifiableMap(folded);
    }

    /** Every initiator sees every LUN. */
    public AccessConfig(List<String> initiators, List<AddressRange> addresses) {
        this(initiators, addresses, Map.of());
    }

    public boolean unrestricted() {
        return initiators.isEmpty() && addresses.isEmpty() && mappedLuns.isEmpty();
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
        mappedLuns.forEach((name, luns) -> b.append(b.isEmpty() ? "" : "; ").append(name).append(" sees LUNs ")
                .append(luns.stream().sorted().map(String::valueOf).reduce((x, y) -> x + "," + y).orElse("none")));
        return b.toString();
    }
}
