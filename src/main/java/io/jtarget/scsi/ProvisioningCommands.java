package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logical block provisioning (SBC-4 §4.7): UNMAP (§5.28), WRITE SAME(10/16) (§5.47/§5.48) and GET LBA
 * STATUS (§5.9). The LU is thin exactly when its device has {@link BlockDevice.Capability#DEALLOCATE};
 * UNMAP and GET LBA STATUS exist only then (the command table decides), WRITE SAME always.
 *
 * <p>Anchored LBAs (ANC_SUP) are not supported: neither store can reserve space for an unmapped block,
 * so ANCHOR=1 is an invalid field, as SBC-4 §5.28 and §5.48 require when ANC_SUP=0.
 */
final class ProvisioningCommands {
    private static final Logger LOG = LoggerFactory.getLogger(ProvisioningCommands.class);

    /** SBC-4 §5.28 Table 103 UNMAP CDB. */
    static final int UNMAP_ANCHOR = 0x01;
    static final int UNMAP_PARAMETER_LIST_LENGTH_OFFSET = 7;
    static final int UNMAP_HEADER_LENGTH = 8;
    static final int UNMAP_DESCRIPTOR_LENGTH = 16;

    /** SBC-4 §5.48 Table 142 WRITE SAME(16) byte 1 (WRITE SAME(10) has the same bits but NDOB). */
    static final int WS_ANCHOR = 0x10;
    static final int WS_UNMAP = 0x08;
    /** PBDATA / LBDATA: obsolete in SBC-4, so reserved. */
    static final int WS_OBSOLETE = 0x06;
    static final int WS_NDOB = 0x01;

    /** GET LBA STATUS (SBC-4 §5.9 Tables 39-41). */
    static final int LBA_STATUS_HEADER_LENGTH = 8;
    static final int LBA_STATUS_DESCRIPTOR_LENGTH = 16;
    static final int PROVISIONING_MAPPED = 0x0;
    static final int PROVISIONING_DEALLOCATED = 0x1;
    /** Descriptors per GET LBA STATUS response at most (bounded work per command). */
    static final int MAX_LBA_STATUS_DESCRIPTORS = 512;
    static final long MAX_DESCRIPTOR_BLOCKS = 0xFFFF_FFFFL;

    /** Blocks of the repeated pattern one backend write of WRITE SAME carries. */
    static final int WRITE_SAME_PIECE_BYTES = 1 << 20;

    private ProvisioningCommands() {}

    /** SBC-4 §5.28 UNMAP: every descriptor is checked before anything is deallocated. */
    static void unmap(ScsiTask task) {
        byte[] cdb = task.cdb();
        int listLength = Bytes.u16(cdb, UNMAP_PARAMETER_LIST_LENGTH_OFFSET);
        task.commandTransferLength(listLength);
        if ((cdb[1] & UNMAP_ANCHOR) != 0) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (listLength == 0) {
            task.good(); // "not an error": nothing to unmap
            return;
        }
        ByteBuf out = task.command().dataOut();
        if (listLength < UNMAP_HEADER_LENGTH || out == null || out.readableBytes() < UNMAP_HEADER_LENGTH) {
            task.fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            return;
        }
        int available = Math.min(listLength, out.readableBytes());
        byte[] list = new byte[available];
        out.getBytes(out.readerIndex(), list);
        int dataLength = Bytes.u16(list, 0);
        int descriptorBytes = Bytes.u16(list, 2);
        // The lengths must describe the list that was sent (SBC-4 §5.28.2: UNMAP DATA LENGTH = n - 1, and
        // the descriptors fit in it); a truncated block descriptor is ignored.
        if (dataLength + 2 > available || descriptorBytes + UNMAP_HEADER_LENGTH > available) {
            task.fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            return;
        }
        int count = descriptorBytes / UNMAP_DESCRIPTOR_LENGTH;
        LogicalUnit lu = task.lu();
        if (count > ThinLimits.MAX_UNMAP_DESCRIPTORS) {
            task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            return;
        }
        long capacity = lu.device().blockCount();
        List<long[]> ranges = new ArrayList<>(count);
        long total = 0;
        for (int i = 0; i < count; i++) {
            int off = UNMAP_HEADER_LENGTH + i * UNMAP_DESCRIPTOR_LENGTH;
            long lba = Bytes.u64(list, off);
            long blocks = Bytes.u32(list, off + 8);
            if (!Cdb.inRange(lba, blocks, capacity)) {
                task.fail(SenseReason.LBA_OUT_OF_RANGE);
                return;
            }
            if (blocks > ThinLimits.MAX_UNMAP_LBA_COUNT) {
                task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                return;
            }
            total += blocks;
            if (blocks > 0) {
                ranges.add(new long[] {lba, blocks});
            }
        }
        if (total > ThinLimits.MAX_UNMAP_LBA_COUNT) {
            task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            return;
        }
        deallocateNext(task, ranges, 0);
    }

    /** Deallocates the ranges one after the other, each under an exclusive lease of its LBAs. */
    private static void deallocateNext(ScsiTask task, List<long[]> ranges, int index) {
        if (index == ranges.size()) {
            task.good();
            return;
        }
        long lba = ranges.get(index)[0];
        long blocks = ranges.get(index)[1];
        deallocate(task, lba, blocks, () -> deallocateNext(task, ranges, index + 1));
    }

    private static void deallocate(ScsiTask task, long lba, long blocks, Runnable then) {
        BlockDevice device = task.lu().device();
        BlockCommands.locked(task, lba, blocks, LbaRangeLock.Mode.EXCLUSIVE, lease -> BlockIo.run(
                cb -> device.deallocate(task.command().nexus(), lba, blocks, cb),
                error -> {
                    if (!BlockCommands.writeFailed(task, lease, error, "deallocation", lba, blocks)) {
                        lease.release();
                        then.run();
                    }
                }));
    }

    /**
     * WRITE SAME(10/16), SBC-4 §5.47/§5.48. NUMBER OF LOGICAL BLOCKS 0 means "up to the last LBA" (WSNZ=0).
     * With UNMAP=1 on a thin LU the range is deallocated (it then reads as zeros, LBPRZ=1); otherwise the
     * one block of Data-Out (zeros with NDOB=1, WRITE SAME(16) only) is written to every LBA of the range.
     */
    static void writeSame(ScsiTask task, BlockCdbLayout layout) {
        byte[] cdb = task.cdb();
        BlockDevice device = task.lu().device();
        int flags = Bytes.u8(cdb, BlockCdbLayout.FLAGS_BYTE);
        boolean ndob = layout == BlockCdbLayout.SIXTEEN && (flags & WS_NDOB) != 0;
        task.commandTransferLength(ndob ? 0 : device.blockSize());
        if (layout.protectFieldSet(cdb) || (flags & WS_OBSOLETE) != 0 || (flags & WS_ANCHOR) != 0) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        long lba = layout.lba(cdb);
        long blocks = layout.blocks(cdb);
        long capacity = device.blockCount();
        if (Long.compareUnsigned(lba, capacity) >= 0 || !Cdb.inRange(lba, blocks, capacity)) {
            task.fail(SenseReason.LBA_OUT_OF_RANGE);
            return;
        }
        if (blocks == 0) {
            blocks = capacity - lba;
        }
        if (blocks > ThinLimits.MAX_WRITE_SAME_BLOCKS) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        ByteBuf out = task.command().dataOut();
        int received = out == null ? 0 : out.readableBytes();
        // Exactly one logical block of Data-Out (none with NDOB): libiscsi WriteSame*.InvalidDataOutSize.
        int expected = ndob ? 0 : device.blockSize();
        if (received != expected || task.command().expectedTransferLength() != expected) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        boolean unmap = (flags & WS_UNMAP) != 0 && task.lu().thinProvisioned();
        long count = blocks;
        if (unmap || (ndob && task.lu().thinProvisioned())) {
            task.writtenToMedium(0);
            // NDOB=1 writes zeros, which a thin LU with LBPRZ=1 may as well deallocate (SBC-4 §5.48).
            deallocate(task, lba, count, task::good);
            return;
        }
        int blockSize = device.blockSize();
        task.writtenToMedium(count * blockSize);
        boolean fua = task.lu().forceUnitAccess(false);
        if (device.capabilities().contains(BlockDevice.Capability.WRITE_SAME)) {
            // The store repeats the block itself: one request, no pattern buffer.
            ByteBuf block = ndob ? task.command().allocator().ioBuffer(blockSize).writeZero(blockSize)
                    : out.retainedSlice(out.readerIndex(), blockSize);
            BlockCommands.locked(task, lba, count, LbaRangeLock.Mode.SHARED, lease -> BlockIo.run(
                    cb -> device.writeSame(task.command().nexus(), lba, count, block, fua, cb),
                    error -> {
                        block.release();
                        if (!BlockCommands.writeFailed(task, lease, error, "WRITE SAME", lba, count)) {
                            lease.release();
                            task.good();
                        }
                    }));
            return;
        }
        int pieceBlocks = (int) Math.min(count, Math.max(1, WRITE_SAME_PIECE_BYTES / blockSize));
        ByteBuf pattern = task.command().allocator().ioBuffer(pieceBlocks * blockSize);
        for (int i = 0; i < pieceBlocks; i++) {
            if (ndob) {
                pattern.writeZero(blockSize);
            } else {
                pattern.writeBytes(out, out.readerIndex(), blockSize);
            }
        }
        BlockCommands.locked(task, lba, count, LbaRangeLock.Mode.SHARED, lease -> BlockIo.writeRepeatedly(
                device, task.command().nexus(), pattern, pieceBlocks, lba, count, fua, null, error -> {
                    pattern.release();
                    if (!BlockCommands.writeFailed(task, lease, error, "WRITE SAME", lba, count)) {
                        lease.release();
                        task.good();
                    }
                }));
    }

    /**
     * GET LBA STATUS, SBC-4 §5.9: descriptors of consecutive extents from STARTING LBA on, the first one
     * starting exactly there, as many as the allocation length holds (at most
     * {@value #MAX_LBA_STATUS_DESCRIPTORS}), each state taken from the device.
     */
    static void getLbaStatus(ScsiTask task) {
        byte[] cdb = task.cdb();
        long start = Bytes.u64(cdb, 2);
        int allocation = (int) Math.min(Bytes.u32(cdb, 10), Integer.MAX_VALUE);
        task.commandTransferLength(allocation);
        long capacity = task.lu().device().blockCount();
        if (Long.compareUnsigned(start, capacity) >= 0) {
            task.fail(SenseReason.LBA_OUT_OF_RANGE);
            return;
        }
        int wanted = Math.max(1, Math.min(MAX_LBA_STATUS_DESCRIPTORS,
                (allocation - LBA_STATUS_HEADER_LENGTH) / LBA_STATUS_DESCRIPTOR_LENGTH));
        nextExtent(task, new ArrayList<>(), start, wanted, allocation);
    }

    private static void nextExtent(ScsiTask task, List<BlockDevice.ProvisioningExtent> extents, long lba, int wanted,
            int allocation) {
        BlockDevice device = task.lu().device();
        device.provisioningStatus(task.command().nexus(), lba, MAX_DESCRIPTOR_BLOCKS, (error, extent) -> {
            if (error != null) {
                LOG.warn("provisioning status at LBA {} failed on {}", lba, device.describe(), error);
                task.fail(SenseReason.forStoreFailure(error, SenseReason.UNRECOVERED_READ_ERROR));
                return;
            }
            BlockDevice.ProvisioningExtent last = extents.isEmpty() ? null : extents.get(extents.size() - 1);
            if (last != null && last.mapped() == extent.mapped() && last.blocks() + extent.blocks() <= MAX_DESCRIPTOR_BLOCKS) {
                extents.set(extents.size() - 1,
                        new BlockDevice.ProvisioningExtent(last.lba(), last.blocks() + extent.blocks(), last.mapped()));
            } else {
                extents.add(extent);
            }
            long next = extent.lba() + extent.blocks();
            // Stop at the end of the medium, or once a further extent began: the first `wanted` are complete.
            if (next >= device.blockCount() || extents.size() > wanted) {
                respond(task, extents, wanted, allocation);
            } else {
                nextExtent(task, extents, next, wanted, allocation);
            }
        });
    }

    private static void respond(ScsiTask task, List<BlockDevice.ProvisioningExtent> extents, int wanted, int allocation) {
        int n = Math.min(wanted, extents.size());
        byte[] data = new byte[LBA_STATUS_HEADER_LENGTH + n * LBA_STATUS_DESCRIPTOR_LENGTH];
        Bytes.putU32(data, 0, data.length - 4L);
        for (int i = 0; i < n; i++) {
            BlockDevice.ProvisioningExtent e = extents.get(i);
            int off = LBA_STATUS_HEADER_LENGTH + i * LBA_STATUS_DESCRIPTOR_LENGTH;
            Bytes.putU64(data, off, e.lba());
            Bytes.putU32(data, off + 8, e.blocks());
            data[off + 12] = (byte) (e.mapped() ? PROVISIONING_MAPPED : PROVISIONING_DEALLOCATED);
        }
        task.goodWithData(data, allocation);
    }
}
