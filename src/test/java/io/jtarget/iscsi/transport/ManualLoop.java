package io.jtarget.iscsi.transport;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A {@link ConnectionLoop} driven by the test: the test thread is the loop, tasks posted with
 * {@link #execute} wait in a queue until {@link #runPending}, and time moves only by
 * {@link #advance}, which runs the timers that fall due.
 */
public final class ManualLoop implements ConnectionLoop {
    private final Deque<Runnable> queue = new ArrayDeque<>();
    private final List<ManualTimer> timers = new ArrayList<>();
    private long now = 1_000_000_000L;

    private final class ManualTimer implements Timer {
        final Runnable task;
        final long period;
        long due;
        boolean cancelled;

        ManualTimer(Runnable task, long due, long period) {
            this.task = task;
            this.due = due;
            this.period = period;
        }

        @Override
        public void cancel() {
            cancelled = true;
            timers.remove(this);
        }
    }

    @Override
    public synchronized void execute(Runnable task) {
        queue.add(task);
    }

    @Override
    public boolean inLoop() {
        return true;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Timer schedule(Runnable task, long delayNanos) {
        ManualTimer t = new ManualTimer(task, now + delayNanos, 0);
        timers.add(t);
        return t;
    }

    @Override
    public Timer scheduleRepeating(Runnable task, long periodNanos) {
        ManualTimer t = new ManualTimer(task, now + periodNanos, periodNanos);
        timers.add(t);
        return t;
    }

    /** Runs every queued task, including those the tasks queue. */
    public void runPending() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = queue.poll();
            }
            if (next == null) {
                return;
            }
            next.run();
        }
    }

    /** Moves the clock forward, running each timer as it falls due (and what it queues). */
    public void advance(long nanos) {
        long end = now + nanos;
        while (true) {
            ManualTimer next = null;
            for (ManualTimer t : timers) {
                if (t.due <= end && (next == null || t.due < next.due)) {
                    next = t;
                }
            }
            if (next == null) {
                break;
            }
            now = Math.max(now, next.due);
            if (next.period > 0) {
                next.due += next.period;
            } else {
                timers.remove(next);
            }
            next.task.run();
            runPending();
        }
        now = end;
    }

    public int timers() {
        return timers.size();
    }
}
