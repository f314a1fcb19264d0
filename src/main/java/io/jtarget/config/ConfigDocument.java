package io.jtarget.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The configuration file as written: what an operator edits and what the server keeps in its data
 * directory ({@link ConfigFiles}). Values stay as written (sizes as {@code 64M}, backing stores as
 * {@code --lun} values, secrets or the files holding them); {@link ConfigCompiler} validates them and
 * turns them into the {@link ServerConfig} the server runs. The schema is in docs/configuration.md.
 *
 * <p>Absent lists are empty, absent flags false; absent sections take the defaults.
 *
 * @param portals {@code HOST:PORT} addresses to listen on, {@code [v6]:PORT} for IPv6
 * @param discoveryAuth how discovery sessions authenticate; null: no authentication
 * @param limits bounds and thread counts; null: the defaults
 * @param targets the targets served
 */
public record ConfigDocument(List<String> portals, Auth discoveryAuth, Limits limits, List<Target> targets) {
    public ConfigDocument {
        portals = portals == null ? List.of() : List.copyOf(portals);
        targets = targets == null ? List.of() : List.copyOf(targets);
    }

    /**
     * One target.
     *
     * @param name its iSCSI name (iqn., eui. or naa., RFC 7143 §4.2.7)
     * @param luns its logical units
     * @param auth how initiators authenticate; null: no authentication
     * @param access who may log in; null: anyone
     */
    public record Target(String name, List<Lun> luns, Auth auth, Access access) {
        public Target {
            luns = luns == null ? List.of() : List.copyOf(luns);
        }

        public Target withLuns(List<Lun> newLuns) {
            return new Target(name, newLuns, auth, access);
        }

        public Target withAccess(Access newAccess) {
            return new Target(name, luns, auth, newAccess);
        }
    }

    /**
     * One logical unit.
     *
     * @param lun its number, 0..16383
     * @param backing the backing store as a {@code --lun} value ({@code ram:64M}, {@code file:/srv/a.img},
     *     {@code file:/srv/a.img:10G,wt}); a relative file path is relative to the data directory
     * @param size the size ({@code 512M}); overrides a size in {@code backing}; a live resize writes it
     * @param readOnly writes are refused (DATA PROTECT)
     * @param removable reported as removable medium
     */
    public record Lun(Integer lun, String backing, String size, Boolean readOnly, Boolean removable) {
        public Lun withSize(String newSize) {
            return new Lun(lun, backing, newSize, readOnly, removable);
        }
    }

    /**
     * CHAP for one scope (RFC 7143 §12.1).
     *
     * @param chap the credentials initiators prove
     * @param mutualChap the target's own, for mutual CHAP
     * @param algorithms CHAP_A hashes accepted (SHA3-256, SHA-256, SHA-1, MD5); null: all four
     */
    public record Auth(Chap chap, Chap mutualChap, List<String> algorithms) {}

    /**
     * A CHAP name and secret; the secret written here or read from a file (its first line).
     *
     * @param secretFile a file holding the secret, relative to the data directory unless absolute
     */
    public record Chap(String user, String secret, String secretFile) {
        @Override
        public String toString() {
            return "Chap[user=" + user + ", secret=" + (secret == null ? "null" : "(redacted)") + ", secretFile="
                    + secretFile + "]";
        }
    }

    /**
     * Who may log in: an initiator must match both lists that are not empty.
     *
     * @param initiators InitiatorNames; empty: any
     * @param addresses address ranges in CIDR notation; empty: any
     * @param mappedLuns LUN masking (LIO's mapped LUNs): an initiator listed here sees only these LUNs
     *     of the target; others see all
     */
    public record Access(List<String> initiators, List<String> addresses, Map<String, List<Integer>> mappedLuns) {
        public Access {
            initiators = initiators == null ? List.of() : List.copyOf(initiators);
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
            mappedLuns = mappedLuns == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(mappedLuns));
        }

        public Access(List<String> initiators, List<String> addresses) {
            this(initiators, addresses, null);
        }
    }

    /** Bounds and threads; each null field takes its default (see docs/configuration.md). */
    public record Limits(Integer queueDepth, Integer nopInterval, Integer nopTimeout, Integer loginTimeout,
            Integer eventLoops, Integer backendThreads, Integer maxConnections, Integer maxConnectionsPerAddress,
            Integer maxSessionsPerTarget, Integer maxSessionsPerInitiator, String maxDataOutBuffer) {}

    /** Index of the target named {@code name} (case-insensitive, RFC 7143 §4.2.7.1), or -1. */
    public int indexOfTarget(String name) {
        for (int i = 0; i < targets.size(); i++) {
            if (targets.get(i).name() != null && IscsiNameFolding.fold(targets.get(i).name()).equals(IscsiNameFolding.fold(name))) {
                return i;
            }
        }
        return -1;
    }

    public ConfigDocument withTargets(List<Target> newTargets) {
        return new ConfigDocument(portals, discoveryAuth, limits, newTargets);
    }

    public ConfigDocument withPortals(List<String> newPortals) {
        return new ConfigDocument(newPortals, discoveryAuth, limits, targets);
    }

    /** A copy with target {@code index} replaced by {@code change.apply(it)}. */
    public ConfigDocument withTarget(int index, UnaryOperator<Target> change) {
        List<Target> list = new ArrayList<>(targets);
        list.set(index, Objects.requireNonNull(change.apply(list.get(index))));
        return withTargets(list);
    }
}
