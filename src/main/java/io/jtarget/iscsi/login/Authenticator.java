package io.jtarget.iscsi.login;

import java.util.Optional;

/**
 * One authentication method the target offers in the SecurityNegotiation stage (RFC 7143 §12),
 * selected through the AuthMethod list negotiation. Implementations are shared and stateless; the
 * per-connection state lives in the {@link AuthenticationExchange} that {@link #begin} returns.
 */
public interface Authenticator {
    /** The AuthMethod value this method answers to, e.g. "None" or "CHAP". */
    String method();

    /**
     * Whether this method may authenticate a login of this kind: discovery sessions and each target
     * can have their own methods and credentials. Asked once the first Login Request has named the
     * session type and target; methods that do not apply are neither offered nor accepted.
     */
    default boolean appliesTo(SessionType sessionType, Optional<String> targetName) {
        return true;
    }

    /**
     * Starts authenticating one login connection.
     *
     * @param initiatorName the declared InitiatorName
     * @param targetName the TargetName for a normal session, empty for discovery
     */
    AuthenticationExchange begin(String initiatorName, Optional<String> targetName, SessionType sessionType);
}
