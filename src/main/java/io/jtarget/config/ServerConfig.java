package io.jtarget.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

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
 */
public record ServerConfig(List<InetSocketAddress> portals, List<TargetConfig> targets, Limits limits,
        AuthConfig discoveryAuth, ConnectionLimits connectionLimits) {
    public ServerConfig {
        portals = List.copyOf(portals);
        targets = List.copyOf(targets);
        java.util.Objects.requireNonNull(limits, "limits");
        java.util.Objects.requireNonNull(discoveryAuth, "discoveryAuth");
        java.util.Objects.requireNonNull(connectionLimits, "connectionLimits");
    }

    /** No discovery authentication, default connection limits. */
    public ServerConfig(List<InetSocketAddress> portals, List<TargetConfig> targets, Limits limits) {
        this(portals, targets, limits, AuthConfig.NONE, ConnectionLimits.defaults());
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
