package io.jtarget.iscsi.session;

import io.jtarget.config.ConnectionLimits;
import io.jtarget.iscsi.login.LoginStatus;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Counts open connections, server-wide and per initiator address, against {@link ConnectionLimits}.
 * Connections of every event loop meet here, so the counts are guarded by this object's lock
 * (taken once per connect and disconnect, never on the I/O path).
 */
public final class ConnectionAdmission {
    private final ConnectionLimits limits;
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();
    private int total;

    ConnectionAdmission(ConnectionLimits limits) {
        this.limits = limits;
    }

    /**
     * Admits a new connection, or tells which login status refuses it (RFC 7143 §11.13.5): 0x0302
     * Out of resources when the server is full, 0x0206 Too many connections for one address. A
     * refused connection is not counted and must not be {@link #release}d.
     */
    public synchronized Optional<LoginStatus> admit(InetAddress address) {
        if (total >= limits.maxConnections()) {
            return Optional.of(LoginStatus.OUT_OF_RESOURCES);
        }
        int here = perAddress.getOrDefault(address, 0);
        if (here >= limits.maxConnectionsPerAddress()) {
            return Optional.of(LoginStatus.TOO_MANY_CONNECTIONS);
        }
        perAddress.put(address, here + 1);
        total++;
        return Optional.empty();
    }

    public synchronized void release(InetAddress address) {
        Integer here = perAddress.get(address);
        if (here == null) {
            return;
        }
        if (here <= 1) {
            perAddress.remove(address);
        } else {
            perAddress.put(address, here - 1);
        }
        total--;
    }

    public synchronized int open() {
        return total;
    }
}
