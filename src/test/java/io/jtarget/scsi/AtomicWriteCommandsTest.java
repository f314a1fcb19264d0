package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ORWRITE(16) (SBC-4 §5.11) and WRITE ATOMIC(16) (SBC-4 §5.46) against the Block Limits VPD limits. */
class AtomicWriteCommandsTest {
    /** 4 KiB blocks: MAXIMUM TRANSFER LENGTH is 2048 blocks, so one past it still fits the 4096-block medium. */
    private static final int BS = 4096;
    private static final long BLOCKS = 4096;
    private final Harness h = new Harness(new FakeBlockDevice(BS, BLOCKS, true), false, false);

    @AfterEach
    void release() {
        h.close();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * seed + (i >>> 8));
        }
        return b;
    }

    private static byte[] or(byte[] a, byte[] b) {
        byte[] r = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = (byte) (a[i] | b[i]);
        }
        return r;
    }

    private byte[] blockLimits() {
        byte[] b0 = Harness.data(h.run(Cdbs.inquiry(true, InquiryData.PAGE_BLOCK_LIMITS, 255)));
        assertThat(b0).hasSize(64);
        return b0;
    }

    private void setMedium(long lba, byte[] data) {
        assertThat(h.runWithData(Cdbs.rw16(ScsiOpcode.WRITE_16, lba, data.length / BS, 0), data).status())
                .isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldOrTheDataOutIntoTheMediumWithOrwrite() {
        byte[] medium = pattern(3 * BS, 7);
        byte[] dataOut = pattern(3 * BS, 13);
        setMedium(10, medium);
        h.device.fill(9, 1, (byte) 0x11);
        h.device.fill(13, 1, (byte) 0x22);
        ScsiResponse r = h.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, 10, 3, 0), dataOut);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.commandTransferLength()).isEqualTo(3 * BS);
        assertThat(h.device.bytes(10, 3)).isEqualTo(or(medium, dataOut)).isNotEqualTo(dataOut);
        assertThat(h.device.bytes(9, 1)).containsOnly(0x11);
        assertThat(h.device.bytes(13, 1)).containsOnly(0x22);
        assertThat(h.device.lastWriteFua).isFalse();
    }

    @Test
    void shouldPassFuaThroughOrwrite() {
        assertThat(h.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, 0, 1, BlockCdbLayout.FUA), new byte[BS]).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.lastWriteFua).isTrue();
    }

    @Test
    void shouldRejectOrwriteAboveTheMaximumTransferLength() {
        int max = (int) Bytes.u32(blockLimits(), 8);
        assertThat(max).isEqualTo(LogicalUnit.MAX_TRANSFER_BYTES / BS);
        // SBC-4 §6.6.4: a transfer longer than MAXIMUM TRANSFER LENGTH is an invalid field in the CDB.
        assertThat(Harness.sense(h.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, 0, max + 1, 0), new byte[(max + 1) * BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldReturnGoodWithoutTouchingTheMediumWhenOrwriteTransferLengthIsZero() {
        ScsiResponse r = h.run(Cdbs.rw16(ScsiOpcode.ORWRITE_16, 5, 0, 0));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldRejectOrwriteOutsideTheMediumWithLbaOutOfRange() {
        int[] outOfRange = Harness.expected(SenseReason.LBA_OUT_OF_RANGE);
        assertThat(Harness.sense(h.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, BLOCKS - 1, 2, 0), new byte[2 * BS])))
                .isEqualTo(outOfRange);
        assertThat(Harness.sense(h.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, BLOCKS, 1, 0), new byte[BS])))
                .isEqualTo(outOfRange);
        assertThat(Harness.sense(h.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, -1L, 1, 0), new byte[BS])))
                .isEqualTo(outOfRange);
        assertThat(h.device.writes).isZero();
        assertThat(h.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, BLOCKS - 1, 1, 0), new byte[BS]).status())
                .isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRejectOrwriteWithOrprotectSet() {
        assertThat(Harness.sense(h.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, 0, 1, 0x20), new byte[BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldHoldTheRangeFromReadToWriteSoThatAnOverlappingWriteLandsAfterTheOrwrite() {
        h.device.fill(0, 1, (byte) 0x01);
        h.device.manual = true;
        List<String> events = new ArrayList<>();
        byte[] orData = new byte[BS];
        Arrays.fill(orData, (byte) 0x02);
        byte[] writeData = new byte[BS];
        Arrays.fill(writeData, (byte) 0x40);
        h.submit(Harness.NEXUS, 0, 100, Cdbs.rw16(ScsiOpcode.ORWRITE_16, 0, 1, 0), orData, BS,
                r -> events.add("orwrite " + r.status()));
        h.submit(Harness.OTHER, 0, 101, Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), writeData, BS,
                r -> events.add("write " + r.status()));
        // SBC-4 §5.11: no other command may access the range between ORWRITE's read and its write.
        assertThat(h.device.pendingCount()).as("only ORWRITE's read").isEqualTo(1);
        h.device.completeNext();
        assertThat(h.device.pendingCount()).as("only ORWRITE's write").isEqualTo(1);
        h.device.completeNext();
        assertThat(events).containsExactly("orwrite 0");
        assertThat(h.device.bytes(0, 1)).containsOnly(0x03);
        h.device.completeNext();
        assertThat(events).containsExactly("orwrite 0", "write 0");
        assertThat(h.device.bytes(0, 1)).containsOnly(0x40);
    }

    @Test
    void shouldReportTheAtomicLimitsInTheBlockLimitsPage() {
        byte[] b0 = blockLimits();
        long maxTransfer = Bytes.u32(b0, 8);
        // SBC-4 §6.6.4: MAXIMUM ATOMIC TRANSFER LENGTH (44-47) at most MAXIMUM TRANSFER LENGTH; ATOMIC ALIGNMENT
        // (48-51) and ATOMIC TRANSFER LENGTH GRANULARITY (52-55) one block; no atomic boundaries (56-63 zero).
        assertThat(Bytes.u32(b0, 44)).isEqualTo(Math.min(maxTransfer, 0xFFFF)).isEqualTo(2048);
        assertThat(Bytes.u32(b0, 48)).isEqualTo(1);
        assertThat(Bytes.u32(b0, 52)).isEqualTo(1);
        assertThat(Bytes.u32(b0, 56)).isZero();
        assertThat(Bytes.u32(b0, 60)).isZero();
    }

    @Test
    void shouldWriteAtomicallyUpToTheMaximumAtomicTransferLength() {
        int max = (int) Bytes.u32(blockLimits(), 44);
        byte[] data = pattern(max * BS, 5);
        ScsiResponse r = h.runWithData(Cdbs.writeAtomic16(BLOCKS - max, 0, max, 0), data);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.commandTransferLength()).isEqualTo(max * BS);
        assertThat(h.device.bytes(BLOCKS - max, max)).isEqualTo(data);
        assertThat(h.device.writes).as("one backend write").isEqualTo(1);
        assertThat(h.device.lastWriteFua).isFalse();
    }

    @Test
    void shouldWriteAnUnalignedOddLengthAtomicWriteWithFua() {
        byte[] data = pattern(3 * BS, 3);
        assertThat(h.runWithData(Cdbs.writeAtomic16(7, 0, 3, BlockCdbLayout.FUA), data).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.bytes(7, 3)).isEqualTo(data);
        assertThat(h.device.lastWriteFua).isTrue();
    }

    @Test
    void shouldRejectAWriteAtomicLongerThanTheMaximumAtomicTransferLength() {
        int max = (int) Bytes.u32(blockLimits(), 44);
        // SBC-4 §5.46 / §6.6.4: TRANSFER LENGTH above MAXIMUM ATOMIC TRANSFER LENGTH is an invalid field in the CDB.
        assertThat(Harness.sense(h.runWithData(Cdbs.writeAtomic16(0, 0, max + 1, 0), new byte[(max + 1) * BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldRejectANonZeroAtomicBoundaryWhenNoBoundariesAreSupported() {
        // SBC-4 §5.46 / §6.6.4: ATOMIC BOUNDARY above MAXIMUM ATOMIC BOUNDARY SIZE (0 here) is an invalid field.
        assertThat(Harness.sense(h.runWithData(Cdbs.writeAtomic16(0, 1, 2, 0), new byte[2 * BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldRejectWriteAtomicOutsideTheMediumWithLbaOutOfRange() {
        int[] outOfRange = Harness.expected(SenseReason.LBA_OUT_OF_RANGE);
        assertThat(Harness.sense(h.runWithData(Cdbs.writeAtomic16(BLOCKS - 1, 0, 2, 0), new byte[2 * BS]))).isEqualTo(outOfRange);
        assertThat(Harness.sense(h.runWithData(Cdbs.writeAtomic16(-1L, 0, 1, 0), new byte[BS]))).isEqualTo(outOfRange);
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldRejectWriteAtomicWithWrprotectSet() {
        assertThat(Harness.sense(h.runWithData(Cdbs.writeAtomic16(0, 0, 1, 0x40), new byte[BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldWriteNothingWhenLessDataArrivesThanTheAtomicTransferLength() {
        h.device.fill(0, 2, (byte) 'a');
        byte[] oneBlock = new byte[BS];
        Arrays.fill(oneBlock, (byte) 'b');
        assertThat(Harness.sense(h.runWithData(Cdbs.writeAtomic16(0, 0, 2, 0), oneBlock)))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(h.device.bytes(0, 2)).containsOnly('a');
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldReturnGoodWithoutWritingWhenWriteAtomicTransferLengthIsZero() {
        assertThat(h.run(Cdbs.writeAtomic16(0, 0, 0, 0)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldRefuseOrwriteAndWriteAtomicOnAWriteProtectedLu() {
        Harness ro = new Harness(new FakeBlockDevice(BS, 16, true), true, false);
        try {
            assertThat(Harness.sense(ro.runWithData(Cdbs.rw16(ScsiOpcode.ORWRITE_16, 0, 1, 0), new byte[BS])))
                    .isEqualTo(Harness.expected(SenseReason.WRITE_PROTECTED));
            assertThat(Harness.sense(ro.runWithData(Cdbs.writeAtomic16(0, 0, 1, 0), new byte[BS])))
                    .isEqualTo(Harness.expected(SenseReason.WRITE_PROTECTED));
            assertThat(ro.device.writes).isZero();
        } finally {
            ro.close();
        }
    }
}
