package io.jtarget.iscsi.login;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One network portal of a target as reported in TargetAddress (RFC 7143 §13.8):
 * {@code domainname[:port][,portal-group-tag]}.
 *
 * @param host a DNS name, an IPv4 dotted-decimal address or an IPv6 address (without brackets)
 * @param port the TCP port
 * @param portalGroupTag the portal group this portal belongs to, 0..65535
 */
public record TargetPortal(String host, int port, int portalGroupTag) {
    public TargetPortal {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (portalGroupTag < 0 || portalGroupTag > 65535) {
            throw new IllegalArgumentException("portal group tag out of range: " + portalGroupTag);
        }
    }

    /**
     * A portal from a socket address. A wildcard listening address (0.0.0.0, ::) is useless to a
     * remote initiator: pass the connection's local address instead. An IPv6 zone ("%eth0") is
     * dropped because it means nothing on the initiator's host.
     */
    public static TargetPortal of(InetSocketAddress address, int portalGroupTag) {
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        int zone = host.indexOf('%');
        if (zone >= 0) {
            host = host.substring(0, zone);
        }
        return new TargetPortal(host, address.getPort(), portalGroupTag);
    }

    /** The TargetAddress value; IPv6 literals are bracketed as §13.8 requires. */
    public String toTargetAddress() {
        boolean ipv6 = host.indexOf(':') >= 0;
        String bracketed = ipv6 && !host.startsWith("[") ? "[" + host + "]" : host;
        return bracketed + ":" + port + "," + portalGroupTag;
    }

}
