package io.jtarget.iscsi.login;

import java.util.List;
import java.util.Optional;
import java.util.function.BiPredicate;

/** AuthMethod=None (RFC 7143 §12): the initiator is accepted without an exchange. */
public final class NoAuthentication implements Authenticator {
    public static final NoAuthentication INSTANCE = new NoAuthentication();

    private static final AuthenticationExchange EXCHANGE = new AuthenticationExchange() {
        @Override
        public boolean handlesKey(String key) {
            return false;
        }

        @Override
        public AuthenticationStep step(List<KeyValue> keys) {
            return new AuthenticationStep.Authenticated(List.of());
        }
    };

    private final BiPredicate<SessionType, Optional<String>> scope;

    private NoAuthentication() {
        this((type, target) -> true);
    }

    private NoAuthentication(BiPredicate<SessionType, Optional<String>> scope) {
        this.scope = scope;
    }

    /**
     * AuthMethod=None only for the logins {@code scope} accepts (session type, target name); the
     * others must use one of the other configured methods or fail with 0x0201.
     */
    public static NoAuthentication where(BiPredicate<SessionType, Optional<String>> scope) {
        return new NoAuthentication(scope);
    }

    @Override
    public boolean appliesTo(SessionType sessionType, Optional<String> targetName) {
        return scope.test(sessionType, targetName);
    }

    @Override
    public String method() {
        return TextKeys.NONE;
    }

    @Override
    public AuthenticationExchange begin(String initiatorName, Optional<String> targetName, SessionType sessionType) {
        return EXCHANGE;
    }
}
