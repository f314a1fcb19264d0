package io.jtarget.rdma;

import java.util.concurrent.atomic.LongAdder;

/**
 * Verbs calls, work requests, completions and wake-ups: counts for reports ("verbs calls per I/O"),
 * never timings. One object per connection, written only by its event loop (plain fields: no
 * atomic on the hot path); {@link #addTo} folds a released connection into an endpoint's totals,
 * which any thread may read.
 */
public final class RdmaCounters {
    long postSendCalls;
    long postRecvCalls;
    long pollCqCalls;
    long reqNotifyCalls;
    long sendWorkRequests;
    long recvWorkRequests;
    long completions;
    long errorCompletions;
    long wakeups;
    long cqEvents;

    /** An immutable copy of the counts. */
    public record Snapshot(long postSendCalls, long postRecvCalls, long pollCqCalls, long reqNotifyCalls,
            long sendWorkRequests, long recvWorkRequests, long completions, long errorCompletions,
            long wakeups, long cqEvents) {
        /** All verbs calls on the data path: post_send + post_recv + poll_cq + req_notify_cq. */
        public long verbsCalls() {
            return postSendCalls + postRecvCalls + pollCqCalls + reqNotifyCalls;
        }

        public Snapshot plus(Snapshot o) {
            return new Snapshot(postSendCalls + o.postSendCalls, postRecvCalls + o.postRecvCalls,
                    pollCqCalls + o.pollCqCalls, reqNotifyCalls + o.reqNotifyCalls,
                    sendWorkRequests + o.sendWorkRequests, recvWorkRequests + o.recvWorkRequests,
                    completions + o.completions, errorCompletions + o.errorCompletions,
                    wakeups + o.wakeups, cqEvents + o.cqEvents);
        }

        /** {@code key=value} pairs, one per count, for logs and {@code METRIC} lines. */
        @Override
        public String toString() {
            return "post_send=" + postSendCalls + " post_recv=" + postRecvCalls + " poll_cq=" + pollCqCalls
                    + " req_notify_cq=" + reqNotifyCalls + " send_wr=" + sendWorkRequests
                    + " recv_wr=" + recvWorkRequests + " completions=" + completions
                    + " error_completions=" + errorCompletions + " wakeups=" + wakeups
                    + " cq_events=" + cqEvents;
        }
    }

    /** Read from the connection's loop for exact values; from elsewhere the counts may lag. */
    public Snapshot snapshot() {
        return new Snapshot(postSendCalls, postRecvCalls, pollCqCalls, reqNotifyCalls, sendWorkRequests,
                recvWorkRequests, completions, errorCompletions, wakeups, cqEvents);
    }

    /** Totals of many connections (their {@link #addTo} at release), safe from any thread. */
    public static final class Totals {
        private final LongAdder[] sums = new LongAdder[10];

        public Totals() {
            for (int i = 0; i < sums.length; i++) {
                sums[i] = new LongAdder();
            }
        }

        void add(Snapshot s) {
            long[] v = {s.postSendCalls, s.postRecvCalls, s.pollCqCalls, s.reqNotifyCalls, s.sendWorkRequests,
                s.recvWorkRequests, s.completions, s.errorCompletions, s.wakeups, s.cqEvents};
            for (int i = 0; i < v.length; i++) {
                sums[i].add(v[i]);
            }
        }

        public Snapshot snapshot() {
            return new Snapshot(sums[0].sum(), sums[1].sum(), sums[2].sum(), sums[3].sum(), sums[4].sum(),
                    sums[5].sum(), sums[6].sum(), sums[7].sum(), sums[8].sum(), sums[9].sum());
        }
    }

    void addTo(Totals totals) {
        totals.add(snapshot());
    }
}
