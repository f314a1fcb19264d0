package io.jtarget.iscsi.login;

import java.util.List;

/** What to answer to one (reassembled) Login Request. */
public sealed interface NegotiationResult {
    /**
     * Answer with Status 0x0000 and these keys.
     *
     * @param response the keys for the Login Response data segment, in order
     * @param stageComplete true when the target is ready to leave the current stage: in
     *     SecurityNegotiation, authentication has succeeded; in LoginOperationalNegotiation, no key
     *     the target offered is awaiting the initiator's answer. The response may set T=1 only when
     *     the request had T=1 and this is true (RFC 7143 §6.3, §11.13.1).
     */
    record Proceed(List<KeyValue> response, boolean stageComplete) implements NegotiationResult {
        public Proceed {
            response = List.copyOf(response);
        }
    }

    /** Refuse the login with this status; the connection is closed after the response (§6.3). */
    record Fail(LoginFailure failure) implements NegotiationResult {}
}
