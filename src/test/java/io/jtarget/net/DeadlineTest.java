package io.jtarget.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Shutdown steps share one deadline: none waits past it, whatever its own cap. */
class DeadlineTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private Deadline deadline(Duration timeout) {
        return new Deadline(timeout, now::get, now::addAndGet);
    }

    @Test
    void shouldStopWaitingAtTheDeadlineWhenTheConditionNeverHolds() {
        Deadline d = deadline(Duration.ofSeconds(3));
        long start = now.get();
        assertThat(d.waitFor(() -> false, Duration.ofSeconds(10))).isFalse();
        assertThat(now.get() - start).isEqualTo(Duration.ofSeconds(3).toNanos());
        assertThat(d.remaining()).isZero();
        // Later steps get nothing: the shared deadline has passed.
        assertThat(d.waitFor(() -> false, Duration.ofSeconds(10))).isFalse();
        assertThat(now.get() - start).isEqualTo(Duration.ofSeconds(3).toNanos());
    }

    @Test
    void shouldStopAtTheStepsOwnCapWhenItIsEarlier() {
        Deadline d = deadline(Duration.ofSeconds(30));
        long start = now.get();
        assertThat(d.waitFor(() -> false, Duration.ofSeconds(2))).isFalse();
        assertThat(now.get() - start).isEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(d.remaining()).isEqualTo(Duration.ofSeconds(28));
    }

    @Test
    void shouldReturnAsSoonAsTheConditionHolds() {
        Deadline d = deadline(Duration.ofSeconds(30));
        AtomicInteger polls = new AtomicInteger();
        long start = now.get();
        assertThat(d.waitFor(() -> polls.incrementAndGet() > 3, Duration.ofSeconds(30))).isTrue();
        assertThat(now.get() - start).isEqualTo(3 * Deadline.POLL.toNanos());
    }
}
