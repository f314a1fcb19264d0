package io.jtarget.iscsi.session;

import io.jtarget.config.AuthConfig;
import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.IscsiNameFolding;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.iscsi.login.LoginSettings;
import io.jtarget.iscsi.login.TargetDirectory;
import io.jtarget.iscsi.login.TargetNegotiationLimits;
import io.jtarget.iscsi.login.TextLimits;
import io.jtarget.metrics.LoginStats;
import io.jtarget.registry.Registry;
import io.jtarget.registry.ServedTarget;
import java.net.InetAddress;
import java.util.Optional;
import io.netty.channel.group.ChannelGroup;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every connection of the server shares: the exported targets, the portal group,
 * the limits, and the session registry. Immutable but for the registry and channel group.
 */
public final class IscsiServerContext {
    /** The single portal group this server has (RFC 7143 §4.4.1); reported as TargetPortalGroupTag. */
    public static final int PORTAL_GROUP_TAG = 1;

    /** A bound portal and its portal group tag (each portal is its own portal group). */
    public record Portal(InetSocketAddress address, int tag) {}

    private final Registry registry;
    private final List<Portal> portals = new CopyOnWriteArrayList<>();
    private final ServerConfig.Limits limits;
    private final SessionRegistry sessions = new SessionRegistry();
    private final ChannelGroup channels;
    private volatile AuthConfig discoveryAuth;
    /** Rebuilt from the registry whenever a target or its rules change; logins read the current one. */
    private volatile SecurityPolicy security;
    private volatile LoginSettings loginSettings;
    private final ConnectionLimits connectionLimits;
    private final ConnectionAdmission admission;
    private final LoginStats loginStats = new LoginStats();
    /** Data-Out buffer bytes reserved by all connections together ({@link DataOutBudget}), for metrics. */
    private final LongAdder dataOutBytes = new LongAdder();

    /**
     * @param registry the targets served; read at every login, so targets added or removed later are seen
     * @param discoveryAuth how discovery sessions authenticate
     */
    public IscsiServerContext(Registry registry, ServerConfig.Limits limits, ChannelGroup channels,
            AuthConfig discoveryAuth, ConnectionLimits connectionLimits) {
        this.registry = registry;
        this.limits = limits;
        this.channels = channels;
        this.discoveryAuth = discoveryAuth;
        this.connectionLimits = connectionLimits;
        this.admission = new ConnectionAdmission(connectionLimits);
        rulesChanged();
    }

    /**
     * Rebuild the authentication and access rules from the registry (a target or its rules changed):
     * logins from now on follow them; sessions already logged in are not disturbed.
     */
    public synchronized void rulesChanged() {
        SecurityPolicy policy = SecurityPolicy.of(discoveryAuth, registry.targets().stream()
                .map(t -> new TargetConfig(t.name(), List.of(), t.auth(), t.access())).toList());
        this.security = policy;
        this.loginSettings = new LoginSettings(TargetNegotiationLimits.defaults(), PORTAL_GROUP_TAG, new TargetDirectory() {
            @Override
            public Optional<TargetIdentity> find(String targetName) {
                return Optional.ofNullable(target(targetName)).map(t -> new TargetIdentity(t.name(), Optional.empty()));
            }

            @Override
            public boolean mayAccess(String initiatorName, InetAddress address, String targetName) {
                return IscsiServerContext.this.mayAccess(initiatorName, address, targetName);
            }
        }, policy.authenticators(), TextLimits.defaults());
    }

    /** Replace how discovery sessions authenticate. */
    public void discoveryAuth(AuthConfig auth) {
        this.discoveryAuth = auth;
        rulesChanged();
    }

    public Registry registry() {
        return registry;
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
     * §4.7): the tag is given when the portal is bound (its position among the portals bound at
     * start, from 1; a portal bound later gets the next free one) and kept while it is bound. Two paths to a LU
     * through two portals are two I_T nexuses with different relative target port identifiers.
     */
    public int portalGroupTag(InetSocketAddress local) {
        for (Portal portal : portals) {
            InetSocketAddress p = portal.address();
            if (local != null && p.getPort() == local.getPort()
                    && (p.getAddress() == null || p.getAddress().isAnyLocalAddress() || p.getAddress().equals(local.getAddress()))) {
                return portal.tag();
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
    public ServedTarget target(String name) {
        return registry.target(name);
    }

    public List<ServedTarget> targets() {
        return registry.targets();
    }

    /** The portals' addresses (RFC 7143 §4.4.1), as bound, in the order they were bound. */
    public List<InetSocketAddress> portals() {
        return portals.stream().map(Portal::address).toList();
    }

    /** The bound portals with their tags. */
    public List<Portal> portalsWithTags() {
        return List.copyOf(portals);
    }

    /** A portal was bound: it gets the lowest tag no bound portal has. */
    public synchronized Portal addPortal(InetSocketAddress bound) {
        int tag = 1;
        while (true) {
            int t = tag;
            if (portals.stream().noneMatch(p -> p.tag() == t)) {
                break;
            }
            tag++;
        }
        Portal portal = new Portal(bound, tag);
        portals.add(portal);
        return portal;
    }

    /** A portal was unbound. */
    public synchronized void removePortal(Portal portal) {
        portals.remove(portal);
    }

    public ServerConfig.Limits limits() {
        return limits;
    }

    /** Logins by target and outcome. */
    public LoginStats loginStats() {
        return loginStats;
    }

    /** Data-Out buffer bytes all connections hold now. */
    public long dataOutBytes() {
        return dataOutBytes.sum();
    }

    LongAdder dataOutBytesCounter() {
        return dataOutBytes;
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    public ChannelGroup channels() {
        return channels;
    }
}
