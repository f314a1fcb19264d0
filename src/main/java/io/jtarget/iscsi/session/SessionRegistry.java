package io.jtarget.iscsi.session;

import io.jtarget.config.IscsiNameFolding;
import io.jtarget.iscsi.login.LoginFailure;
import io.jtarget.iscsi.login.LoginStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every live session of the server, by I_T nexus identity (InitiatorName, ISID, TargetName,
 * RFC 7143 §4.4.3) and by TSIH. Logins on different event loops meet here; everything else
 * about a session is owned by its connection's loop.
 */
public final class SessionRegistry {

    /** Session identity for reinstatement: same initiator, same ISID, same target (§6.3.5). */
    record Key(String initiatorName, long isid, String targetName) {}

    private final ConcurrentHashMap<Key, Session> byKey = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Session> byTsih = new ConcurrentHashMap<>();
    private int nextTsih = 1;

    /** Register a new session, returning the one it replaces (session reinstatement), if any. */
    private Optional<Session> register(Session session) {
        int tsih;
        do {
            tsih = nextTsih;
            nextTsih = (nextTsih + 1) & 0xffff;
            if (nextTsih == 0) {
                nextTsih = 1; // TSIH 0 is reserved for "new session" (§11.12.6)
            }
        } while (byTsih.containsKey(tsih));
        session.assignTsih(tsih);
        byTsih.put(tsih, session);
        Session previous = byKey.put(session.key(), session);
        if (previous != null) {
            byTsih.remove(previous.tsih(), previous);
        }
        return Optional.ofNullable(previous);
    }

    /** The outcome of {@link #register(Session, int, int)}: the reinstated session, or why none was registered. */
    record Registration(Optional<Session> replaced, Optional<LoginFailure> refusal) {}

    /**
     * Registers a new session unless it would exceed the session limits, checked and registered
     * atomically so concurrent logins on different loops cannot both slip under a limit. A session
     * that reinstates one of the same I_T nexus (§6.3.5) replaces it and so never counts twice.
     * Beyond the per-target limit the login gets 0x0302 Out of resources; beyond the per-initiator
     * limit 0x0206 Too many connections (RFC 7143 §11.13.5).
     */
    synchronized Registration register(Session session, int maxPerTarget, int maxPerInitiator) {
        if (!byKey.containsKey(session.key())) {
            int sameTarget = 0;
            int sameInitiator = 0;
            String initiator = IscsiNameFolding.fold(session.initiatorName());
            for (Session s : byTsih.values()) {
                if (!s.key().targetName().isEmpty() && s.key().targetName().equals(session.key().targetName())) {
                    sameTarget++;
                }
                if (IscsiNameFolding.fold(s.initiatorName()).equals(initiator)) {
                    sameInitiator++;
                }
            }
            if (!session.key().targetName().isEmpty() && sameTarget >= maxPerTarget) {
                return new Registration(Optional.empty(), Optional.of(new LoginFailure(LoginStatus.OUT_OF_RESOURCES,
                        "target has " + sameTarget + " sessions (limit " + maxPerTarget + ")")));
            }
            if (sameInitiator >= maxPerInitiator) {
                return new Registration(Optional.empty(), Optional.of(new LoginFailure(LoginStatus.TOO_MANY_CONNECTIONS,
                        "initiator has " + sameInitiator + " sessions (limit " + maxPerInitiator + ")")));
            }
        }
        return new Registration(register(session), Optional.empty());
    }

    synchronized void remove(Session session) {
        byKey.remove(session.key(), session);
        byTsih.remove(session.tsih(), session);
    }

    Optional<Session> byTsih(int tsih) {
        return Optional.ofNullable(byTsih.get(tsih));
    }

    public List<Session> all() {
        return new ArrayList<>(byTsih.values());
    }

    public int size() {
        return byTsih.size();
    }
}
