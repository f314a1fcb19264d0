package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BlockCommandsTest {
    private final Harness h = new Harness();

    @AfterEach
    void release() {
        h.close();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 7 + seed);
        }
        return b;
    }

    @Test
    void shouldReadBackWhatWasWritten() {
        byte[] data = pattern(2 * 512, 3);
        ScsiResponse w = h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 10, 2, 0), data);
        assertThat(w.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(w.commandTransferLength()).isEqualTo(1024);
        ScsiResponse r = h.run(Cdbs.rw16(ScsiOpcode.READ_16, 10, 2, 0));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.data(r)).isEqualTo(data);
        assertThat(r.commandTransferLength()).isEqualTo(1024);
    }

    @Test
    void shouldPassFuaToDevice() {
        h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, BlockCdbLayout.FUA), new byte[512]);
        assertThat(h.device.lastWriteFua).isTrue();
        h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512]);
        assertThat(h.device.lastWriteFua).isFalse();
    }

    @Test
    void shouldRead256BlocksWhenSixByteTransferLengthIsZero() {
        ScsiResponse r = h.run(Cdbs.rw6(ScsiOpcode.READ_6, 0, 0));
        assertThat(Harness.data(r)).hasSize(256 * 512);
    }

    @Test
    void shouldReturnGoodWithoutDataForZeroBlockRead() {
        ScsiResponse r = h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 0, 0));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(r.dataIn()).isNull();
    }

    @Test
    void shouldRejectReadBeyondEndOfMedium() {
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 2047, 2, 0)))).isEqualTo(Harness.expected(SenseReason.LBA_OUT_OF_RANGE));
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 2049, 0, 0)))).isEqualTo(Harness.expected(SenseReason.LBA_OUT_OF_RANGE));
        assertThat(Harness.sense(h.run(Cdbs.rw16(ScsiOpcode.READ_16, -1L, 1, 0)))).isEqualTo(Harness.expected(SenseReason.LBA_OUT_OF_RANGE));
    }

    @Test
    void shouldRejectProtectionFields() {
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0x20)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldRejectTransferAboveMaximumTransferLength() {
        Harness big = new Harness(new FakeBlockDevice(512, 1L << 20, true), false, false);
        try {
            int tooMany = LogicalUnit.MAX_TRANSFER_BYTES / 512 + 1;
            assertThat(Harness.sense(big.run(Cdbs.rw16(ScsiOpcode.READ_16, 0, tooMany, 0))))
                    .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        } finally {
            big.close();
        }
    }

    @Test
    void shouldWriteOnlyBlocksReceivedWhenExpectedLengthIsShort() {
        h.device.fill(0, 2, (byte) 'a');
        byte[] oneBlock = new byte[512];
        Arrays.fill(oneBlock, (byte) 'b');
        ScsiResponse w = h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 2, 0), oneBlock);
        assertThat(w.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(w.commandTransferLength()).isEqualTo(1024);
        assertThat(h.device.bytes(0, 1)).containsOnly((byte) 'b');
        assertThat(h.device.bytes(1, 1)).containsOnly((byte) 'a');
    }

    @Test
    void shouldWriteOnlyCdbAmountWhenMoreDataArrives() {
        h.device.fill(0, 2, (byte) 'a');
        byte[] twoBlocks = new byte[1024];
        Arrays.fill(twoBlocks, (byte) 'b');
        assertThat(h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), twoBlocks).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.bytes(1, 1)).containsOnly((byte) 'a');
    }

    @Test
    void shouldAnswerDataProtectOnReadOnlyUnit() {
        Harness ro = new Harness(new FakeBlockDevice(512, 64, true), true, false);
        try {
            assertThat(Harness.sense(ro.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512])))
                    .isEqualTo(Harness.expected(SenseReason.WRITE_PROTECTED));
            assertThat(ro.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(ro.device.writes).isZero();
        } finally {
            ro.close();
        }
    }

    @Test
    void shouldMapBackendErrorsToMediumErrors() {
        h.device.failNext = true;
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)))).isEqualTo(Harness.expected(SenseReason.UNRECOVERED_READ_ERROR));
        h.device.failNext = true;
        assertThat(Harness.sense(h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512])))
                .isEqualTo(Harness.expected(SenseReason.WRITE_ERROR));
    }

    @Test
    void shouldReportMiscompareOffsetWhenVerifyDataDiffers() {
        byte[] data = pattern(1024, 1);
        h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 4, 2, 0), data);
        assertThat(h.runWithData(Cdbs.rw10(ScsiOpcode.VERIFY_10, 4, 2, 0x02), data).status()).isEqualTo(ScsiStatus.GOOD);
        byte[] changed = data.clone();
        changed[700] ^= 1;
        ScsiResponse r = h.runWithData(Cdbs.rw10(ScsiOpcode.VERIFY_10, 4, 2, 0x02), changed);
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(SenseReason.MISCOMPARE_DURING_VERIFY));
        assertThat(r.sense()[0] & 0x80).isEqualTo(0x80);
        assertThat(Bytes.u32(r.sense(), 3)).isEqualTo(700);
    }

    @Test
    void shouldNotCompareWhenBytchkIsZero() {
        ScsiResponse r = h.runWithData(Cdbs.rw16(ScsiOpcode.VERIFY_16, 0, 1, 0), pattern(512, 9));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldCompareEveryBlockAgainstOneBlockWhenBytchkIsThree() {
        h.device.fill(0, 3, (byte) 5);
        byte[] block = new byte[512];
        Arrays.fill(block, (byte) 5);
        assertThat(h.runWithData(Cdbs.rw10(ScsiOpcode.VERIFY_10, 0, 3, 0x06), block).status()).isEqualTo(ScsiStatus.GOOD);
        h.device.fill(2, 1, (byte) 6);
        ScsiResponse r = h.runWithData(Cdbs.rw10(ScsiOpcode.VERIFY_10, 0, 3, 0x06), block);
        assertThat(Bytes.u32(r.sense(), 3)).isEqualTo(1024);
    }

    @Test
    void shouldWriteAndVerifyWithForcedUnitAccess() {
        byte[] data = pattern(512, 4);
        ScsiResponse r = h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_AND_VERIFY_10, 7, 1, 0x02), data);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.lastWriteFua).isTrue();
        assertThat(h.device.bytes(7, 1)).isEqualTo(data);
    }

    @Test
    void shouldReturnGoodForPrefetchInRange() {
        byte[] cdb = Cdbs.rw10(ScsiOpcode.PRE_FETCH_10, 0, 1, 0x02);
        assertThat(h.run(cdb).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.sense(h.run(Cdbs.rw16(ScsiOpcode.PRE_FETCH_16, 2048, 1, 0)))).isEqualTo(Harness.expected(SenseReason.LBA_OUT_OF_RANGE));
    }

    @Test
    void shouldFlushOnSynchronizeCache() {
        assertThat(h.run(Cdbs.rw10(ScsiOpcode.SYNCHRONIZE_CACHE_10, 0, 0, 0)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.rw16(ScsiOpcode.SYNCHRONIZE_CACHE_16, 0, 0, 0)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.flushes).isEqualTo(2);
    }

    @Test
    void shouldReportCapacity() {
        byte[] d10 = Harness.data(h.run(Cdbs.readCapacity10()));
        assertThat(Bytes.u32(d10, 0)).isEqualTo(2047);
        assertThat(Bytes.u32(d10, 4)).isEqualTo(512);
        byte[] d16 = Harness.data(h.run(Cdbs.readCapacity16(32)));
        assertThat(d16).hasSize(32);
        assertThat(Bytes.u64(d16, 0)).isEqualTo(2047);
        assertThat(Harness.data(h.run(Cdbs.readCapacity16(12)))).hasSize(12);
    }

    @Test
    void shouldReportAllOnesInReadCapacity10WhenTooLarge() {
        Harness big = new Harness(new FakeBlockDevice(512, 0x1_0000_0001L, true), false, false);
        try {
            assertThat(Bytes.u32(Harness.data(big.run(Cdbs.readCapacity10())), 0)).isEqualTo(0xFFFF_FFFFL);
            assertThat(Bytes.u64(Harness.data(big.run(Cdbs.readCapacity16(32))), 0)).isEqualTo(0x1_0000_0000L);
        } finally {
            big.close();
        }
    }

    @Test
    void shouldFindTheFirstDifferingByteAtAbsoluteIndicesWithoutMovingThem() {
        byte[] bytes = pattern(300, 4);
        ByteBuf a = Unpooled.wrappedBuffer(bytes);
        ByteBuf b = Unpooled.directBuffer(310).writeZero(10).writeBytes(bytes);
        // b split over two components, so the comparison spans a component boundary.
        CompositeByteBuf split = Unpooled.compositeBuffer()
                .addComponents(true, b.retainedSlice(0, 150), b.retainedSlice(150, 160));
        try {
            assertThat(BlockCommands.mismatch(a, 0, b, 10, 300)).isEqualTo(-1);
            assertThat(BlockCommands.mismatch(a, 0, split, 10, 300)).isEqualTo(-1);
            b.setByte(10 + 299, b.getByte(10 + 299) ^ 1); // the last byte: past every 8-byte word
            assertThat(BlockCommands.mismatch(a, 0, b, 10, 300)).isEqualTo(299);
            assertThat(BlockCommands.mismatch(a, 0, split, 10, 300)).isEqualTo(299);
            b.setByte(10 + 3, b.getByte(10 + 3) ^ 0x80);
            assertThat(BlockCommands.mismatch(a, 0, b, 10, 300)).isEqualTo(3);
            assertThat(BlockCommands.mismatch(a, 4, b, 14, 200)).isEqualTo(-1);
            assertThat(BlockCommands.mismatch(a, 0, null, 0, 0)).as("nothing to compare").isEqualTo(-1);
            assertThat(a.readerIndex()).isZero();
            assertThat(b.readerIndex()).isZero();
            assertThat(b.writerIndex()).isEqualTo(310);
        } finally {
            split.release();
            b.release();
        }
    }
}
