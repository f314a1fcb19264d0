package io.jtarget.config;

import java.nio.file.Path;

/** Where a LUN keeps its blocks. Parsed from the CLI's {@code --lun} value by {@link BackingSpecParser}. */
public sealed interface BackingSpec {

    /**
     * What identifies the store across restarts (with the target name and LUN it seeds the LU's
     * serial number): a file's absolute path, not its size, so a resized file keeps its identity.
     */
    String identity();

    /** The size asked for: a RAM store's size, a file's size when it is created (0: whatever it is). */
    long sizeBytes();

    /** The same store at another size (after a resize, or a size given apart from the spec). */
    BackingSpec withSize(long sizeBytes);

    /** The same store with a relative path taken relative to {@code dir} (a configuration's data directory). */
    BackingSpec resolvedAgainst(Path dir);

    /**
     * The store as a {@code --lun} value that {@link BackingSpecParser#parseLun} reads back to an equal
     * spec (store flags such as {@code ,wt} included, LUN flags not).
     */
    String spec();

    /** Off-heap memory of {@code sizeBytes}; contents are lost on exit. */
    record Ram(long sizeBytes) implements BackingSpec {
        @Override
        public String identity() {
            return "ram:" + sizeBytes;
        }

        @Override
        public Ram withSize(long size) {
            return new Ram(size);
        }

        @Override
        public Ram resolvedAgainst(Path dir) {
            return this;
        }

        @Override
        public String spec() {
            return "ram:" + BackingSpecParser.formatSize(sizeBytes);
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
            return "file:" + path + (sizeBytes > 0 ? ":" + BackingSpecParser.formatSize(sizeBytes) : "")
                    + (writeThrough ? ",wt" : "");
        }
    }
}
