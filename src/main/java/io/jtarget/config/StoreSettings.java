package io.jtarget.config;

import io.jtarget.backstore.StoreContext;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Server-wide settings every backing store is opened with ({@link StoreContext}).
 *
 * @param options store options by key, e.g. {@code ceph.conf}, {@code ceph.id}, {@code ceph.keyring}
 * @param ioTimeout the deadline of one I/O of a store that can hang (a remote store)
 */
public record StoreSettings(Map<String, String> options, Duration ioTimeout) {
    public StoreSettings {
        options = Map.copyOf(options);
        Objects.requireNonNull(ioTimeout, "ioTimeout");
    }

    public static StoreSettings defaults() {
        return new StoreSettings(Map.of(), StoreContext.DEFAULT_IO_TIMEOUT);
    }
}
