package io.jtarget.iscsi.login;

import java.util.List;

/** The outcome of one step of an {@link AuthenticationExchange}. */
public sealed interface AuthenticationStep {
    /** More login requests are needed; {@code response} goes into this Login Response. */
    record Continue(List<KeyValue> response) implements AuthenticationStep {
        public Continue {
            response = List.copyOf(response);
        }
    }

    /** The initiator is authenticated (and, for mutual methods, the target too). */
    record Authenticated(List<KeyValue> response) implements AuthenticationStep {
        public Authenticated {
            response = List.copyOf(response);
        }
    }

    /** Authentication failed; normally {@link LoginStatus#AUTHENTICATION_FAILURE} (§11.13.5). */
    record Failed(LoginFailure failure) implements AuthenticationStep {}
}
