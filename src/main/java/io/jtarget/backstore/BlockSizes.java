package io.jtarget.backstore;

/** Logical block lengths a device may use. */
final class BlockSizes {
    /** SBC-4 allows any length; initiators expect 512 or 4096, and every length here is a power of two. */
    static final int DEFAULT = 512;
    static final int MAX = 64 * 1024;

    private BlockSizes() {}

    static void requireValid(int blockSize) {
        if (blockSize < DEFAULT || blockSize > MAX || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException(
                    "block size must be a power of two between " + DEFAULT + " and " + MAX + ": " + blockSize);
        }
    }
}
