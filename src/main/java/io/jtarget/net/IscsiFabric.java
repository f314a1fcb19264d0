package io.jtarget.net;

import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.session.IscsiConnection;
import io.jtarget.iscsi.session.IscsiServerContext;
import io.jtarget.iscsi.session.Session;
import io.jtarget.registry.Fabric;
import io.jtarget.registry.ServedTarget;
import io.jtarget.registry.SessionInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** iSCSI as the registry sees it: its sessions, and ending them when their target goes. */
final class IscsiFabric implements Fabric {
    static final String NAME = "iscsi";
    private static final String ID_PREFIX = NAME + ":";
    /** How often a target removal looks whether its sessions have drained. */
    private static final long DRAIN_POLL_MILLIS = 20;

    private final IscsiServerContext context;
    private final ScheduledExecutorService timer;

    IscsiFabric(IscsiServerContext context, ScheduledExecutorService timer) {
        this.context = context;
        this.timer = timer;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void targetAdded(ServedTarget target) {
        for (IscsiServerContext.Portal p : context.portalsWithTags()) {
            target.core().addTargetPort(p.tag(), IscsiServerContext.targetPortName(target.name(), p.tag()));
        }
    }

    @Override
    public void rulesChanged() {
        context.rulesChanged();
    }

    /** Closes the target's connections; each session drains as on connection loss (the session lifecycle). */
    @Override
    public CompletableFuture<Void> endSessions(ServedTarget target) {
        List<Session> ending = new ArrayList<>();
        for (Session s : context.sessions().all()) {
            if (s.target() == target) {
                ending.add(s);
                IscsiConnection c = s.connection();
                if (c != null) {
                    c.drop("target " + target.name() + " removed");
                }
            }
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicReference<ScheduledFuture<?>> poll = new AtomicReference<>();
        poll.set(timer.scheduleAtFixedRate(() -> {
            List<Session> live = context.sessions().all();
            if (ending.stream().noneMatch(live::contains)) {
                done.complete(null);
                ScheduledFuture<?> f = poll.get();
                if (f != null) {
                    f.cancel(false);
                }
            }
        }, 0, DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS));
        return done;
    }

    @Override
    public List<SessionInfo> sessions() {
        List<SessionInfo> result = new ArrayList<>();
        for (Session s : context.sessions().all()) {
            IscsiConnection c = s.connection();
            result.add(new SessionInfo(id(s), NAME, s.initiatorName(), c == null ? "?" : c.initiatorAddress(),
                    s.target() == null ? "" : s.target().name(), parameters(s.parameters()),
                    c == null ? 0 : c.outstandingCommands()));
        }
        return result;
    }

    @Override
    public boolean dropSession(String id) {
        for (Session s : context.sessions().all()) {
            if (id(s).equals(id)) {
                IscsiConnection c = s.connection();
                if (c != null) {
                    c.drop("dropped by the administrator");
                }
                return true;
            }
        }
        return false;
    }

    /** {@code iscsi:0x<TSIH>}: unique among live sessions (RFC 7143 §11.12.6). */
    private static String id(Session s) {
        return ID_PREFIX + String.format("0x%04x", s.tsih());
    }

    /** The operational parameters in force, by their RFC 7143 §13 key names. */
    private static Map<String, String> parameters(NegotiatedParameters p) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("HeaderDigest", p.headerDigest() ? "CRC32C" : "None");
        m.put("DataDigest", p.dataDigest() ? "CRC32C" : "None");
        m.put("MaxRecvDataSegmentLength", Integer.toString(p.initiatorMaxRecvDataSegmentLength()));
        m.put("TargetMaxRecvDataSegmentLength", Integer.toString(p.targetMaxRecvDataSegmentLength()));
        m.put("MaxBurstLength", Integer.toString(p.maxBurstLength()));
        m.put("FirstBurstLength", Integer.toString(p.firstBurstLength()));
        m.put("InitialR2T", p.initialR2T() ? "Yes" : "No");
        m.put("ImmediateData", p.immediateData() ? "Yes" : "No");
        m.put("MaxOutstandingR2T", Integer.toString(p.maxOutstandingR2T()));
        m.put("ErrorRecoveryLevel", Integer.toString(p.errorRecoveryLevel()));
        return m;
    }
}
