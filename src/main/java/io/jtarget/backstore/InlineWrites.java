package io.jtarget.backstore;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, per write of one file device, whether the write may run on the calling (network)
 * thread. Handing a 4 KiB page-cache write to a backend thread and its completion back to the
 * event loop costs two thread wake-ups, which on this kind of machine is more than the write
 * itself (measured: about 20 µs of target CPU per write with the hand-off, 13 µs without). Linux
 * cannot tell beforehand whether a buffered write will wait ({@code RWF_NOWAIT} is not supported
 * for buffered writes on ext4), so a write runs inline only when every known reason to wait is
 * absent:
 *
 * <ul>
 *   <li>it must not be durable before it completes (no FUA, not write-through): those wait for the disk;
 *   <li>it covers whole file-system blocks: a partial block may have to be read from disk first;
 *   <li>it is at most {@link #MAX_BYTES} long: the copy into the page cache takes a few microseconds;
 *   <li>the device has no request queued or running on the backend pool: an inline write never
 *       overtakes one, so the device's requests keep the order in which they reached it;
 *   <li>{@link WritebackPressure} is low: the kernel is far from throttling writers and is not
 *       reclaiming memory;
 *   <li>no inline write of this device took longer than {@link #SLOW_NANOS} in the last
 *       {@link #PAUSE_NANOS}: if one waited anyway (a journal commit, say), the device's writes go
 *       back to the pool for a while instead of stalling the event loop again.
 * </ul>
 */
final class InlineWrites {
    private static final Logger LOG = LoggerFactory.getLogger(InlineWrites.class);

    /** Largest inline write: 32 pages, well under 50 µs to copy into the page cache. */
    static final int MAX_BYTES = 128 * 1024;
    /**
     * An inline write slower than this has waited for something. Well above a scheduler time slice, so
     * that a network thread preempted by a busy client on a small machine does not count as waiting.
     */
    static final long SLOW_NANOS = 10_000_000L;
    /** How long writes go to the pool after a slow inline write. */
    static final long PAUSE_NANOS = 5_000_000_000L;

    private final String device;
    private final int alignment;
    private final WritebackPressure pressure;
    private final LongSupplier clock;
    /** Requests of this device queued on or running in the backend pool. */
    private final AtomicInteger backendRequests = new AtomicInteger();
    private volatile long pausedUntil;
    private volatile boolean paused;
    private volatile boolean loggedPause;

    /**
     * @param alignment the file system block in bytes: inline writes start and end on it
     */
    InlineWrites(String device, int alignment, WritebackPressure pressure, LongSupplier clock) {
        if (alignment <= 0) {
            throw new IllegalArgumentException("alignment must be positive: " + alignment);
        }
        this.device = device;
        this.alignment = alignment;
        this.pressure = pressure;
        this.clock = clock;
    }

    /** True when this write may run on the caller's thread (see the class comment). */
    boolean admit(long offset, int length, boolean durable) {
        if (durable || length > MAX_BYTES || offset % alignment != 0 || length % alignment != 0
                || backendRequests.get() != 0) {
            return false;
        }
        if (paused) {
            if (clock.getAsLong() - pausedUntil < 0) {
                return false;
            }
            paused = false;
        }
        return pressure.low();
    }

    /** Starts timing an admitted write. */
    long start() {
        return clock.getAsLong();
    }

    /** Ends timing an admitted write started at {@code startNanos}; a slow one pauses inline writes. */
    void finish(long startNanos) {
        long now = clock.getAsLong();
        long took = now - startNanos;
        if (took > SLOW_NANOS) {
            pausedUntil = now + PAUSE_NANOS;
            paused = true;
            if (!loggedPause) {
                loggedPause = true;
                LOG.info("{}: a page-cache write took {} ms on a network thread; small writes go to the backend "
                        + "pool for {} s (logged once per device)", device, took / 1_000_000, PAUSE_NANOS / 1_000_000_000L);
            } else {
                LOG.debug("{}: inline write took {} µs; paused", device, took / 1000);
            }
        }
    }

    /** A request of this device was handed to the backend pool. */
    void backendSubmitted() {
        backendRequests.incrementAndGet();
    }

    /** A backend request of this device ended (ran or was rejected). */
    void backendEnded() {
        backendRequests.decrementAndGet();
    }

    /** Requests of this device on the backend pool now (for tests). */
    int backendRequests() {
        return backendRequests.get();
    }
}
