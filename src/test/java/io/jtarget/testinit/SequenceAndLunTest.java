package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SequenceAndLunTest {

    @Test
    void shouldCompareAcrossWrapWhenUsingSerialArithmetic() {
        assertThat(SerialNumbers.lessThan(0xFFFFFFFF, 0)).isTrue();
        assertThat(SerialNumbers.lessThan(0, 0xFFFFFFFF)).isFalse();
        assertThat(SerialNumbers.greaterThan(5, 0xFFFFFFF0)).isTrue();
        assertThat(SerialNumbers.lessOrEqual(7, 7)).isTrue();
    }

    @Test
    void shouldUsePeripheralAddressingWhenLunIsBelow256() {
        assertThat(Luns.encode(0)).isZero();
        assertThat(Luns.encode(5)).isEqualTo(0x0005_0000_0000_0000L);
        assertThat(Luns.decode(Luns.encode(255))).isEqualTo(255);
    }

    @Test
    void shouldUseFlatAddressingWhenLunIs256OrMore() {
        assertThat(Luns.encode(0x123)).isEqualTo(0x4123_0000_0000_0000L);
        assertThat(Luns.decode(0x4123_0000_0000_0000L)).isEqualTo(0x123);
        assertThat(Luns.decode(0x0001_0000_0000_0001L)).as("not single level").isEqualTo(-1);
    }
}
