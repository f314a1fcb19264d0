package io.jtarget.backstore;

import io.jtarget.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
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
 * backend pool is shut down, a {@link StoreException} when the store knows why (timeout,
 * unreachable, fenced, out of space), any other {@link java.io.IOException} for a failed medium.
 *
 * <p>A store whose I/O can hang completes every request within {@link StoreContext#ioTimeout()}
 * (with {@link StoreException.Kind#TIMEOUT}); it keeps its own reference to the buffers of a
 * request that timed out until the store really lets go of them ({@link ByteBuf#retain}), so the
 * caller may release them as usual.
 *
 * <p>The block count may grow or shrink while the device is open (a remote image resized); the
 * device then tells its {@link CapacityListener}s. Open devices with {@link Stores#open}.
 */
public interface BlockDevice extends AutoCloseable {

    /** Logical block length in bytes (512 or 4096). */
    int blockSize();

    /** Number of logical blocks; the last LBA is {@code blockCount() - 1}. May change: see {@link CapacityListener}. */
    long blockCount();

    /**
     * Hear about changes of {@link #blockCount()} made outside this server (e.g. {@code rbd resize}).
     * Devices of fixed size ignore the listener. The listener runs on a store thread and must not block.
     */
    default void addCapacityListener(CapacityListener listener) {}

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

    /**
     * SBC-4 §5.3 COMPARE AND WRITE done by the store itself, atomically against every other writer of the
     * store (also other gateways): compare {@code blocks} blocks at {@code lba} with the readable bytes of
     * {@code compare}; if equal, write those of {@code write}; otherwise write nothing and complete with a
     * {@link MiscompareException} giving the offset of the first difference. Only devices with {@link
     * Capability#COMPARE_AND_WRITE} implement it; a device may refuse a range it cannot do atomically by
     * completing with {@link UnsupportedOperationException}, and the core then emulates it.
     */
    default void compareAndWrite(ItNexus nexus, long lba, int blocks, ByteBuf compare, ByteBuf write, boolean fua,
            IoCallback done) {
        done.complete(new UnsupportedOperationException("compare and write is not done by " + describe()));
    }

    /**
     * SBC-4 §5.48 WRITE SAME done by the store: write the first block of {@code block} (readable bytes, one
     * block) to every LBA of {@code [lba, lba + blocks)} in one request. Only devices with {@link
     * Capability#WRITE_SAME} implement it.
     */
    default void writeSame(ItNexus nexus, long lba, long blocks, ByteBuf block, boolean fua, IoCallback done) {
        done.complete(new UnsupportedOperationException("write same is not done by " + describe()));
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
        /**
         * {@link #compareAndWrite} is atomic in the store itself, so it holds for every gateway of a shared
         * store; without it the core emulates COMPARE AND WRITE under its process-local range lock.
         */
        COMPARE_AND_WRITE,
        /** {@link #writeSame} writes a repeated block in one request instead of one write per piece. */
        WRITE_SAME,
    }

    /** Hears that a device's block count changed (SBC-4 §4.6: CAPACITY DATA HAS CHANGED). */
    @FunctionalInterface
    interface CapacityListener {
        void capacityChanged(long newBlockCount);
    }
}
