package io.jtarget.net;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A point in time that shutdown steps share: each waits at most until it, so the steps together
 * never take longer than the drain timeout however the time is spread among them.
 */
final class Deadline {
    /** How often a condition is polled while waiting. */
    static final Duration POLL = Duration.ofMillis(20);

    /** Sleeps for the given nanoseconds; replaced in tests. */
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private final long endNanos;
    private final LongSupplier clock;
    private final Sleeper sleeper;

    Deadline(Duration timeout, LongSupplier clock, Sleeper sleeper) {
        this.clock = clock;
        this.sleeper = sleeper;
        this.endNanos = clock.getAsLong() + timeout.toNanos();
    }

    static Deadline after(Duration timeout) {
        return new Deadline(timeout, System::nanoTime, nanos -> Thread.sleep(Duration.ofNanos(nanos)));
    }

    Duration remaining() {
        return Duration.ofNanos(Math.max(0, endNanos - clock.getAsLong()));
    }

    /**
     * Polls {@code condition} until it holds, {@code cap} has passed, or the deadline is reached.
     *
     * @return whether the condition held
     */
    boolean waitFor(BooleanSupplier condition, Duration cap) {
        long start = clock.getAsLong();
        long stop = Math.min(endNanos, start + cap.toNanos());
        while (!condition.getAsBoolean()) {
            long now = clock.getAsLong();
            if (now - stop >= 0) {
                return false;
            }
            try {
                sleeper.sleep(Math.min(POLL.toNanos(), stop - now));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return condition.getAsBoolean();
            }
        }
        return true;
    }
}
