package io.jtarget.iser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IserQueueSizingTest {
    @Test
    void shouldPostAReceiveForEveryCommandOfTheWindowAndEveryUnexpectedPdu() {
        IserQueueSizing sizing = IserQueueSizing.of(128, new IserLimits(8192, 8192, 8));

        assertThat(sizing.receiveBuffers()).isEqualTo(136);
        assertThat(sizing.sendBuffers()).isEqualTo(136);
        assertThat(sizing.sendQueueDepth()).isEqualTo(128 * 3 + 8);
    }

    @Test
    void shouldHoldTheLargestControlPduInOneReceiveBuffer() {
        IserQueueSizing sizing = IserQueueSizing.of(16, new IserLimits(8192, 4096, 2));

        // iSER header + BHS + 255-word AHS + 8192 bytes of data, on a 64-byte boundary.
        assertThat(sizing.receiveBufferBytes()).isGreaterThanOrEqualTo(28 + 48 + 1020 + 8192);
        assertThat(sizing.receiveBufferBytes() % 64).isZero();
        assertThat(sizing.sendBufferBytes()).isGreaterThanOrEqualTo(28 + 48 + 4096).isLessThan(28 + 48 + 4096 + 64);
        assertThat(sizing.controlBufferBytes())
                .isEqualTo(18L * sizing.receiveBufferBytes() + 18L * sizing.sendBufferBytes());
    }

    @Test
    void shouldPadAnOddDataSegmentLength() {
        IserQueueSizing sizing = IserQueueSizing.of(1, new IserLimits(513, 513, 2));
        assertThat(sizing.sendBufferBytes()).isGreaterThanOrEqualTo(28 + 48 + 516);
    }

    @Test
    void shouldRefuseAnEmptyWindow() {
        assertThatThrownBy(() -> IserQueueSizing.of(0, new IserLimits(8192, 8192, 2)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
