package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PhysicalBlocksTest {

    @ParameterizedTest
    @CsvSource({
        "-5, 1", "0, 1", "1, 1", "2, 2", "3, 2", "4, 4", "7, 4", "8, 8", "9, 8", "64, 64", "127, 64", "128, 128",
        "129, 128", "256, 128", "4096, 128", "9223372036854775807, 128"
    })
    void shouldReturnTheLargestPowerOfTwoNotAboveTheBlocksWithinTheLimit(long blocks, int expected) {
        int result = PhysicalBlocks.powerOfTwoAtMost(blocks);
        assertThat(result).isEqualTo(expected);
        assertThat(Integer.bitCount(result)).isEqualTo(1);
        assertThat(result).isLessThanOrEqualTo(PhysicalBlocks.MAX_LOGICAL_PER_PHYSICAL);
    }
}
