package io.jtarget.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Portal addresses as written on the command line and in the configuration: {@code HOST:PORT}, {@code [v6]:PORT}. */
public final class Portals {
    private Portals() {}

    /** @throws IllegalArgumentException naming the value when it is not HOST:PORT */
    public static InetSocketAddress parse(String value) {
        int colon = value == null ? -1 : value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + value + "'");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("bad port in '" + value + "'");
        }
        return new InetSocketAddress(host, port);
    }

    /** {@code host:port} with the numeric address, {@code [v6]:port} for IPv6: what {@link #parse} reads back. */
    public static String format(InetSocketAddress a) {
        InetAddress address = a.getAddress();
        String host = address == null ? a.getHostString() : address.getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return host + ":" + a.getPort();
    }
}
