package io.jtarget.iscsi.session;

import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.IscsiNameFolding;
import io.jtarget.config.ServerConfig;
import io.jtarget.iscsi.login.LoginSettings;
import io.jtarget.iscsi.login.TargetDirectory;
import io.jtarget.iscsi.login.TargetNegotiationLimits;
import io.jtarget.iscsi.login.TextLimits;
import java.net.InetAddress;
import java.util.Optional;
import io.netty.channel.group.ChannelGroup;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every connection of the server shares: the exported targets, the portal group,
 * the limits, and the session registry. Immutable but for the registry and channel group.
 */
public final class IscsiServerContext {
    /** The single portal group this server has (RFC 7143 §4.4.1); reported as TargetPortalGroupTag. */
    public static final int PORTAL_GROUP_TAG = 1;

    private final Map<String, ExportedTarget> targets;
    private final List<InetSocketAddress> portals = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ServerConfig.Limits limits;
    private final SessionRegistry sessions = new SessionRegistry();
    private final ChannelGroup channels;
    private final LoginSettings loginSettings;

    private final SecurityPolicy security;
    private final ConnectionLimits connectionLimits;
    private final ConnectionAdmission admission;

    public IscsiServerContext(List<ExportedTarget> targets, ServerConfig.Limits limits, ChannelGroup channels,
            SecurityPolicy security, ConnectionLimits connectionLimits) {
        Map<String, ExportedTarget> byName = new LinkedHashMap<>();
        for (ExportedTarget t : targets) {
            byName.put(IscsiNameFolding.fold(t.name()), t);
        }
        this.targets = Map.copyOf(byName);
        this.limits = limits;
        this.channels = channels;
        this.security = security;
        this.connectionLimits = connectionLimits;
        this.admission = new ConnectionAdmission(connectionLimits);
        this.loginSettings = new LoginSettings(TargetNegotiationLimits.defaults(), PORTAL_GROUP_TAG, new TargetDirectory() {
            @Override
            public Optional<TargetIdentity> find(String targetName) {
                return Optional.ofNullable(target(targetName)).map(t -> new TargetIdentity(t.name(), Optional.empty()));
            }

            @Override
            public boolean mayAccess(String initiatorName, InetAddress address, String targetName) {
                return IscsiServerContext.this.mayAccess(initiatorName, address, targetName);
            }
        }, security.authenticators(), TextLimits.defaults());
    }

    /** What every login on this portal group negotiates with. */
    public LoginSettings loginSettings() {
        return loginSettings;
    }

    /** The login settings of the portal a connection arrived on: its own TargetPortalGroupTag. */
    public LoginSettings loginSettings(InetSocketAddress local) {
        LoginSettings s = loginSettings();
        int tag = portalGroupTag(local);
        return tag == s.portalGroupTag() ? s
                : new LoginSettings(s.limits(), tag, s.targets(), s.authenticators(), s.textLimits());
    }

    /**
     * Each portal is its own portal group and so its own SCSI target port (RFC 7143 §4.4.1, SAM-5
     * §4.7): the tag is the portal's position among the bound portals, from 1. Two paths to a LU
     * through two portals are two I_T nexuses with different relative target port identifiers.
     */
    public int portalGroupTag(InetSocketAddress local) {
        List<InetSocketAddress> bound = portals();
        for (int i = 0; i < bound.size(); i++) {
            InetSocketAddress p = bound.get(i);
            if (local != null && p.getPort() == local.getPort()
                    && (p.getAddress() == null || p.getAddress().isAnyLocalAddress() || p.getAddress().equals(local.getAddress()))) {
                return i + 1;
            }
        }
        return PORTAL_GROUP_TAG;
    }

    /**
     * The SCSI target port name of a target behind portal group {@code tag}: {@code
     * <TargetName>,t,0x<TPGT>} (RFC 7143 §4.4.1), the name the target core registers the port
     * under and the one each I_T nexus through it carries.
     */
    public static String targetPortName(String targetName, int tag) {
        return String.format("%s,t,0x%04x", targetName, tag);
    }

    /** Access control: may this initiator, connecting from {@code address}, log in to this target? */
    public boolean mayAccess(String initiatorName, InetAddress address, String targetName) {
        return security.mayAccess(initiatorName, address, targetName);
    }

    public SecurityPolicy security() {
        return security;
    }

    public ConnectionLimits connectionLimits() {
        return connectionLimits;
    }

    /** Counts connections per server and per address (RFC 7143 §11.13.5 0x0302 / 0x0206 beyond them). */
    public ConnectionAdmission admission() {
        return admission;
    }

    /** iSCSI names compare case-insensitively after stringprep (RFC 7143 §4.2.7.1; {@link IscsiNameFolding}). */
    public ExportedTarget target(String name) {
        return name == null ? null : targets.get(IscsiNameFolding.fold(name));
    }

    public List<ExportedTarget> targets() {
        return targets.values().stream().sorted(java.util.Comparator.comparing(ExportedTarget::name)).toList();
    }

    /** The portal group's addresses (RFC 7143 §4.4.1), as bound. */
    public List<InetSocketAddress> portals() {
        return List.copyOf(portals);
    }

    public void addPortal(InetSocketAddress bound) {
        portals.add(bound);
    }

    public ServerConfig.Limits limits() {
        return limits;
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    public ChannelGroup channels() {
        return channels;
    }
}
