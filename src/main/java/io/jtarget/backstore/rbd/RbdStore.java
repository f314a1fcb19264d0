package io.jtarget.backstore.rbd;

import io.jtarget.backstore.BackingSpec;
import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.StoreContext;
import io.jtarget.backstore.StoreProvider;
import java.io.IOException;
import java.util.Set;

/**
 * {@code rbd:POOL/IMAGE[@SNAP]}: a Ceph RBD image served through librbd ({@link RbdBlockDevice}); a
 * snapshot is served read-only. The cluster and identity come from store options:
 *
 * <ul>
 *   <li>{@value #CONF}: the ceph.conf to read; else {@code $CEPH_CONF}; else librados' default search
 *       ({@code /etc/ceph/ceph.conf}, {@code ~/.ceph/config}, {@code ./ceph.conf})
 *   <li>{@value #ID}: the cephx client id, {@code admin} when not given (as the {@code rbd} tool)
 *   <li>{@value #KEYRING}: a keyring file overriding the ceph.conf's {@code keyring}
 * </ul>
 */
public final class RbdStore implements StoreProvider {
    public static final String SCHEME = "rbd";
    public static final String CONF = "ceph.conf";
    public static final String ID = "ceph.id";
    public static final String KEYRING = "ceph.keyring";
    /** The client id the {@code rbd} and {@code ceph} tools use by default. */
    static final String DEFAULT_ID = "admin";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public String usage() {
        return "rbd:POOL/IMAGE[@SNAP]";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public BackingSpec parse(String body, Set<String> flags, String whole) {
        int slash = body.indexOf('/');
        if (slash <= 0 || slash == body.length() - 1) {
            throw new IllegalArgumentException("expected rbd:POOL/IMAGE[@SNAP] in '" + whole + "'");
        }
        String pool = body.substring(0, slash);
        String rest = body.substring(slash + 1);
        String snapshot = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            snapshot = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (snapshot.isEmpty()) {
                throw new IllegalArgumentException("empty snapshot name in '" + whole + "'");
            }
        }
        // Namespaces (pool/namespace/image) are not supported; '/' is never part of an image name.
        if (rest.isEmpty() || rest.indexOf('/') >= 0 || (snapshot != null && snapshot.indexOf('/') >= 0)) {
            throw new IllegalArgumentException("expected rbd:POOL/IMAGE[@SNAP] in '" + whole + "'");
        }
        return new RbdSpec(pool, rest, snapshot);
    }

    @Override
    public BlockDevice open(BackingSpec spec, StoreContext context) throws IOException {
        RbdSpec rbd = (RbdSpec) spec;
        String conf = context.option(CONF).orElse(System.getenv("CEPH_CONF"));
        return RbdBlockDevice.open(rbd, new RbdBlockDevice.Client(conf, context.option(ID).orElse(DEFAULT_ID),
                context.option(KEYRING).orElse(null), context.ioTimeout()), context.dispatcher());
    }
}
