package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.metrics.CommandKind;
import io.jtarget.metrics.LunStats;
import org.junit.jupiter.api.Test;

/** The SCSI core counts every command that reaches a logical unit, by kind, bytes, outcome and latency. */
class LunStatsCountingTest {

    @Test
    void shouldCountReadsWritesAndTheirBytesWhenCommandsSucceed() {
        try (Harness h = new Harness()) {
            LunStats stats = h.lu.stats();
            long otherBefore = stats.commands(CommandKind.OTHER); // the harness' TEST UNIT READYs
            h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 8, 0), new byte[8 * 512]);
            h.runWithData(Cdbs.rw16(ScsiOpcode.WRITE_16, 100, 2, 0), new byte[2 * 512]);
            h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 4, 0));
            h.run(Cdbs.inquiry(false, 0, 96));
            h.run(Cdbs.rw10(ScsiOpcode.SYNCHRONIZE_CACHE_10, 0, 0, 0));

            assertThat(stats.commands(CommandKind.WRITE)).isEqualTo(2);
            assertThat(stats.bytesWritten()).isEqualTo(10 * 512);
            assertThat(stats.commands(CommandKind.READ)).isEqualTo(1);
            assertThat(stats.bytesRead()).isEqualTo(4 * 512);
            assertThat(stats.commands(CommandKind.FLUSH)).isEqualTo(1);
            assertThat(stats.commands(CommandKind.OTHER) - otherBefore).isEqualTo(1);
            assertThat(stats.inFlight()).isZero();
            assertThat(stats.latency(CommandKind.WRITE).snapshot().count()).isEqualTo(2);
            assertThat(stats.latency(CommandKind.READ).snapshot().count()).isEqualTo(1);
        }
    }

    @Test
    void shouldCountOnlyTheWriteHalfOfCompareAndWriteAsWritten() {
        try (Harness h = new Harness()) {
            LunStats stats = h.lu.stats();
            // Block 7 holds zeros: compare with zeros, then write one block of ones.
            byte[] data = new byte[2 * 512];
            java.util.Arrays.fill(data, 512, 1024, (byte) 1);
            ScsiResponse r = h.runWithData(Cdbs.compareAndWrite(7, 1), data);
            assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(stats.commands(CommandKind.WRITE)).isEqualTo(1);
            assertThat(stats.bytesWritten()).as("the verify half is not written").isEqualTo(512);
        }
    }

    @Test
    void shouldCountWhatWriteSameWritesNotItsOneBlockOfDataOut() {
        try (Harness h = new Harness()) {
            LunStats stats = h.lu.stats();
            byte[] cdb = Cdbs.rw16(ScsiOpcode.WRITE_SAME_16, 64, 8, 0);
            assertThat(h.runWithData(cdb, new byte[512]).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(stats.bytesWritten()).as("8 blocks on the medium").isEqualTo(8 * 512);
        }
    }

    @Test
    void shouldCountCheckConditionsBySenseKeyAndNotCountTheirBytes() {
        try (Harness h = new Harness()) {
            LunStats stats = h.lu.stats();
            long illegalBefore = stats.checkConditions(0x5);
            // Beyond the last LBA: ILLEGAL REQUEST, LBA OUT OF RANGE.
            h.run(Cdbs.rw10(ScsiOpcode.READ_10, 4096, 1, 0));
            h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 4096, 1, 0), new byte[512]);

            assertThat(stats.checkConditions(0x5) - illegalBefore).isEqualTo(2);
            assertThat(stats.bytesRead()).isZero();
            assertThat(stats.bytesWritten()).isZero();
            assertThat(stats.commands(CommandKind.READ)).isEqualTo(1);
            assertThat(stats.commands(CommandKind.WRITE)).isEqualTo(1);
        }
    }

    @Test
    void shouldCountUnitAttentionsTheHarnessConsumedAsUnitAttention() {
        try (Harness h = new Harness()) {
            // Two nexuses each got POWER ON OCCURRED for their first TEST UNIT READY.
            assertThat(h.lu.stats().checkConditions(0x6)).isEqualTo(2);
        }
    }

    @Test
    void shouldCountReservationConflicts() {
        try (Harness h = new Harness()) {
            h.run(Harness.NEXUS, new byte[] {0x16, 0, 0, 0, 0, 0}); // RESERVE(6)
            ScsiResponse r = h.run(Harness.OTHER, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0));
            assertThat(r.status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
            assertThat(h.lu.stats().outcomes(LunStats.Outcome.RESERVATION_CONFLICT)).isEqualTo(1);
            assertThat(h.lu.stats().bytesRead()).isZero();
        }
    }

    @Test
    void shouldKeepACommandInFlightUntilTheDeviceCompletesIt() {
        try (Harness h = new Harness()) {
            h.device.manual = true;
            h.submit(Harness.NEXUS, 0, 77, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, 512, r -> {});
            assertThat(h.lu.stats().inFlight()).isEqualTo(1);
            h.device.completeNext();
            assertThat(h.lu.stats().inFlight()).isZero();
            assertThat(h.lu.stats().commands(CommandKind.READ)).isEqualTo(1);
        }
    }

    @Test
    void shouldReadTheSenseKeyOfFixedAndDescriptorSense() {
        assertThat(SenseData.senseKey(SenseData.encode(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED, false))).isEqualTo(0x5);
        assertThat(SenseData.senseKey(SenseData.encode(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED, true))).isEqualTo(0x5);
        assertThat(SenseData.senseKey(SenseData.encode(SenseReason.WRITE_PROTECTED, true))).isEqualTo(0x7);
        assertThat(SenseData.senseKey(null)).isZero();
    }
}
