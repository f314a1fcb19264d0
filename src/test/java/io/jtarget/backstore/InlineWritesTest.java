package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InlineWritesTest {
    private static final int FS_BLOCK = 4096;

    private final WritebackPressureTest.FakeSource source = new WritebackPressureTest.FakeSource();
    private long now = 5_000_000_000L;
    private final InlineWrites inline =
            new InlineWrites("file:test", FS_BLOCK, new WritebackPressure(source, () -> now), () -> now);

    @Test
    void shouldAdmitSmallAlignedWritesThatNeedNotBeDurable() {
        assertThat(inline.admit(0, FS_BLOCK, false)).isTrue();
        assertThat(inline.admit(7L * FS_BLOCK, InlineWrites.MAX_BYTES, false)).isTrue();
    }

    @Test
    void shouldRefuseWritesThatCouldWaitForTheDisk() {
        assertThat(inline.admit(0, FS_BLOCK, true)).as("FUA or write-through").isFalse();
        assertThat(inline.admit(512, FS_BLOCK, false)).as("starts inside a file-system block").isFalse();
        assertThat(inline.admit(0, FS_BLOCK + 512, false)).as("ends inside a file-system block").isFalse();
        assertThat(inline.admit(0, InlineWrites.MAX_BYTES + FS_BLOCK, false)).as("too long").isFalse();
    }

    @Test
    void shouldNotOvertakeRequestsOfTheDeviceOnTheBackendPool() {
        inline.backendSubmitted();
        assertThat(inline.admit(0, FS_BLOCK, false)).isFalse();
        inline.backendEnded();
        assertThat(inline.admit(0, FS_BLOCK, false)).isTrue();
    }

    @Test
    void shouldRefuseWhileTheKernelIsNearThrottlingWriters() {
        source.dirty = source.background; // far beyond half the background threshold
        assertThat(inline.admit(0, FS_BLOCK, false)).isFalse();
    }

    @Test
    void shouldSendWritesToThePoolForAWhileAfterASlowInlineWrite() {
        long started = inline.start();
        now += InlineWrites.SLOW_NANOS - 1;
        inline.finish(started);
        assertThat(inline.admit(0, FS_BLOCK, false)).as("not slow enough to count").isTrue();

        started = inline.start();
        now += InlineWrites.SLOW_NANOS + 1;
        inline.finish(started);
        assertThat(inline.admit(0, FS_BLOCK, false)).isFalse();
        now += InlineWrites.PAUSE_NANOS - 1;
        assertThat(inline.admit(0, FS_BLOCK, false)).isFalse();
        now += 2;
        assertThat(inline.admit(0, FS_BLOCK, false)).isTrue();
    }
}
