package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.RamBlockDevice;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** UNMAP, WRITE SAME, GET LBA STATUS, COMPARE AND WRITE, RSOC on a thin RAM logical unit. */
class ThinProvisioningCommandsTest {
    private static final int BS = 512;
    private static final long BLOCKS = 8192; // 4 MiB: four 1 MiB RAM chunks
    private final Harness h = Harness.thin(BLOCKS, BS, "thin-serial");
    private final RamBlockDevice device = (RamBlockDevice) h.lu.device();

    @AfterEach
    void release() {
        h.close();
    }

    private ScsiResponse run(byte[] cdb, byte[] dataOut) {
        return dataOut == null ? h.run(cdb) : h.runWithData(cdb, dataOut);
    }

    private void write(long lba, int blocks, byte value) {
        byte[] data = new byte[blocks * BS];
        Arrays.fill(data, value);
        assertThat(run(Cdbs.rw16(ScsiOpcode.WRITE_16, lba, blocks, 0), data).status()).isEqualTo(ScsiStatus.GOOD);
    }

    private byte[] read(long lba, int blocks) {
        ScsiResponse r = run(Cdbs.rw16(ScsiOpcode.READ_16, lba, blocks, 0), null);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        return Harness.data(r);
    }

    private byte[] getLbaStatus(long lba, int allocation) {
        ScsiResponse r = run(Cdbs.getLbaStatus(lba, allocation), null);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        return Harness.data(r);
    }

    @Test
    void shouldReportThinProvisioningInReadCapacity16AndVpd() {
        byte[] rc = Harness.data(run(Cdbs.readCapacity16(32), null));
        assertThat(rc[14] & 0xC0).isEqualTo(0xC0); // LBPME, LBPRZ
        byte[] b2 = Harness.data(run(Cdbs.inquiry(true, 0xB2, 255), null));
        assertThat(b2[5] & 0xE4).isEqualTo(0xE4); // LBPU, LBPWS, LBPWS10, LBPRZ=001b
        assertThat(b2[6] & 0x07).isEqualTo(0x02); // thin
        byte[] b0 = Harness.data(run(Cdbs.inquiry(true, 0xB0, 255), null));
        assertThat(Bytes.u32(b0, 20)).isEqualTo(ThinLimits.MAX_UNMAP_LBA_COUNT);
        assertThat(Bytes.u32(b0, 24)).isEqualTo(ThinLimits.MAX_UNMAP_DESCRIPTORS);
        assertThat(Bytes.u32(b0, 28)).isEqualTo(device.deallocationGranularity());
        assertThat(Bytes.u8(b0, 5)).isEqualTo(ThinLimits.MAX_COMPARE_AND_WRITE_BLOCKS);
    }

