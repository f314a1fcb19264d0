package io.jtarget.iser;

import java.util.ArrayDeque;

/**
 * Slots of a queue pair's send queue: posting beyond the depth the queue pair was created with
 * fails, so the target counts what it has outstanding. Work that needs more slots than are free waits, in order, until
 * completions return slots; nothing is dropped and nothing overtakes older work, so a SCSI
 * Response is never posted before the RDMA Write of its data.
 *
 * <p>Owned by the connection's event loop; not thread-safe.
 */
public final class SendCredits {
    /** Work that posts {@code slots} work requests when run. */
    public interface Work {
        int slots();

        void post();
    }

    private final int capacity;
    private final ArrayDeque<Work> waiting = new ArrayDeque<>();
    private int inUse;
    private long waits;

    public SendCredits(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity below 1: " + capacity);
        }
        this.capacity = capacity;
    }

    /** Runs {@code work} now if its slots are free and nothing waits before it, else queues it. */
    public void submit(Work work) {
        if (work.slots() > capacity) {
            throw new IllegalArgumentException("work needs " + work.slots() + " slots of " + capacity);
        }
        if (waiting.isEmpty() && inUse + work.slots() <= capacity) {
            inUse += work.slots();
            work.post();
        } else {
            waits++;
            waiting.add(work);
        }
    }

    /** Completions returned {@code slots} slots; runs waiting work that now fits, in order. */
    public void release(int slots) {
        if (slots < 0 || slots > inUse) {
            throw new IllegalStateException("release of " + slots + " slots with " + inUse + " in use");
        }
        inUse -= slots;
        while (!waiting.isEmpty() && inUse + waiting.peek().slots() <= capacity) {
            Work next = waiting.poll();
            inUse += next.slots();
            next.post();
        }
    }

    /** Drops waiting work (the connection is closing); returns how many were dropped. */
    public int abandon() {
        int dropped = waiting.size();
        waiting.clear();
        return dropped;
    }

    public int inUse() {
        return inUse;
    }

    public int waiting() {
        return waiting.size();
    }

    /** How often work had to wait for slots (a sizing diagnostic). */
    public long waits() {
        return waits;
    }
}
