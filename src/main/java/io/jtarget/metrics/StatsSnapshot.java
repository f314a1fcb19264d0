package io.jtarget.metrics;

import java.util.List;

/**
 * Every logical unit's counters at one moment of the server's monotonic clock, so that rates come
 * from the server's own interval between two snapshots rather than from when a client asked.
 */
public record StatsSnapshot(long takenAtNanos, List<LunSample> luns) {
    public StatsSnapshot {
        luns = List.copyOf(luns);
    }
}
