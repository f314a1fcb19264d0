package io.jtarget.iscsi.login;

import java.util.List;
import java.util.Optional;

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

    private NoAuthentication() {}

    @Override
    public String method() {
        return TextKeys.NONE;
    }

    @Override
    public AuthenticationExchange begin(String initiatorName, Optional<String> targetName, SessionType sessionType) {
        return EXCHANGE;
    }
}
