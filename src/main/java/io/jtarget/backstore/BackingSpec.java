package io.jtarget.backstore;

import java.nio.file.Path;

/**
 * Where a LUN keeps its blocks, as its {@link StoreProvider} parsed it from {@code SCHEME:...[,flags]}
 * text ({@link Stores#parse}). Each store kind has its own immutable record; the two built-in ones are
 * nested here, others live next to their provider.
 */
public interface BackingSpec {

    /** The scheme of the provider that parsed it and opens it ({@code ram}, {@code file}, {@code rbd}). */
    String scheme();

    /**
     * What this store is, independent of how it was spelled: the same store gives the same identity after a
     * restart (the unit serial number and NAA designator are derived from it), two different stores never
     * the same one.
     */
    String identity();

    /** The size asked for: a RAM store's size, a file's size when it is created; 0 when the store has its own. */
    default long sizeBytes() {
        return 0;
    }

    /**
     * The same store at another size (after a live resize, or a size given apart from the spec).
     *
     * @throws UnsupportedOperationException for a store whose size is not a setting (an existing image)
     */
    default BackingSpec withSize(long sizeBytes) {
        throw new UnsupportedOperationException(scheme() + " stores take no size: " + identity());
    }

    /** The same store with a relative path taken relative to {@code dir} (a configuration's data directory). */
    default BackingSpec resolvedAgainst(Path dir) {
        return this;
    }

    /**
     * The store as text its provider parses back to an equal spec ({@link Stores#parse}; store flags
     * such as {@code ,wt} included). By default its identity.
     */
    default String spec() {
        return identity();
    }

    /** Off-heap memory of {@code sizeBytes}; contents are lost on exit. */
    record Ram(long sizeBytes) implements BackingSpec {
        @Override
        public String scheme() {
            return RamStore.SCHEME;
        }

        @Override
        public String identity() {
            return "ram:" + sizeBytes;
        }

        @Override
        public Ram withSize(long size) {
            return new Ram(size);
        }

        @Override
        public String spec() {
            return "ram:" + Stores.formatSize(sizeBytes);
        }
    }

    /**
     * A file; created sparse at {@code sizeBytes} when missing, an existing file keeps its size
     * ({@code sizeBytes} may then be 0 = "whatever it is").
     *
     * @param writeThrough every write is durable before it completes (no volatile cache, WCE=0)
     */
    record File(Path path, long sizeBytes, boolean writeThrough) implements BackingSpec {
        @Override
        public String scheme() {
            return FileStore.SCHEME;
        }

        @Override
        public String identity() {
            return "file:" + path.toAbsolutePath().normalize();
        }

        @Override
        public File withSize(long size) {
            return new File(path, size, writeThrough);
        }

        @Override
        public File resolvedAgainst(Path dir) {
            return path.isAbsolute() ? this : new File(dir.resolve(path), sizeBytes, writeThrough);
        }

        @Override
        public String spec() {
            return "file:" + path + (sizeBytes > 0 ? ":" + Stores.formatSize(sizeBytes) : "")
                    + (writeThrough ? ",wt" : "");
        }
    }
}