    @Test
    void shouldFreeWholeChunksAndZeroPartialOnesOnUnmap() {
        write(0, (int) BLOCKS / 2, (byte) 'a');
        assertThat(device.allocatedBytes()).isEqualTo(2L << 20);
        byte[] list = Cdbs.unmapList(0, 2048, 2048, 10);
        assertThat(run(Cdbs.unmap(list.length), list).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(device.allocatedBytes()).isEqualTo(1L << 20);
        assertThat(read(0, 2058)).containsOnly(0);
        assertThat(read(2058, 1)).containsOnly('a');

        byte[] status = getLbaStatus(0, 8 + 16 * 4);
        assertThat(Bytes.u64(status, 8)).isZero();
        assertThat(Bytes.u32(status, 16)).isEqualTo(2048);
        assertThat(status[20] & 0x0F).isEqualTo(ProvisioningCommands.PROVISIONING_DEALLOCATED);
        assertThat(Bytes.u64(status, 24)).isEqualTo(2048);
        assertThat(status[36] & 0x0F).isEqualTo(ProvisioningCommands.PROVISIONING_MAPPED);
    }

    @Test
    void shouldStartTheFirstLbaStatusDescriptorAtTheRequestedLba() {
        write(0, 16, (byte) 1);
        byte[] status = getLbaStatus(5, 24);
        assertThat(Bytes.u64(status, 8)).isEqualTo(5);
        assertThat(status[20] & 0x0F).isEqualTo(ProvisioningCommands.PROVISIONING_MAPPED);
    }

    @Test
    void shouldRejectUnmapBeyondCapacityAndTooManyDescriptors() {
        byte[] beyond = Cdbs.unmapList(BLOCKS - 1, 2);
        assertThat(Harness.sense(run(Cdbs.unmap(beyond.length), beyond))).isEqualTo(Harness.expected(SenseReason.LBA_OUT_OF_RANGE));
        long[] many = new long[2 * (ThinLimits.MAX_UNMAP_DESCRIPTORS + 1)];
        for (int i = 0; i < many.length; i += 2) {
            many[i] = i / 2;
            many[i + 1] = 1;
        }
        byte[] list = Cdbs.unmapList(many);
        assertThat(Harness.sense(run(Cdbs.unmap(list.length), list)))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
        byte[] anchored = Cdbs.unmap(24);
        anchored[1] = ProvisioningCommands.UNMAP_ANCHOR;
        assertThat(Harness.sense(run(anchored, Cdbs.unmapList(0, 1)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldWriteOneBlockRepeatedlyWithWriteSame() {
        byte[] block = new byte[BS];
        for (int i = 0; i < BS; i++) {
            block[i] = (byte) i;
        }
        assertThat(run(Cdbs.rw10(ScsiOpcode.WRITE_SAME_10, 100, 3, 0), block).status()).isEqualTo(ScsiStatus.GOOD);
        byte[] back = read(100, 3);
        for (int b = 0; b < 3; b++) {
            assertThat(Arrays.copyOfRange(back, b * BS, (b + 1) * BS)).isEqualTo(block);
        }
        assertThat(read(103, 1)).containsOnly(0);
    }

    @Test
    void shouldWriteSameAcrossSeveralPiecesUpToTheLastBlockOfTheRange() {
        byte[] block = new byte[BS];
        Arrays.fill(block, (byte) 0x5C);
        long blocks = ProvisioningCommands.WRITE_SAME_PIECE_BYTES / BS * 2L + 5; // two whole pieces and a short one
        assertThat(run(Cdbs.rw16(ScsiOpcode.WRITE_SAME_16, 7, blocks, 0), block).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(6, 1)).containsOnly(0);
        assertThat(read(7, (int) blocks)).containsOnly(0x5C);
        assertThat(read(7 + blocks, 1)).containsOnly(0);
    }

    @Test
    void shouldRejectWriteSameWithProtectionFieldsInEitherForm() {
        int wrprotect = 0x20;
        assertThat(Harness.sense(run(Cdbs.rw10(ScsiOpcode.WRITE_SAME_10, 0, 1, wrprotect), new byte[BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(Harness.sense(run(Cdbs.rw16(ScsiOpcode.WRITE_SAME_16, 0, 1, wrprotect), new byte[BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(device.allocatedBytes()).isZero();
    }

    @Test
    void shouldDeallocateWithWriteSameUnmapAndRejectAnchorOrWrongDataSize() {
        write(4096, 2048, (byte) 7);
        byte[] cdb = Cdbs.rw16(ScsiOpcode.WRITE_SAME_16, 4096, 2048, ProvisioningCommands.WS_UNMAP);
        assertThat(run(cdb, new byte[BS]).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(4096, 2048)).containsOnly(0);
        assertThat(getLbaStatus(4096, 24)[20] & 0x0F).isEqualTo(ProvisioningCommands.PROVISIONING_DEALLOCATED);

        byte[] anchor = Cdbs.rw16(ScsiOpcode.WRITE_SAME_16, 0, 1, ProvisioningCommands.WS_UNMAP | ProvisioningCommands.WS_ANCHOR);
        assertThat(Harness.sense(run(anchor, new byte[BS]))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        byte[] twoBlocks = Cdbs.rw16(ScsiOpcode.WRITE_SAME_16, 0, 1, 0);
        assertThat(Harness.sense(run(twoBlocks, new byte[2 * BS]))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldWriteWhenTheMediumMatchesAndReportTheMiscompareOffsetOtherwise() {
        write(10, 2, (byte) 'A');
        byte[] data = new byte[4 * BS];
        Arrays.fill(data, 0, 2 * BS, (byte) 'A');
        Arrays.fill(data, 2 * BS, 4 * BS, (byte) 'B');
        assertThat(run(Cdbs.compareAndWrite(10, 2), data).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(10, 2)).containsOnly('B');

        // The medium now holds 'B': a verify half of 'B' but for one byte miscompares at that byte.
        Arrays.fill(data, 0, 2 * BS, (byte) 'B');
        data[BS + 7] = 'x';
        ScsiResponse r = run(Cdbs.compareAndWrite(10, 2), data);
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(SenseReason.MISCOMPARE_DURING_VERIFY));
        assertThat(Bytes.u32(r.sense(), SenseData.FIXED_INFORMATION_OFFSET)).isEqualTo(BS + 7);
        assertThat(read(10, 2)).containsOnly('B');
    }

    @Test
    void shouldRejectCompareAndWriteWithAMismatchedDataOutSize() {
        assertThat(Harness.sense(run(Cdbs.compareAndWrite(0, 1), new byte[4 * BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldReportEveryTableCommandWithUsageDataThatStartsWithItsOpcode() {
        byte[] all = Harness.data(run(Cdbs.reportOpcodes(false, 0, 0, 0, 65535), null));
        int length = (int) Bytes.u32(all, 0);
        boolean sawUnmap = false;
        for (int off = 4; off < 4 + length; off += 8) {
            int opcode = Bytes.u8(all, off);
            boolean servactv = (all[off + 5] & 1) != 0;
            sawUnmap |= opcode == ScsiOpcode.UNMAP;
            byte[] one = Cdbs.reportOpcodes(false, servactv ? 2 : 1, opcode, Bytes.u16(all, off + 2), 65535);
            byte[] d = Harness.data(run(one, null));
            assertThat(d[1] & 0x07).isEqualTo(SupportedOperations.SUPPORT_STANDARD);
            assertThat(Bytes.u16(d, 2)).isEqualTo(Bytes.u16(all, off + 6)).isEqualTo(Cdb.length(opcode));
            assertThat(Bytes.u8(d, 4)).isEqualTo(opcode);
        }
        assertThat(sawUnmap).isTrue();
    }

    @Test
    void shouldNotOfferUnmapOnAFullyProvisionedDevice() {
        try (Harness full = new Harness()) {
            byte[] list = Cdbs.unmapList(0, 1);
            assertThat(Harness.sense(full.runWithData(Cdbs.unmap(list.length), list)))
                    .isEqualTo(Harness.expected(SenseReason.INVALID_COMMAND_OPERATION_CODE));
        }
    }
}
