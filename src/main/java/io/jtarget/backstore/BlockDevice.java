package io.jtarget.backstore;

import io.jtarget.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.Set;

/**
 * A logical unit's backing store: fixed-size blocks, asynchronous I/O.
 *
 * <p>Every operation completes exactly once through its {@link IoCallback}, either inline
 * (RAM; a file read served from the page cache) or on a backend thread (file). Callers must not assume which thread; the fabric
 * hops back to its own event loop. Each request carries the I_T nexus that issued it so a
 * backend can queue and account fairly per initiator (seed 001).
 *
 * <p>Buffers: {@code read} writes exactly {@code blocks * blockSize()} bytes into {@code dst}
 * starting at its writer index and advances it; {@code write} consumes exactly that many
 * readable bytes of {@code src} without changing its indices. Ownership of the buffers stays
 * with the caller; a device never retains them past completion.
 *
 * <p>Errors never escape {@code read}, {@code write} or {@code flush}; they reach the callback:
 * {@link IndexOutOfBoundsException} for a range outside {@code [0, blockCount())} (the SCSI
 * layer checks first; this is a programming error), {@link DeviceClosedException} after or
 * during {@link #close}, {@link java.util.concurrent.RejectedExecutionException} when the
 * backend pool is shut down, any other {@link java.io.IOException} for a failed medium.
 * Open devices with {@link BlockDevices#open}.
 */
public interface BlockDevice extends AutoCloseable {

    /** Logical block length in bytes (512 or 4096). */
    int blockSize();

    /** Number of logical blocks; the last LBA is {@code blockCount() - 1}. */
    long blockCount();

    /** Optional features the SCSI layer may expose (e.g. UNMAP); a missing one means "unsupported opcode". */
    Set<Capability> capabilities();

    /** True when completed writes may sit in a volatile cache until {@link #flush} (reported as WCE). */
    boolean writeCacheEnabled();

    /** Short, human-readable description for logs and the startup banner, e.g. {@code file:/srv/lun0.img}. */
    String describe();

    void read(ItNexus nexus, long lba, int blocks, ByteBuf dst, IoCallback done);

    /** @param fua force unit access: complete only once the data is on stable storage (SBC-4 §5.39). */
    void write(ItNexus nexus, long lba, int blocks, ByteBuf src, boolean fua, IoCallback done);

    /** Make every completed write durable (SYNCHRONIZE CACHE, SBC-4 §5.24). */
    void flush(ItNexus nexus, IoCallback done);

    /** Flush and release resources; idempotent. */
    @Override
    void close();

    /**
     * Deallocate (unmap) {@code [lba, lba + blocks)} so that it reads as zeros afterwards (SBC-4 §4.7.3.5,
     * LBPRZ=1). Parts smaller than {@link #deallocationGranularity()} are zeroed and may stay mapped.
     * Only devices with {@link Capability#DEALLOCATE} implement it; the default completes with
     * {@link UnsupportedOperationException} (the SCSI layer never calls it then: the capability check is
     * the one place that decides whether UNMAP exists).
     */
    default void deallocate(ItNexus nexus, long lba, long blocks, IoCallback done) {
        done.complete(new UnsupportedOperationException("deallocate is not supported by " + describe()));
    }

    /**
     * The provisioning state of the blocks starting at {@code lba}: whether they are mapped, and how many
     * consecutive blocks (at least 1, at most {@code maxBlocks} and never past the end) share that state.
     * The default reports every block mapped, which is the truth for a fully provisioned device.
     */
    default void provisioningStatus(ItNexus nexus, long lba, long maxBlocks, ProvisioningCallback done) {
        long blocks = Math.max(1, Math.min(maxBlocks, blockCount() - lba));
        done.complete(null, new ProvisioningExtent(lba, blocks, true));
    }

    /** Reads and writes completed on the caller's (network) thread without the backend pool, for metrics. */
    default long inlineIoCount() {
        return 0;
    }

    /**
     * Change the capacity to {@code newBlockCount} blocks while the device is served (a live resize;
     * the SCSI layer then reports CAPACITY DATA HAS CHANGED). Growing keeps every block and the new
     * blocks read as zeros; shrinking drops the blocks beyond the new end (check {@link
     * #holdsDataFrom} first). Not called concurrently with itself.
     *
     * @throws UnsupportedOperationException when this store cannot change its size while served
     * @throws IOException when the store could not be resized; its size is then unchanged
     */
    default void resize(long newBlockCount) throws IOException {
        throw new UnsupportedOperationException(describe() + " cannot be resized while served");
    }

    /**
     * True when a block at or beyond {@code lba} may hold data (written and not deallocated): a shrink
     * to {@code lba} blocks would lose it. The default cannot tell and says yes.
     */
    default boolean holdsDataFrom(long lba) throws IOException {
        return lba < blockCount();
    }

    /** Blocks a deallocation frees whole (SBC-4 §6.6.4 OPTIMAL UNMAP GRANULARITY); 1 when unknown. */
    default long deallocationGranularity() {
        return 1;
    }

    /**
     * Logical blocks per physical block, a power of two (SBC-4 §5.21.2 LOGICAL BLOCKS PER PHYSICAL BLOCK
     * EXPONENT): writes smaller than this cost the backing store a read-modify-write. 1 when unknown.
     */
    default int logicalBlocksPerPhysicalBlock() {
        return 1;
    }

    /** One run of blocks in the same provisioning state (SBC-4 §5.9 LBA status descriptor). */
    record ProvisioningExtent(long lba, long blocks, boolean mapped) {}

    /** Completion of {@link #provisioningStatus}: exactly one of {@code error} and {@code extent} is non-null. */
    @FunctionalInterface
    interface ProvisioningCallback {
        void complete(Throwable error, ProvisioningExtent extent);
    }

    /** Optional capabilities; a missing one makes the SCSI commands that need it unsupported. */
    enum Capability {
        /**
         * Thin provisioning (SBC-4 §4.7.3): {@link #deallocate} frees blocks, deallocated blocks read as
         * zeros, and {@link #provisioningStatus} reports the true mapped state.
         */
        DEALLOCATE,
    }
}
