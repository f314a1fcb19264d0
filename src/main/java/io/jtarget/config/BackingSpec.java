package io.jtarget.config;

import java.nio.file.Path;

/** Where a LUN keeps its blocks. Parsed from the CLI's {@code --lun} value by {@link BackingSpecParser}. */
public sealed interface BackingSpec {

    /** Off-heap memory of {@code sizeBytes}; contents are lost on exit. */
    record Ram(long sizeBytes) implements BackingSpec {}

    /**
     * A file; created sparse at {@code sizeBytes} when missing, an existing file keeps its size
     * ({@code sizeBytes} may then be 0 = "whatever it is").
     *
     * @param writeThrough every write is durable before it completes (no volatile cache, WCE=0)
     */
    record File(Path path, long sizeBytes, boolean writeThrough) implements BackingSpec {}
}
