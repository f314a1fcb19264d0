package io.jtarget.scsi;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Asynchronous shared/exclusive lock over LBA ranges of one logical unit.
 *
 * <p>Every medium access holds its range for the duration of its I/O: ordinary reads and writes
 * share (they may overlap each other, as on any disk: SAM-5 leaves the order of overlapping SIMPLE
 * tasks undefined), while commands that must be atomic against every other access to their range
 * hold it exclusively: COMPARE AND WRITE (SBC-4 §5.3: "the device server shall not process any other
 * commands that access the same LBAs" meanwhile), ORWRITE, WRITE ATOMIC, deallocation, SANITIZE.
 *
 * <p>No global lock: the LBA space is cut into regions of {@value #REGION_SHIFT}-bit block counts and
 * each region maps onto one of {@value #STRIPES} stripes with a monitor of its own; a request takes
 * the stripes its range touches in ascending order, so disjoint ranges in different regions never
 * meet on a monitor, and ordered acquisition (with a conflict that is the same at every stripe two
 * requests share) cannot deadlock. Within a stripe, requests are granted in arrival order: a request
 * that conflicts with one waiting before it waits too, so a stream of readers cannot starve a COMPARE
 * AND WRITE.
 *
 * <p>Nothing blocks: {@link #acquire} runs the continuation inline when the range is free, otherwise on
 * the thread whose {@link Lease#release} frees it.
 */
final class LbaRangeLock {
    static final int REGION_SHIFT = 11;
    static final int STRIPES = 64;

    enum Mode {
        SHARED,
        EXCLUSIVE
    }

    /** A granted range; release exactly once, when the command's access to the medium has finished. */
    interface Lease {
        void release();
    }

    private static final int[] ALL_STRIPES = new int[STRIPES];
    private static final int[][] SINGLE_STRIPES = new int[STRIPES][];

    static {
        for (int i = 0; i < STRIPES; i++) {
            ALL_STRIPES[i] = i;
            SINGLE_STRIPES[i] = new int[] {i};
        }
    }

    private final Stripe[] stripes = new Stripe[STRIPES];

    LbaRangeLock() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /**
     * Acquire {@code [lba, lba + blocks)} ({@code blocks} at least 1; an unsigned range is clamped to
     * the end of the LBA space) in {@code mode}; {@code granted} runs once with the lease.
     */
    void acquire(long lba, long blocks, Mode mode, java.util.function.Consumer<Lease> granted) {
        Request request = new Request(lba, blocks, mode, stripesOf(lba, blocks), granted);
        request.advance();
    }

    /** Stripe indices of the regions the range touches, ascending, without duplicates. */
    private static int[] stripesOf(long lba, long blocks) {
        long first = lba >>> REGION_SHIFT;
        long last = (lba + Math.max(1, blocks) - 1) >>> REGION_SHIFT;
        if (Long.compareUnsigned(last, first) < 0) {
            last = -1L >>> REGION_SHIFT; // wrapped past 2^64: up to the last region
        }
        long regions = last - first + 1;
        if (regions <= 0 || regions >= STRIPES) {
            return ALL_STRIPES;
        }
        int start = (int) (first & (STRIPES - 1));
        if (regions == 1) {
            return SINGLE_STRIPES[start]; // the common case: shared, never modified
        }
        // Fewer regions than stripes: consecutive stripes from start, wrapping past the last one.
        int count = (int) regions;
        int[] result = new int[count];
        int wrapped = Math.max(0, start + count - STRIPES);
        for (int i = 0; i < wrapped; i++) {
            result[i] = i;
        }
        for (int i = wrapped; i < count; i++) {
            result[i] = start + i - wrapped;
        }
        return result;
    }

    /** Number of requests holding or waiting for a stripe (for tests). */
    int activeRequests() {
        int n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                n += s.held.size() + s.waiting.size();
            }
        }
        return n;
    }

    private final class Request implements Lease {
        final long first;
        final long last; // inclusive, unsigned
        final Mode mode;
        final int[] stripeIndices;
        final java.util.function.Consumer<Lease> granted;
        /** Index into {@link #stripeIndices} of the next stripe to take; only the request's current driver touches it. */
        int next;
        private boolean released;

        Request(long lba, long blocks, Mode mode, int[] stripeIndices, java.util.function.Consumer<Lease> granted) {
            this.first = lba;
            long end = lba + Math.max(1, blocks) - 1;
            this.last = Long.compareUnsigned(end, lba) < 0 ? -1L : end;
            this.mode = mode;
            this.stripeIndices = stripeIndices;
            this.granted = granted;
        }

        boolean conflictsWith(Request other) {
            if (mode == Mode.SHARED && other.mode == Mode.SHARED) {
                return false;
            }
            return Long.compareUnsigned(first, other.last) <= 0 && Long.compareUnsigned(other.first, last) <= 0;
        }

        /** Take the remaining stripes in order; park in the first one that is busy. */
        void advance() {
            while (next < stripeIndices.length) {
                Stripe stripe = stripes[stripeIndices[next]];
                synchronized (stripe) {
                    if (stripe.blocks(this)) {
                        stripe.waiting.addLast(this);
                        return;
                    }
                    stripe.held.add(this);
                }
                next++;
            }
            granted.accept(this);
        }

        @Override
        public void release() {
            synchronized (this) {
                if (released) {
                    throw new IllegalStateException("lease released twice");
                }
                released = true;
            }
            List<Request> resumed = null;
            for (int index : stripeIndices) {
                Stripe stripe = stripes[index];
                synchronized (stripe) {
                    stripe.held.remove(this);
                    if (!stripe.waiting.isEmpty()) {
                        if (resumed == null) {
                            resumed = new ArrayList<>();
                        }
                        stripe.grantWaiters(resumed);
                    }
                }
            }
            if (resumed == null) {
                return;
            }
            // Outside every monitor: a resumed request takes its further stripes and runs its command.
            for (Request r : resumed) {
                r.next++;
                r.advance();
            }
        }
    }

    private static final class Stripe {
        final List<Request> held = new ArrayList<>(4);
        final ArrayDeque<Request> waiting = new ArrayDeque<>();

        /** A new request waits if it conflicts with a holder or with anyone already waiting (FIFO). */
        boolean blocks(Request request) {
            for (int i = 0, n = held.size(); i < n; i++) {
                if (held.get(i).conflictsWith(request)) {
                    return true;
                }
            }
            if (waiting.isEmpty()) {
                return false;
            }
            for (Request w : waiting) {
                if (w.conflictsWith(request)) {
                    return true;
                }
            }
            return false;
        }

        /** Move every waiter that no longer conflicts (with holders or earlier waiters) into the holders. */
        void grantWaiters(List<Request> resumed) {
            List<Request> stillWaiting = new ArrayList<>();
            for (Iterator<Request> it = waiting.iterator(); it.hasNext(); ) {
                Request w = it.next();
                boolean blocked = false;
                for (Request h : held) {
                    if (h.conflictsWith(w)) {
                        blocked = true;
                        break;
                    }
                }
                if (!blocked) {
                    for (Request earlier : stillWaiting) {
                        if (earlier.conflictsWith(w)) {
                            blocked = true;
                            break;
                        }
                    }
                }
                if (blocked) {
                    stillWaiting.add(w);
                } else {
                    it.remove();
                    held.add(w);
                    resumed.add(w);
                }
            }
        }
    }
}
