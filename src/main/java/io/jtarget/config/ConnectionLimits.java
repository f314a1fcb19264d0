package io.jtarget.config;

/**
 * Bounds on what initiators can make the server hold (DESIGN.md "every limit is explicit").
 *
 * @param maxConnections connections open at once, logins in progress included; beyond it a login
 *     is answered 0x0302 Out of resources (RFC 7143 §11.13.5)
 * @param maxConnectionsPerAddress connections from one IP address; beyond it 0x0206 Too many connections
 * @param maxSessionsPerTarget sessions on one target; beyond it 0x0302 Out of resources
 * @param maxSessionsPerInitiator sessions of one InitiatorName (discovery included); beyond it
 *     0x0206 Too many connections. Session reinstatement (same ISID) never counts twice
 * @param maxDataOutBytesPerConnection Data-Out buffer memory one connection may hold across its
 *     write commands; a write that would exceed it ends with TASK SET FULL. At least the largest
 *     single transfer (8 MiB), so a lone command always fits
 */
public record ConnectionLimits(
        int maxConnections,
        int maxConnectionsPerAddress,
        int maxSessionsPerTarget,
        int maxSessionsPerInitiator,
        long maxDataOutBytesPerConnection) {

    public static final long MIN_DATA_OUT_BYTES = 8L * 1024 * 1024;

    // The defaults, as compile-time constants so the CLI's option defaults can name them.
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 128;
    public static final int DEFAULT_MAX_SESSIONS_PER_TARGET = 256;
    public static final int DEFAULT_MAX_SESSIONS_PER_INITIATOR = 64;
    public static final int DEFAULT_MAX_DATA_OUT_MIB = 64;

    public ConnectionLimits {
        positive("maxConnections", maxConnections);
        positive("maxConnectionsPerAddress", maxConnectionsPerAddress);
        positive("maxSessionsPerTarget", maxSessionsPerTarget);
        positive("maxSessionsPerInitiator", maxSessionsPerInitiator);
        if (maxDataOutBytesPerConnection < MIN_DATA_OUT_BYTES) {
            throw new IllegalArgumentException("maxDataOutBytesPerConnection must be at least "
                    + MIN_DATA_OUT_BYTES + " (the largest single transfer), got " + maxDataOutBytesPerConnection);
        }
    }

    public static ConnectionLimits defaults() {
        return new ConnectionLimits(DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
                DEFAULT_MAX_SESSIONS_PER_TARGET, DEFAULT_MAX_SESSIONS_PER_INITIATOR, DEFAULT_MAX_DATA_OUT_MIB * 1024L * 1024);
    }

    private static void positive(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
    }
}
