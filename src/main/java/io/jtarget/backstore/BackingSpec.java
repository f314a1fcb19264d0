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
    }
}
