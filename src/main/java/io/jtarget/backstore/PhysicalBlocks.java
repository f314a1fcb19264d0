package io.jtarget.backstore;

/** Physical block size as READ CAPACITY(16) can express it: a power-of-two multiple of the logical block. */
final class PhysicalBlocks {
    /** LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT is four bits (SBC-4 §5.21.2), but 64 KiB is plenty. */
    static final int MAX_LOGICAL_PER_PHYSICAL = 128;

    private PhysicalBlocks() {}

    /** The largest power of two not above {@code blocks} (and within the limit); 1 for anything below 2. */
    static int powerOfTwoAtMost(long blocks) {
        if (blocks < 2) {
            return 1;
        }
        return (int) Long.highestOneBit(Math.min(blocks, MAX_LOGICAL_PER_PHYSICAL));
    }
}
