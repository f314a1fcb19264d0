package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CdbTest {
    @Test
    void shouldAcceptRangeEndingExactlyAtCapacity() {
        assertThat(Cdb.inRange(90, 10, 100)).isTrue();
        assertThat(Cdb.inRange(100, 0, 100)).isTrue();
    }

    @Test
    void shouldRejectRangeCrossingCapacity() {
        assertThat(Cdb.inRange(91, 10, 100)).isFalse();
        assertThat(Cdb.inRange(101, 0, 100)).isFalse();
    }

    @Test
    void shouldRejectOverflowingLbaPlusLengthWhenLbaIsHuge() {
        long max = 0xFFFF_FFFF_FFFF_FFFFL;
        assertThat(Cdb.inRange(max, 1, 100)).isFalse();
        assertThat(Cdb.inRange(max - 1, 0xFFFF_FFFFL, Long.MAX_VALUE)).isFalse();
        assertThat(Cdb.inRange(1L << 63, 0, Long.MAX_VALUE)).isFalse();
    }

    @Test
    void shouldTreatZeroTransferLengthOfSixByteCdbAs256Blocks() {
        byte[] cdb = Cdbs.rw6(ScsiOpcode.READ_6, 0x1F_FFFF, 0);
        assertThat(BlockCdbLayout.SIX.blocks(cdb)).isEqualTo(256);
        assertThat(BlockCdbLayout.SIX.lba(cdb)).isEqualTo(0x1F_FFFF);
    }

    @Test
    void shouldReadUnsigned64BitLbaFromSixteenByteCdb() {
        byte[] cdb = Cdbs.rw16(ScsiOpcode.READ_16, 0xFFFF_FFFF_FFFF_FFF0L, 0xFFFF_FFFFL, 0);
        assertThat(BlockCdbLayout.SIXTEEN.lba(cdb)).isEqualTo(0xFFFF_FFFF_FFFF_FFF0L);
        assertThat(BlockCdbLayout.SIXTEEN.blocks(cdb)).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    void shouldDeriveCdbLengthFromOpcodeGroup() {
        assertThat(Cdb.length(ScsiOpcode.READ_6)).isEqualTo(6);
        assertThat(Cdb.length(ScsiOpcode.READ_10)).isEqualTo(10);
        assertThat(Cdb.length(ScsiOpcode.MODE_SENSE_10)).isEqualTo(10);
        assertThat(Cdb.length(ScsiOpcode.READ_16)).isEqualTo(16);
        assertThat(Cdb.length(ScsiOpcode.READ_12)).isEqualTo(12);
    }
}
