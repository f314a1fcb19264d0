package io.jtarget.iscsi.session;

/**
 * The Data-Out buffer memory one connection may hold across its write tasks (DESIGN.md: "buffer
 * memory per connection" is an explicit limit). Owned by the connection's event loop.
 */
final class DataOutBudget {
    private final long limit;
    private long reserved;

    DataOutBudget(long limit) {
        this.limit = limit;
    }

    /** Reserves {@code bytes} if they fit under the limit. */
    boolean tryReserve(int bytes) {
        if (reserved + bytes > limit) {
            return false;
        }
        reserved += bytes;
        return true;
    }

    void release(int bytes) {
        reserved -= bytes;
        if (reserved < 0) {
            throw new IllegalStateException("Data-Out budget released more than reserved");
        }
    }

    long reserved() {
        return reserved;
    }
}
