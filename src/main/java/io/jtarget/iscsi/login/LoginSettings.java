package io.jtarget.iscsi.login;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The fixed inputs of every login on one portal group.
 *
 * @param limits what the target negotiates
 * @param portalGroupTag the tag declared as TargetPortalGroupTag (§13.9), 0..65535
 * @param targets the exported targets and their access control
 * @param authenticators the AuthMethods the target accepts; include {@link NoAuthentication} to let
 *     initiators log in without authentication (and skip the SecurityNegotiation stage)
 * @param textLimits bounds applied when decoding text segments
 */
public record LoginSettings(
        TargetNegotiationLimits limits,
        int portalGroupTag,
        TargetDirectory targets,
        List<Authenticator> authenticators,
        TextLimits textLimits) {

    public LoginSettings {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(textLimits, "textLimits");
        authenticators = List.copyOf(authenticators);
        if (portalGroupTag < 0 || portalGroupTag > 65535) {
            throw new IllegalArgumentException("portal group tag out of range 0..65535: " + portalGroupTag);
        }
        if (authenticators.isEmpty()) {
            throw new IllegalArgumentException("at least one AuthMethod is needed");
        }
    }

    /** Default limits, no authentication. */
    public static LoginSettings withoutAuthentication(int portalGroupTag, TargetDirectory targets) {
        return new LoginSettings(TargetNegotiationLimits.defaults(), portalGroupTag, targets,
                List.of(NoAuthentication.INSTANCE), TextLimits.defaults());
    }

    /** The methods a login of this session type (and target) may use, in configured order. */
    List<Authenticator> authenticatorsFor(SessionType sessionType, Optional<String> targetName) {
        return authenticators.stream().filter(a -> a.appliesTo(sessionType, targetName)).toList();
    }

    boolean allowsNoAuthentication(SessionType sessionType, Optional<String> targetName) {
        return authenticatorsFor(sessionType, targetName).stream().anyMatch(a -> a.method().equals(TextKeys.NONE));
    }
}
