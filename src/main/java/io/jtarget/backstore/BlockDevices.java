package io.jtarget.backstore;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.Executor;

/** Opens the block device a {@link BackingSpec} describes with default store options ({@link Stores#open}). */
public final class BlockDevices {

    /** Logical block length of every device opened here (SBC-4 READ CAPACITY reports it). */
    public static final int DEFAULT_BLOCK_SIZE = BlockSizes.DEFAULT;

    private BlockDevices() {}

    /**
     * Opens a device whose blocking I/O (file) runs on {@code backendPool}, queued fairly per
     * I_T nexus by a dispatcher of its own that may use every pool thread.
     *
     * @param backendPool a small bounded pool of backend threads, never a network event loop
     * @throws IllegalArgumentException for a size that is not a positive multiple of 512
     * @throws IOException naming the path when a file cannot be created, opened or locked
     */
    public static BlockDevice open(BackingSpec spec, Executor backendPool) throws IOException {
        Objects.requireNonNull(backendPool, "backendPool");
        return open(spec, FairQueueExecutor.over(backendPool));
    }

    /**
     * Opens a device whose blocking I/O goes through {@code dispatcher}; pass the same
     * dispatcher to several devices to queue their requests fairly per nexus across devices.
     */
    public static BlockDevice open(BackingSpec spec, FairQueueExecutor dispatcher) throws IOException {
        Objects.requireNonNull(dispatcher, "dispatcher");
        return Stores.open(spec, StoreContext.of(dispatcher));
    }
}
