package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LbaRangeLockTest {
    private final LbaRangeLock lock = new LbaRangeLock();
    private final List<LbaRangeLock.Lease> leases = new ArrayList<>();

    private boolean tryAcquire(long lba, long blocks, LbaRangeLock.Mode mode) {
        int before = leases.size();
        lock.acquire(lba, blocks, mode, leases::add);
        return leases.size() > before;
    }

    @Test
    void shouldGrantOverlappingSharedRangesAtOnce() {
        assertThat(tryAcquire(0, 100, LbaRangeLock.Mode.SHARED)).isTrue();
        assertThat(tryAcquire(50, 100, LbaRangeLock.Mode.SHARED)).isTrue();
    }

    @Test
    void shouldGrantDisjointExclusiveRangesAtOnce() {
        assertThat(tryAcquire(0, 10, LbaRangeLock.Mode.EXCLUSIVE)).isTrue();
        assertThat(tryAcquire(10, 10, LbaRangeLock.Mode.EXCLUSIVE)).isTrue();
        assertThat(tryAcquire(1L << 40, 10, LbaRangeLock.Mode.EXCLUSIVE)).isTrue();
    }

    @Test
    void shouldHoldBackOverlappingAccessUntilExclusiveHolderReleases() {
        assertThat(tryAcquire(0, 10, LbaRangeLock.Mode.EXCLUSIVE)).isTrue();
        assertThat(tryAcquire(5, 1, LbaRangeLock.Mode.SHARED)).isFalse();
        leases.get(0).release();
        assertThat(leases).hasSize(2);
        leases.get(1).release();
        assertThat(lock.activeRequests()).isZero();
    }

    @Test
    void shouldNotLetLaterReadersOvertakeAWaitingExclusiveRequest() {
        assertThat(tryAcquire(0, 10, LbaRangeLock.Mode.SHARED)).isTrue();
        assertThat(tryAcquire(0, 10, LbaRangeLock.Mode.EXCLUSIVE)).isFalse();
        assertThat(tryAcquire(0, 10, LbaRangeLock.Mode.SHARED)).isFalse();
        leases.get(0).release(); // the exclusive one goes first
        assertThat(leases).hasSize(2);
        leases.get(1).release(); // then the reader
        assertThat(leases).hasSize(3);
    }

    @Test
    void shouldOrderRangesSpanningManyRegionsWithoutDeadlock() {
        long wide = (long) LbaRangeLock.STRIPES << LbaRangeLock.REGION_SHIFT;
        assertThat(tryAcquire(0, wide * 2, LbaRangeLock.Mode.EXCLUSIVE)).isTrue();
        assertThat(tryAcquire(wide, 5, LbaRangeLock.Mode.EXCLUSIVE)).isFalse();
        assertThat(tryAcquire(3, wide, LbaRangeLock.Mode.SHARED)).isFalse();
        leases.get(0).release(); // the exclusive request first (FIFO); the reader overlaps it, so waits
        assertThat(leases).hasSize(2);
        leases.get(1).release();
        assertThat(leases).hasSize(3);
        leases.get(2).release();
        assertThat(lock.activeRequests()).isZero();
    }

    @Test
    void shouldSeeConflictsOfRangesWhoseRegionsWrapPastTheLastStripe() {
        long region = 1L << LbaRangeLock.REGION_SHIFT;
        long lastStripeRegion = (LbaRangeLock.STRIPES - 1) * region;
        // Regions 63, 64 and 65: stripes 63, 0 and 1.
        assertThat(tryAcquire(lastStripeRegion + 10, 2 * region, LbaRangeLock.Mode.EXCLUSIVE)).isTrue();
        assertThat(tryAcquire(LbaRangeLock.STRIPES * region + 5, 1, LbaRangeLock.Mode.SHARED))
                .as("region 64 is on stripe 0 and inside the exclusive range").isFalse();
        assertThat(tryAcquire(5, 1, LbaRangeLock.Mode.SHARED)).as("region 0: stripe 0, another range").isTrue();
        assertThat(tryAcquire(lastStripeRegion + 2 * region + 20, 1, LbaRangeLock.Mode.EXCLUSIVE))
                .as("region 65, after the range's end").isTrue();
        leases.get(0).release();
        assertThat(leases).hasSize(4);
        leases.subList(1, 4).forEach(LbaRangeLock.Lease::release);
        assertThat(lock.activeRequests()).isZero();
    }
}
