package io.jtarget.backstore;

import io.netty.buffer.ByteBuf;

/**
 * The byte range of one request, checked once, without overflow, before any I/O is issued.
 * The SCSI layer rejects out-of-range LBAs itself (SBC-4 §4.5, LOGICAL BLOCK ADDRESS OUT OF
 * RANGE); a device still refuses them, as a programming error delivered to the callback.
 */
record BlockRange(long offset, int length) {

    /**
     * @return the range, or throws {@link IndexOutOfBoundsException} naming the device when
     *     {@code [lba, lba + blocks)} is not inside {@code [0, blockCount)} or the byte length
     *     does not fit one buffer
     */
    static BlockRange of(BlockDevice device, long lba, int blocks) {
        check(device, lba, blocks);
        long length = (long) blocks * device.blockSize();
        if (length > Integer.MAX_VALUE) {
            throw new IndexOutOfBoundsException("transfer of " + blocks + " blocks exceeds one buffer");
        }
        return new BlockRange(lba * device.blockSize(), (int) length);
    }

    /**
     * Throws {@link IndexOutOfBoundsException} naming the device unless {@code [lba, lba + blocks)} is
     * inside {@code [0, blockCount)}; checked without overflow. An empty range at the end is inside.
     */
    static void check(BlockDevice device, long lba, long blocks) {
        long blockCount = device.blockCount();
        if (lba < 0 || blocks < 0 || lba > blockCount || blocks > blockCount - lba) {
            throw new IndexOutOfBoundsException("blocks [" + lba + ", " + lba + "+" + blocks + ") outside "
                    + device.describe() + " of " + blockCount + " blocks");
        }
    }

    /**
     * The arguments of {@link BlockDevice#provisioningStatus}: {@code lba} must be a block of the device
     * and {@code maxBlocks} positive, else {@link IndexOutOfBoundsException}.
     */
    static void checkStatusRequest(BlockDevice device, long lba, long maxBlocks) {
        if (maxBlocks <= 0) {
            throw new IndexOutOfBoundsException("status of " + maxBlocks + " blocks at LBA " + lba + " of "
                    + device.describe());
        }
        check(device, lba, 1);
    }

    /** Fails unless {@code src} holds at least {@code length} readable bytes. */
    void requireReadable(ByteBuf src) {
        if (src.readableBytes() < length) {
            throw new IllegalArgumentException(
                    "write needs " + length + " bytes but the buffer holds " + src.readableBytes());
        }
    }
}
