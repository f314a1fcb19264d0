package io.jtarget.iscsi.session;

import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.registry.ServedTarget;
import io.jtarget.scsi.ItNexus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An iSCSI session (RFC 7143 §3.2): one I_T nexus, its command numbering and its lifecycle.
 * This server negotiates MaxConnections=1 and ErrorRecoveryLevel=0, so a session has exactly
 * one connection and lives on that connection's event loop; it is reached from elsewhere only
 * through the registry (reinstatement) and by tasks posted to that loop.
 *
 * <p>Lifecycle (drain, then release), one enum with logged transitions:
 * {@code FULL_FEATURE → DRAINING → CLOSED}. DRAINING starts on logout or connection loss: no
 * new commands are accepted, tasks still collecting data are dropped, the core aborts the
 * nexus' tasks, and the session waits until the last completion has come back. Only then is
 * it CLOSED and unregistered; after that no completion can reach it.
 */
public final class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    public enum Type {
        NORMAL,
        DISCOVERY
    }

    enum State {
        FULL_FEATURE,
        DRAINING,
        CLOSED
    }

    private final SessionRegistry.Key key;
    private final long isid;
    private final String initiatorName;
    private final String initiatorAlias;
    private final Type type;
    private final ServedTarget target;
    private final ItNexus nexus;
    private NegotiatedParameters parameters;
    final CommandWindow window;
    private int tsih;
    private State state = State.FULL_FEATURE;
    /** Set when the core has already been told the nexus is gone (reinstatement does it early). */
    private volatile boolean nexusReleased;
    volatile IscsiConnection connection;

    Session(long isid, String initiatorName, String initiatorAlias, Type type, ServedTarget target,
            ItNexus nexus, NegotiatedParameters parameters, CommandWindow window) {
        this.isid = isid;
        this.initiatorName = initiatorName;
        this.initiatorAlias = initiatorAlias;
        this.type = type;
        this.target = target;
        this.nexus = nexus;
        this.parameters = parameters;
        this.window = window;
        this.key = new SessionRegistry.Key(initiatorName, isid,
                target == null ? "" : target.name());
    }

    /** The session's connection (one, as MaxConnections=1), or null before it is attached. */
    public IscsiConnection connection() {
        return connection;
    }

    SessionRegistry.Key key() {
        return key;
    }

    void assignTsih(int tsih) {
        this.tsih = tsih;
    }

    public int tsih() {
        return tsih;
    }

    public long isid() {
        return isid;
    }

    public String initiatorName() {
        return initiatorName;
    }

    public String initiatorAlias() {
        return initiatorAlias;
    }

    public Type type() {
        return type;
    }

    /** The target of a normal session; null for discovery. */
    public ServedTarget target() {
        return target;
    }

    public ItNexus nexus() {
        return nexus;
    }

    /** The operational parameters in force (login, then any full-feature Text re-declaration). */
    public NegotiatedParameters parameters() {
        return parameters;
    }

    void updateParameters(NegotiatedParameters updated) {
        this.parameters = updated;
    }

    State state() {
        return state;
    }

    boolean acceptsCommands() {
        return state == State.FULL_FEATURE;
    }

    void transition(State next, String why) {
        if (state == next) {
            return;
        }
        log.debug("session tsih={} {} -> {} ({})", tsih, state, next, why);
        state = next;
    }

    /** Tell the core the nexus is gone, once; its tasks are aborted (SAM-5 §6.3.4). */
    void releaseNexus() {
        if (nexusReleased || target == null) {
            return;
        }
        nexusReleased = true;
        target.core().nexusLost(nexus);
    }

    public String describe() {
        return String.format("%s isid=%012x tsih=%d%s", initiatorName, isid, tsih,
                target == null ? " (discovery)" : " target=" + target.name());
    }
}
