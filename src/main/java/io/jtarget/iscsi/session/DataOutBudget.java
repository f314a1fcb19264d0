package io.jtarget.iscsi.session;

import java.util.concurrent.atomic.LongAdder;

/**
 * The Data-Out buffer memory one connection may hold across its write tasks (DESIGN.md: "buffer
 * memory per connection" is an explicit limit). Owned by the connection's event loop.
 */
final class DataOutBudget {
    private final long limit;
    /** The sum over every connection's budget, which metrics report. */
    private final LongAdder serverTotal;
    private long reserved;

    DataOutBudget(long limit, LongAdder serverTotal) {
        this.limit = limit;
        this.serverTotal = serverTotal;
    }

    /** Reserves {@code bytes} if they fit under the limit. */
    boolean tryReserve(int bytes) {
        if (reserved + bytes > limit) {
            return false;
        }
        reserved += bytes;
        serverTotal.add(bytes);
        return true;
    }

    void release(int bytes) {
        reserved -= bytes;
        serverTotal.add(-bytes);
        if (reserved < 0) {
            throw new IllegalStateException("Data-Out budget released more than reserved");
        }
    }

    long reserved() {
        return reserved;
    }
}
