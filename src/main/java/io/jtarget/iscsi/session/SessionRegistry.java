package io.jtarget.iscsi.session;

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
    synchronized Optional<Session> register(Session session) {
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
