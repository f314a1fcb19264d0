package io.jtarget.backstore;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link StoreProvider} gets besides the spec to open a device: the server-wide dispatcher for
 * blocking backend I/O, store options given once for the server (e.g. {@code ceph.conf}), and the I/O
 * deadline.
 *
 * @param dispatcher queues blocking backend work fairly per I_T nexus over the backend pool; stores whose
 *     I/O is asynchronous (rbd) use it only for their few blocking calls
 * @param options store options by key; each provider documents the keys it reads ({@code RbdStore}:
 *     {@code ceph.conf}, {@code ceph.id}, {@code ceph.keyring})
 * @param ioTimeout a store whose I/O can hang (a remote store) completes every I/O within this time at
 *     the latest, with {@link StoreException.Kind#TIMEOUT} when the store did not answer, so an abort never
 *     waits forever for it; local stores ignore it
 */
public record StoreContext(FairQueueExecutor dispatcher, Map<String, String> options, Duration ioTimeout) {

    /** A remote store's I/O deadline unless configured: below the Linux initiator's 30 s command timeout. */
    public static final Duration DEFAULT_IO_TIMEOUT = Duration.ofSeconds(20);

    public StoreContext {
        Objects.requireNonNull(dispatcher, "dispatcher");
        options = Map.copyOf(options);
        Objects.requireNonNull(ioTimeout, "ioTimeout");
        if (ioTimeout.isNegative() || ioTimeout.isZero()) {
            throw new IllegalArgumentException("I/O timeout must be positive: " + ioTimeout);
        }
    }

    /** No options, the default deadline. */
    public static StoreContext of(FairQueueExecutor dispatcher) {
        return new StoreContext(dispatcher, Map.of(), DEFAULT_IO_TIMEOUT);
    }

    public Optional<String> option(String key) {
        return Optional.ofNullable(options.get(key));
    }
}
