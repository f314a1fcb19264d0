package io.jtarget.net;

import io.netty.util.internal.PlatformDependent;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Hands completions from any thread back to a connection's event loop in batches: producers add
 * to a lock-free multi-producer queue, and only the producer that finds no drain pending posts
 * one task to the loop. That task handles every completion queued by then and calls
 * {@code afterBatch} once, so the connection flushes all their responses with one gathering
 * write (completions drained in a batch, one wake-up and one syscall for many I/Os).
 *
 * <p>No lock is shared between the submitting side (the loop) and the completing side (backend
 * threads): they meet only in the queue and the "drain pending" flag (submit and completion share no lock).
 */
public final class CompletionQueue<T> {
    private final Executor loop;
    private final Consumer<T> handler;
    private final Runnable afterBatch;
    private final Queue<T> queue = PlatformDependent.newMpscQueue();
    private final AtomicBoolean drainPending = new AtomicBoolean();
    private final Runnable drainTask = this::drain;

    /**
     * @param loop the owner's event loop: {@code handler} and {@code afterBatch} run only there
     * @param handler called for each completion, in the order they were posted by one producer
     * @param afterBatch called after each batch (the connection flushes)
     */
    public CompletionQueue(Executor loop, Consumer<T> handler, Runnable afterBatch) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.afterBatch = Objects.requireNonNull(afterBatch, "afterBatch");
    }

    /** From any thread: queue a completion; the loop handles it in its next batch. */
    public void post(T completion) {
        queue.offer(completion);
        if (!drainPending.get() && drainPending.compareAndSet(false, true)) {
            loop.execute(drainTask);
        }
    }

    /** On the loop: handle everything queued so far, then end the batch. */
    public void drain() {
        // Cleared before polling: a completion posted after this point either is seen by the
        // loop below or schedules the next drain; none is left behind.
        drainPending.set(false);
        T completion;
        while ((completion = queue.poll()) != null) {
            handler.accept(completion);
        }
        afterBatch.run();
    }
}
