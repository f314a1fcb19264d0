package io.jtarget.backstore;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The calls in flight on a native file descriptor, so that it is closed only once none is: a
 * descriptor number is reused by the next {@code open} anywhere in the process, and a call still
 * running on the old number would then read, punch holes in or seek another file.
 *
 * <p>Every call is bracketed by {@link #enter()} (refused once closing began) and {@link #exit()};
 * {@link #close()} lets in no new call and waits for the running ones.
 */
final class DescriptorUsers {
    /** Added to the count when closing begins: the count is negative from then on. */
    private static final int CLOSED_MARK = Integer.MIN_VALUE / 2;
    private static final int SPINS_BEFORE_PARKING = 1_000;

    private final AtomicInteger users = new AtomicInteger();

    /** @return true when the caller may use the descriptor and must {@link #exit()}; false once closed */
    boolean enter() {
        if (users.incrementAndGet() > 0) {
            return true;
        }
        users.decrementAndGet();
        return false;
    }

    void exit() {
        users.decrementAndGet();
    }

    /**
     * Refuses new calls and waits until the running ones have exited.
     *
     * @return true for the one caller that must now close the descriptor; false when closing had begun
     */
    boolean close() {
        int current;
        do {
            current = users.get();
            if (current < 0) {
                return false;
            }
        } while (!users.compareAndSet(current, current + CLOSED_MARK));
        // Calls in flight are short (a page-cache copy, one fallocate or lseek): spin, then back off.
        for (int spins = 0; users.get() != CLOSED_MARK; spins++) {
            if (spins < SPINS_BEFORE_PARKING) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
            }
        }
        return true;
    }
}
