package io.jtarget.backstore;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands blocking backend work to a shared bounded pool, round-robin across keys (the I_T
 * nexus of each request), so one busy initiator cannot starve another (a few shared
 * threads do the I/O, every request keeps the identity of the initiator that issued it).
 *
 * <p>Each key has a FIFO lane; lanes with work wait in a ring. At most {@code maxInFlight}
 * jobs of this dispatcher sit in the pool at once; when one finishes, the next job is taken
 * from the next lane in the ring. Within a lane, order is submission order. Because the pool
 * never holds more than {@code maxInFlight} jobs of one dispatcher, several dispatchers (one
 * per device) sharing a pool also share it fairly.
 *
 * <p>A pool thread that finishes a job takes the next one itself (the next lane in the ring), up
 * to {@link #BATCH} jobs in a row, instead of handing it to the pool and waking another thread
 * for it: under load one wake-up carries a batch of jobs (few wake-ups per I/O). After a batch the slot goes
 * back through the pool's queue, so dispatchers sharing a pool still take turns.
 *
 * <p>The pool must run jobs on its own threads (not the caller's): a caller-runs executor
 * would recurse. If the pool rejects a job (it was shut down), the job's rejection handler is
 * called instead, so every submitted job either runs or is rejected exactly once.
 */
public final class FairQueueExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(FairQueueExecutor.class);
    private static final Object NO_KEY = new Object();
    private static final int DEFAULT_MAX_IN_FLIGHT = 4;
    /** Jobs one pool thread runs in a row before giving its slot back to the pool's queue. */
    static final int BATCH = 16;

    private final Executor pool;
    private final int maxInFlight;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Object, Lane> lanes = new HashMap<>();
    private final ArrayDeque<Lane> ring = new ArrayDeque<>();
    private int inFlight;
    private int queued;
    /** Jobs ever queued, for the inline-versus-pooled I/O metric. */
    private long submitted;

    /**
     * @param pool the bounded backend pool that runs the jobs (never a network event loop)
     * @param maxInFlight how many of this dispatcher's jobs may occupy the pool at once
     */
    public FairQueueExecutor(Executor pool, int maxInFlight) {
        this.pool = Objects.requireNonNull(pool, "pool");
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
        }
        this.maxInFlight = maxInFlight;
    }

    /** A dispatcher allowed to use every thread of {@code pool} (its size when it tells, else 4). */
    public static FairQueueExecutor over(Executor pool) {
        return new FairQueueExecutor(pool, parallelismOf(pool));
    }

    /**
     * Queues {@code work} on the lane of {@code key} (null is a lane of its own).
     *
     * @param onRejected called instead of {@code work} if the pool refuses it
     */
    public void execute(Object key, Runnable work, Consumer<Throwable> onRejected) {
        Job job = new Job(Objects.requireNonNull(work, "work"), Objects.requireNonNull(onRejected, "onRejected"));
        Object laneKey = key == null ? NO_KEY : key;
        Job next;
        lock.lock();
        try {
            Lane lane = lanes.computeIfAbsent(laneKey, Lane::new);
            lane.jobs.addLast(job);
            queued++;
            submitted++;
            if (lane.jobs.size() == 1) {
                ring.addLast(lane);
            }
            if (inFlight >= maxInFlight) {
                return;
            }
            inFlight++;
            next = takeNextLocked();
        } finally {
            lock.unlock();
        }
        dispatch(next);
    }

    /** Jobs waiting for a pool thread (not counting those already handed to the pool). */
    public int queued() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }

    /** Jobs queued since this dispatcher was made. */
    public long submitted() {
        lock.lock();
        try {
            return submitted;
        } finally {
            lock.unlock();
        }
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    private void dispatch(Job job) {
        while (job != null) {
            Job current = job;
            try {
                pool.execute(() -> runThenContinue(current));
                return;
            } catch (RejectedExecutionException e) {
                reject(current, e);
                job = finishOne();
            }
        }
    }

    private void runThenContinue(Job first) {
        Job job = first;
        for (int run = 1; ; run++) {
            try {
                job.work.run();
            } catch (Throwable t) {
                LOG.error("backend job failed outside its own error handling", t);
            }
            Job next = finishOne();
            if (next == null) {
                return;
            }
            if (run == BATCH) {
                dispatch(next);
                return;
            }
            job = next;
        }
    }

    /** A slot in the pool became free: the next lane's job takes it, or the slot is returned. */
    private Job finishOne() {
        lock.lock();
        try {
            if (ring.isEmpty()) {
                inFlight--;
                return null;
            }
            return takeNextLocked();
        } finally {
            lock.unlock();
        }
    }

    private Job takeNextLocked() {
        Lane lane = ring.pollFirst();
        Job job = lane.jobs.pollFirst();
        queued--;
        if (lane.jobs.isEmpty()) {
            lanes.remove(lane.key);
        } else {
            ring.addLast(lane);
        }
        return job;
    }

    private static void reject(Job job, Throwable cause) {
        try {
            job.onRejected.accept(cause);
        } catch (Throwable t) {
            LOG.error("rejection handler failed", t);
        }
    }

    private static int parallelismOf(Executor pool) {
        if (pool instanceof ThreadPoolExecutor tpe) {
            return Math.max(1, Math.min(tpe.getMaximumPoolSize(), 1024));
        }
        if (pool instanceof ForkJoinPool fjp) {
            return Math.max(1, fjp.getParallelism());
        }
        return DEFAULT_MAX_IN_FLIGHT;
    }

    private record Job(Runnable work, Consumer<Throwable> onRejected) {}

    private static final class Lane {
        final Object key;
        final ArrayDeque<Job> jobs = new ArrayDeque<>();

        Lane(Object key) {
            this.key = key;
        }
    }
}
