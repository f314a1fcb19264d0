package io.jtarget.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the server needs to run, immutable. The CLI builds it; later the configuration
 * file and the management API do too.
 *
 * @param portals addresses to listen on (one portal group, tag 1)
 * @param targets exported targets
 * @param limits explicit, configurable bounds
 * @param discoveryAuth how initiators authenticate for discovery sessions (SendTargets), separate
 *     from each target's own authentication
 * @param connectionLimits bounds on connections, sessions and buffered Data-Out
 * @param stateDir where state that must survive a restart lives (persistent reservations with
 *     APTPL=1); null keeps no such state
 * @param stores options every backing store is opened with (cluster configuration, I/O deadline)
 */
public record ServerConfig(List<InetSocketAddress> portals, List<TargetConfig> targets, Limits limits,
        AuthConfig discoveryAuth, ConnectionLimits connectionLimits, Path stateDir, StoreSettings stores) {
    public ServerConfig {
        portals = List.copyOf(portals);
        targets = List.copyOf(targets);
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(discoveryAuth, "discoveryAuth");
        Objects.requireNonNull(connectionLimits, "connectionLimits");
        Objects.requireNonNull(stores, "stores");
    }

    /** Default store settings. */
    public ServerConfig(List<InetSocketAddress> portals, List<TargetConfig> targets, Limits limits,
            AuthConfig discoveryAuth, ConnectionLimits connectionLimits, Path stateDir) {
        this(portals, targets, limits, discoveryAuth, connectionLimits, stateDir, StoreSettings.defaults());
    }

    /** No discovery authentication, default connection limits, no state directory. */
    public ServerConfig(List<InetSocketAddress> portals, List<TargetConfig> targets, Limits limits) {
        this(portals, targets, limits, AuthConfig.NONE, ConnectionLimits.defaults(), null);
    }

    /** No discovery authentication and default connection limits. */
    public ServerConfig(List<InetSocketAddress> portals, List<TargetConfig> targets, Limits limits, Path stateDir) {
        this(portals, targets, limits, AuthConfig.NONE, ConnectionLimits.defaults(), stateDir);
    }

    /** No state directory. */
    public ServerConfig(List<InetSocketAddress> portals, List<TargetConfig> targets, Limits limits,
            AuthConfig discoveryAuth, ConnectionLimits connectionLimits) {
        this(portals, targets, limits, discoveryAuth, connectionLimits, null);
    }

    /**
     * @param eventLoopThreads network threads (0 = one per core)
     * @param backendThreads threads for blocking backing-store I/O
     * @param nopInInterval idle time after which the target pings the initiator with a NOP-In
     * @param nopInTimeout how long an unanswered ping may stay unanswered before the connection is dropped
     * @param loginTimeout a login that has not reached full feature phase by then is dropped
     * @param maxCommandsPerSession the CmdSN window (MaxCmdSN - ExpCmdSN + 1)
     */
    public record Limits(
            int eventLoopThreads,
            int backendThreads,
            Duration nopInInterval,
            Duration nopInTimeout,
            Duration loginTimeout,
            int maxCommandsPerSession) {

        public static Limits defaults() {
            return new Limits(0, 4, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(15), 128);
        }
    }
}
