package io.jtarget.backstore.rbd;

import io.jtarget.backstore.BackingSpec;
import java.util.Objects;

/**
 * An RBD image, or a snapshot of one (a read-only LUN): {@code rbd:POOL/IMAGE[@SNAP]}. Which cluster,
 * and as whom, comes from the server's store options ({@link RbdStore}).
 *
 * @param snapshot the snapshot name, or null for the image itself
 */
public record RbdSpec(String pool, String image, String snapshot) implements BackingSpec {
    public RbdSpec {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(image, "image");
    }

    @Override
    public String scheme() {
        return RbdStore.SCHEME;
    }

    /** {@code rbd:pool/image} or {@code rbd:pool/image@snap}: pool and image names are unique in a cluster. */
    @Override
    public String identity() {
        return RbdStore.SCHEME + ":" + pool + "/" + image + (snapshot == null ? "" : "@" + snapshot);
    }
}
