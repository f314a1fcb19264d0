package io.jtarget.registry;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.config.BackingSpec;
import java.io.IOException;

/** Opens the block device a LUN's backing spec describes (the backing-store seam's entry point). */
@FunctionalInterface
public interface StoreOpener {
    /**
     * @throws IllegalArgumentException for a spec the store refuses (bad size)
     * @throws IOException naming the store when it cannot be created, opened or locked
     */
    BlockDevice open(BackingSpec spec) throws IOException;
}
