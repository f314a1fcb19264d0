package io.jtarget.backstore;

import java.util.Set;

/** {@code ram:SIZE}: off-heap memory, thin, lost on exit ({@link RamBlockDevice}). */
final class RamStore implements StoreProvider {
    static final String SCHEME = "ram";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public String usage() {
        return "ram:SIZE";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public BackingSpec parse(String body, Set<String> flags, String whole) {
        return new BackingSpec.Ram(Stores.blockAlignedSize(body, whole));
    }

    @Override
    public BlockDevice open(BackingSpec spec, StoreContext context) {
        BackingSpec.Ram ram = (BackingSpec.Ram) spec;
        Stores.requireSize("ram", ram.sizeBytes(), false);
        return new RamBlockDevice(ram.sizeBytes(), BlockDevices.DEFAULT_BLOCK_SIZE);
    }
}
