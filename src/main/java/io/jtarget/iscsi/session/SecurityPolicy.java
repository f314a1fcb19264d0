package io.jtarget.iscsi.session;

import static io.jtarget.config.IscsiNameFolding.fold;

import io.jtarget.config.AccessConfig;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.ChapCredentials;
import io.jtarget.config.ChapDigest;
import io.jtarget.config.IscsiNameFolding;
import io.jtarget.config.TargetConfig;
import io.jtarget.iscsi.login.Authenticator;
import io.jtarget.iscsi.login.ChapAlgorithm;
import io.jtarget.iscsi.login.ChapAuthenticator;
import io.jtarget.iscsi.login.NoAuthentication;
import io.jtarget.iscsi.login.SessionType;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The configured authentication and access control turned into what login needs: the
 * AuthMethods per session kind (discovery, each target) and the access decision. Immutable.
 */
public final class SecurityPolicy {
    private record TargetRules(AuthConfig auth, AccessConfig access) {}

    private final AuthConfig discovery;
    private final Map<String, TargetRules> targets;
    private final List<Authenticator> authenticators;

    private SecurityPolicy(AuthConfig discovery, Map<String, TargetRules> targets) {
        this.discovery = discovery;
        this.targets = Map.copyOf(targets);
        SecureRandom random = new SecureRandom();
        List<Authenticator> list = new ArrayList<>();
        // CHAP first: an initiator offering "CHAP,None" to a target that requires CHAP gets CHAP;
        // where None applies, CHAP does not, so the order never overrides the initiator's preference.
        discovery.chap().ifPresent(chap -> list.add(chap(discovery, chap,
                (type, target) -> type == SessionType.DISCOVERY, random)));
        for (Map.Entry<String, TargetRules> e : this.targets.entrySet()) {
            AuthConfig auth = e.getValue().auth();
            String key = e.getKey();
            auth.chap().ifPresent(chap -> list.add(chap(auth, chap,
                    (type, target) -> type == SessionType.NORMAL && target.map(IscsiNameFolding::fold).orElse("").equals(key),
                    random)));
        }
        list.add(NoAuthentication.where((type, target) -> !authFor(type, target).required()));
        this.authenticators = List.copyOf(list);
    }

    public static SecurityPolicy of(AuthConfig discovery, List<TargetConfig> targets) {
        Map<String, TargetRules> rules = new HashMap<>();
        for (TargetConfig t : targets) {
            rules.put(fold(t.name()), new TargetRules(t.auth(), t.access()));
        }
        return new SecurityPolicy(discovery, rules);
    }

    public List<Authenticator> authenticators() {
        return authenticators;
    }

    /** Unknown targets are denied; a known target follows its access rules. */
    public boolean mayAccess(String initiatorName, InetAddress address, String targetName) {
        TargetRules rules = targets.get(fold(targetName));
        return rules != null && rules.access().allows(initiatorName, address);
    }

    public AuthConfig discoveryAuth() {
        return discovery;
    }

    /** The authentication in force for a target, {@link AuthConfig#NONE} if not configured. */
    public AuthConfig targetAuth(String targetName) {
        TargetRules rules = targets.get(fold(targetName));
        return rules == null ? AuthConfig.NONE : rules.auth();
    }

    /** The access rules of a target, {@link AccessConfig#ANY} if not configured. */
    public AccessConfig targetAccess(String targetName) {
        TargetRules rules = targets.get(fold(targetName));
        return rules == null ? AccessConfig.ANY : rules.access();
    }

    private AuthConfig authFor(SessionType type, Optional<String> target) {
        return type == SessionType.DISCOVERY ? discovery : target.map(this::targetAuth).orElse(AuthConfig.NONE);
    }

    private static ChapAuthenticator chap(AuthConfig auth, ChapCredentials chap,
            java.util.function.BiPredicate<SessionType, Optional<String>> scope, SecureRandom random) {
        Set<ChapAlgorithm> algorithms = EnumSet.noneOf(ChapAlgorithm.class);
        for (ChapDigest d : auth.algorithms()) {
            algorithms.add(algorithm(d));
        }
        return new ChapAuthenticator(credentials(chap), auth.mutualChap().map(SecurityPolicy::credentials),
                algorithms, scope, random);
    }

    /** The configured digest as the protocol's CHAP_A algorithm; a new digest fails to compile here. */
    static ChapAlgorithm algorithm(ChapDigest digest) {
        return switch (digest) {
            case SHA3_256 -> ChapAlgorithm.SHA3_256;
            case SHA_256 -> ChapAlgorithm.SHA_256;
            case SHA_1 -> ChapAlgorithm.SHA_1;
            case MD5 -> ChapAlgorithm.MD5;
        };
    }

    private static ChapAuthenticator.Credentials credentials(ChapCredentials c) {
        return new ChapAuthenticator.Credentials(c.user(), c.secret());
    }
}
