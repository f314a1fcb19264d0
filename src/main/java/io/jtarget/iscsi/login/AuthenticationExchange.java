package io.jtarget.iscsi.login;

import java.util.List;

/** The state of one method's exchange on one login connection (e.g. CHAP_A, CHAP_I/CHAP_C, CHAP_N/CHAP_R). */
public interface AuthenticationExchange {
    /** True for keys this method consumes (e.g. CHAP_A); the negotiator routes those keys here. */
    boolean handlesKey(String key);

    /**
     * Feeds the method's keys of one login request (possibly none: the first step right after
     * AuthMethod was selected) and returns the answer.
     */
    AuthenticationStep step(List<KeyValue> keys);
}
