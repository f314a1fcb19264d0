package io.jtarget.backstore;

import io.jtarget.config.BackingSpec;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.Executor;

/** Opens the block device a {@link BackingSpec} describes. */
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
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(dispatcher, "dispatcher");
        return switch (spec) {
            case BackingSpec.Ram ram -> {
                requireSize("ram", ram.sizeBytes(), false);
                yield new RamBlockDevice(ram.sizeBytes(), DEFAULT_BLOCK_SIZE);
            }
            case BackingSpec.File file -> {
                Objects.requireNonNull(file.path(), "file path");
                requireSize(file.path().toString(), file.sizeBytes(), true);
                yield FileBlockDevice.open(
                        file.path(), file.sizeBytes(), DEFAULT_BLOCK_SIZE, file.writeThrough(), dispatcher);
            }
        };
    }

    private static void requireSize(String what, long sizeBytes, boolean zeroAllowed) {
        if (sizeBytes < 0 || (sizeBytes == 0 && !zeroAllowed)) {
            throw new IllegalArgumentException("size of " + what + " must be positive: " + sizeBytes);
        }
        if (sizeBytes % DEFAULT_BLOCK_SIZE != 0) {
            throw new IllegalArgumentException(
                    "size of " + what + " must be a multiple of " + DEFAULT_BLOCK_SIZE + " bytes: " + sizeBytes);
        }
    }
}
