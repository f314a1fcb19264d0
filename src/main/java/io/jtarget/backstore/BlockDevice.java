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

    /** Optional capabilities; later issues add unmap, write same, compare-and-write, ... */
    enum Capability {
        UNMAP,
        WRITE_SAME,
    }
}
