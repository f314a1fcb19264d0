package io.jtarget.iscsi.transport;

import java.util.concurrent.Executor;

/**
 * The single thread a connection lives on, its clock and its timers. The protocol core reads
 * time and schedules only through this interface, so tests drive NOP-In pings and timeouts with
 * a manual clock ({@code execute} must accept calls from any thread).
 */
public interface ConnectionLoop extends Executor {

    /** True on the loop's own thread. */
    boolean inLoop();

    /** Monotonic time in nanoseconds ({@link System#nanoTime()} on a real loop). */
    long nanoTime();

    /** Run {@code task} on the loop once, after {@code delayNanos}. */
    Timer schedule(Runnable task, long delayNanos);

    /** Run {@code task} on the loop every {@code periodNanos}, the first time after one period. */
    Timer scheduleRepeating(Runnable task, long periodNanos);

    /** A scheduled task. */
    interface Timer {
        void cancel();
    }
}
