package io.jtarget.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How initiators authenticate for one scope (a target, or discovery sessions).
 *
 * @param chap the CHAP credentials the initiator must prove; empty: no authentication (AuthMethod=None)
 * @param mutualChap the target's own CHAP credentials, sent when the initiator asks for mutual
 *     CHAP; requires {@code chap}
 * @param algorithms the CHAP_A algorithms accepted. The initiator's order of preference decides
 *     among them: the first algorithm of its CHAP_A list that is accepted here is used (RFC 7143
 *     §6.2.1). MD5 is accepted only when listed here
 */
public record AuthConfig(Optional<ChapCredentials> chap, Optional<ChapCredentials> mutualChap, Set<ChapDigest> algorithms) {

    /**
     * Every algorithm but MD5; what {@link #NONE} carries. Not the CLI's default: {@code
     * --chap-algorithms} lists MD5 too, because libiscsi 1.19, Windows and ESXi offer nothing else,
     * so refusing MD5 means choosing these explicitly.
     */
    public static final Set<ChapDigest> STRONG_ALGORITHMS =
            Set.of(ChapDigest.SHA3_256, ChapDigest.SHA_256, ChapDigest.SHA_1);

    public static final AuthConfig NONE = new AuthConfig(Optional.empty(), Optional.empty(), STRONG_ALGORITHMS);

    public AuthConfig {
        Objects.requireNonNull(chap, "chap");
        Objects.requireNonNull(mutualChap, "mutualChap");
        algorithms = Set.copyOf(algorithms); // unordered: describe() sorts
        if (mutualChap.isPresent() && chap.isEmpty()) {
            throw new IllegalArgumentException("mutual CHAP needs one-way CHAP too: the target answers the "
                    + "initiator's challenge only after the initiator has authenticated (RFC 7143 §12.1.3)");
        }
        if (mutualChap.isPresent() && mutualChap.get().sameSecretAs(chap.get())) {
            // §12.1.3: a secret used to authenticate initiators MUST NOT authenticate targets.
            throw new IllegalArgumentException("the mutual CHAP secret must differ from the initiator's CHAP secret"
                    + " (RFC 7143 §12.1.3)");
        }
        if (chap.isPresent() && algorithms.isEmpty()) {
            throw new IllegalArgumentException("CHAP needs at least one algorithm");
        }
    }

    public static AuthConfig chap(ChapCredentials chap, Optional<ChapCredentials> mutual, Set<ChapDigest> algorithms) {
        return new AuthConfig(Optional.of(chap), mutual, algorithms);
    }

    public boolean required() {
        return chap.isPresent();
    }

    /** For banners and logs: what is on, never a secret. */
    public String describe() {
        if (chap.isEmpty()) {
            return "none";
        }
        List<String> names = algorithms.stream().sorted().map(ChapDigest::configName).toList();
        return "CHAP user " + chap.get().user() + (mutualChap.isPresent() ? ", mutual (target user "
                + mutualChap.get().user() + ")" : "") + ", algorithms " + String.join(",", names);
    }
}
