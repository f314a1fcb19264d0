package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.RamBlockDevice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** UNMAP, WRITE SAME, GET LBA STATUS, COMPARE AND WRITE, RSOC on a thin RAM logical unit. */
class ThinProvisioningCommandsTest {
    private static final int BS = 512;
    private static final long BLOCKS = 8192; // 4 MiB: four 1 MiB RAM chunks
    private final RamBlockDevice device = new RamBlockDevice(BLOCKS * BS, BS);
    private final LogicalUnit lu = new LogicalUnit(0, device, false, "thin-serial");
    private final ScsiTargetCore core = new ScsiTargetCore("iqn.2024-01.test:thin", List.of(lu));
    private final ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
    private final List<ScsiResponse> responses = new ArrayList<>();
    private final List<ByteBuf> outs = new ArrayList<>();
    private long tag = 1;

    ThinProvisioningCommandsTest() {
        core.nexusEstablished(Harness.NEXUS);
        run(Cdbs.testUnitReady(), null); // consume the power-on unit attention
    }

    @AfterEach
    void release() {
        responses.forEach(r -> {
            if (r.dataIn() != null) {
                r.dataIn().release();
            }
        });
        outs.forEach(ByteBuf::release);
        core.close();
    }

    private ScsiResponse run(byte[] cdb, byte[] dataOut) {
        ByteBuf out = null;
        if (dataOut != null) {
            out = allocator.buffer(dataOut.length).writeBytes(dataOut);
            outs.add(out);
        }
        List<ScsiResponse> got = new ArrayList<>();
        core.submit(new ScsiCommand(Harness.NEXUS, 0, cdb, tag++, TaskAttribute.SIMPLE,
                dataOut == null ? ScsiCommand.DataDirection.READ : ScsiCommand.DataDirection.WRITE,
                dataOut == null ? 0 : dataOut.length, out, allocator), got::add);
        assertThat(got).hasSize(1);
        responses.add(got.get(0));
        return got.get(0);
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

    private static byte[] unmapCdb(int listLength) {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.UNMAP;
        Bytes.putU16(c, 7, listLength);
        return c;
    }

    private static byte[] unmapList(long... lbaAndCount) {
        int n = lbaAndCount.length / 2;
        byte[] list = new byte[8 + 16 * n];
        Bytes.putU16(list, 0, list.length - 2);
        Bytes.putU16(list, 2, 16 * n);
        for (int i = 0; i < n; i++) {
            Bytes.putU64(list, 8 + 16 * i, lbaAndCount[2 * i]);
            Bytes.putU32(list, 8 + 16 * i + 8, lbaAndCount[2 * i + 1]);
        }
        return list;
    }

    private byte[] getLbaStatus(long lba, int allocation) {
        byte[] c = new byte[16];
        c[0] = (byte) ScsiOpcode.SERVICE_ACTION_IN_16;
        c[1] = (byte) ScsiOpcode.SA_GET_LBA_STATUS;
        Bytes.putU64(c, 2, lba);
        Bytes.putU32(c, 10, allocation);
        ScsiResponse r = run(c, null);
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
        byte[] list = unmapList(0, 2048, 2048, 10);
        assertThat(run(unmapCdb(list.length), list).status()).isEqualTo(ScsiStatus.GOOD);
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
        byte[] beyond = unmapList(BLOCKS - 1, 2);
        assertThat(Harness.sense(run(unmapCdb(beyond.length), beyond))).isEqualTo(Harness.expected(SenseReason.LBA_OUT_OF_RANGE));
        long[] many = new long[2 * (ThinLimits.MAX_UNMAP_DESCRIPTORS + 1)];
        for (int i = 0; i < many.length; i += 2) {
            many[i] = i / 2;
            many[i + 1] = 1;
        }
        byte[] list = unmapList(many);
        assertThat(Harness.sense(run(unmapCdb(list.length), list)))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
        byte[] anchored = unmapCdb(24);
        anchored[1] = ProvisioningCommands.UNMAP_ANCHOR;
        assertThat(Harness.sense(run(anchored, unmapList(0, 1)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldWriteOneBlockRepeatedlyWithWriteSame() {
        byte[] block = new byte[BS];
        for (int i = 0; i < BS; i++) {
            block[i] = (byte) i;
        }
        byte[] cdb = new byte[10];
        cdb[0] = (byte) ScsiOpcode.WRITE_SAME_10;
        Bytes.putU32(cdb, 2, 100);
        Bytes.putU16(cdb, 7, 3);
        assertThat(run(cdb, block).status()).isEqualTo(ScsiStatus.GOOD);
        byte[] back = read(100, 3);
        for (int b = 0; b < 3; b++) {
            assertThat(Arrays.copyOfRange(back, b * BS, (b + 1) * BS)).isEqualTo(block);
        }
        assertThat(read(103, 1)).containsOnly(0);
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

    private static byte[] compareAndWriteCdb(long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) ScsiOpcode.COMPARE_AND_WRITE;
        Bytes.putU64(c, 2, lba);
        c[13] = (byte) blocks;
        return c;
    }

    @Test
    void shouldWriteWhenTheMediumMatchesAndReportTheMiscompareOffsetOtherwise() {
        write(10, 2, (byte) 'A');
        byte[] data = new byte[4 * BS];
        Arrays.fill(data, 0, 2 * BS, (byte) 'A');
        Arrays.fill(data, 2 * BS, 4 * BS, (byte) 'B');
        assertThat(run(compareAndWriteCdb(10, 2), data).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(10, 2)).containsOnly('B');

        data[BS + 7] = 'x'; // the medium now holds 'B'; the verify half still says 'A' ... except here
        Arrays.fill(data, 0, 2 * BS, (byte) 'B');
        data[BS + 7] = 'x';
        ScsiResponse r = run(compareAndWriteCdb(10, 2), data);
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(SenseReason.MISCOMPARE_DURING_VERIFY));
        assertThat(Bytes.u32(r.sense(), SenseData.FIXED_INFORMATION_OFFSET)).isEqualTo(BS + 7);
        assertThat(read(10, 2)).containsOnly('B');
    }

    @Test
    void shouldRejectCompareAndWriteWithAMismatchedDataOutSize() {
        assertThat(Harness.sense(run(compareAndWriteCdb(0, 1), new byte[4 * BS])))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldReportEveryTableCommandWithUsageDataThatStartsWithItsOpcode() {
        byte[] c = new byte[12];
        c[0] = (byte) ScsiOpcode.MAINTENANCE_IN;
        c[1] = (byte) ScsiOpcode.SA_REPORT_SUPPORTED_OPERATION_CODES;
        Bytes.putU32(c, 6, 65535);
        byte[] all = Harness.data(run(c, null));
        int length = (int) Bytes.u32(all, 0);
        boolean sawUnmap = false;
        for (int off = 4; off < 4 + length; off += 8) {
            int opcode = Bytes.u8(all, off);
            boolean servactv = (all[off + 5] & 1) != 0;
            sawUnmap |= opcode == ScsiOpcode.UNMAP;
            byte[] one = c.clone();
            one[2] = (byte) (servactv ? 2 : 1);
            one[3] = (byte) opcode;
            Bytes.putU16(one, 4, Bytes.u16(all, off + 2));
            byte[] d = Harness.data(run(one, null));
            assertThat(d[1] & 0x07).isEqualTo(SupportedOperations.SUPPORT_STANDARD);
            assertThat(Bytes.u16(d, 2)).isEqualTo(Bytes.u16(all, off + 6)).isEqualTo(Cdb.length(opcode));
            assertThat(Bytes.u8(d, 4)).isEqualTo(opcode);
        }
        assertThat(sawUnmap).isTrue();
    }

    @Test
    void shouldNotOfferUnmapOnAFullyProvisionedDevice() {
        try (Harness h = new Harness()) {
            byte[] list = unmapList(0, 1);
            assertThat(Harness.sense(h.runWithData(unmapCdb(list.length), list)))
                    .isEqualTo(Harness.expected(SenseReason.INVALID_COMMAND_OPERATION_CODE));
            assertThat(h.device.capabilities()).doesNotContain(BlockDevice.Capability.DEALLOCATE);
        }
    }
}
