package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.MiscompareException;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commands that read, combine and write a range as one indivisible operation: COMPARE AND WRITE
 * (SBC-4 §5.3), ORWRITE(16) (§5.11) and WRITE ATOMIC(16) (§5.46). Each holds its range exclusively in
 * the LU's {@link LbaRangeLock} from the first read to the end of the write, so no other command
 * (which all hold their ranges, at least shared) sees or changes the range in between.
 *
 * <p>Atomicity is with respect to every other command and to task management (the write is one
 * backend request that is never cut short). It is not a promise about power loss in the middle of the
 * write: neither the file nor the RAM store offers one. A store with {@link
 * BlockDevice.Capability#COMPARE_AND_WRITE} does COMPARE AND WRITE itself, atomic in the store.
 */
final class AtomicCommands {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicCommands.class);

    /** COMPARE AND WRITE NUMBER OF LOGICAL BLOCKS (SBC-4 §5.3 Table 29). */
    static final int CAW_BLOCKS_OFFSET = 13;
    /** WRITE ATOMIC(16) fields (SBC-4 §5.46 Table 137). */
    static final int ATOMIC_BOUNDARY_OFFSET = 10;
    static final int ATOMIC_TRANSFER_LENGTH_OFFSET = 12;
    /** Block Limits atomic fields (SBC-4 §6.6.4): alignment and granularity of one block, no boundaries. */
    static final int ATOMIC_ALIGNMENT = 1;
    static final int ATOMIC_TRANSFER_LENGTH_GRANULARITY = 1;

    private AtomicCommands() {}

    /**
     * SBC-4 §5.3: the Data-Out buffer holds N verify blocks then N write blocks. If the medium differs
     * from the verify data, MISCOMPARE with the offset of the first differing byte in INFORMATION and
     * nothing is written.
     */
    static void compareAndWrite(ScsiTask task) {
        byte[] cdb = task.cdb();
        BlockDevice device = task.lu().device();
        int blockSize = device.blockSize();
        int blocks = Bytes.u8(cdb, CAW_BLOCKS_OFFSET);
        task.commandTransferLength(2L * blocks * blockSize);
        task.writtenToMedium((long) blocks * blockSize); // SBC-4 §5.3: verify data, then write data
        if (BlockCdbLayout.SIXTEEN.protectFieldSet(cdb)) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (blocks > task.lu().maxCompareAndWriteBlocks()) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        // The LBA and protection fields sit where the 16-byte block commands have them (SBC-4 Table 29).
        long lba = BlockCdbLayout.SIXTEEN.lba(cdb);
        if (!Cdb.inRange(lba, blocks, device.blockCount())) {
            task.fail(SenseReason.LBA_OUT_OF_RANGE);
            return;
        }
        int bytes = blocks * blockSize;
        ByteBuf out = task.command().dataOut();
        int received = out == null ? 0 : out.readableBytes();
        // The Data-Out buffer must be exactly 2 * N blocks (libiscsi CompareAndWrite.InvalidDataOutSize).
        if (task.command().expectedTransferLength() != 2 * bytes || received != 2 * bytes) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (blocks == 0) {
            task.good(); // SBC-4 §5.3: zero blocks is not an error, nothing is compared or written
            return;
        }
        boolean fua = task.lu().forceUnitAccess(BlockCdbLayout.SIXTEEN.fua(cdb));
        ByteBuf verify = out.slice(out.readerIndex(), bytes);
        ByteBuf write = out.slice(out.readerIndex() + bytes, bytes);
        if (device.capabilities().contains(BlockDevice.Capability.COMPARE_AND_WRITE)) {
            storeCompareAndWrite(task, lba, blocks, verify, write, fua);
        } else {
            emulatedCompareAndWrite(task, lba, blocks, verify, write, fua);
        }
    }

    /**
     * The store compares and writes atomically itself, against every writer of a shared store (two gateways
     * of one image), which no lock of this process could promise. A shared lease orders it against the
     * commands this process emulates under an exclusive one (ORWRITE, WRITE ATOMIC, SANITIZE). The length is
     * within what the store does atomically ({@link LogicalUnit#maxCompareAndWriteBlocks()}).
     */
    private static void storeCompareAndWrite(ScsiTask task, long lba, int blocks, ByteBuf verify, ByteBuf write,
            boolean fua) {
        BlockDevice device = task.lu().device();
        BlockCommands.locked(task, lba, blocks, LbaRangeLock.Mode.SHARED, lease -> BlockIo.run(
                cb -> device.compareAndWrite(task.command().nexus(), lba, blocks, verify, write, fua, cb),
                error -> {
                    if (error instanceof MiscompareException miscompare) {
                        lease.release();
                        task.fail(SenseReason.MISCOMPARE_DURING_VERIFY, miscompare.offset());
                    } else if (!BlockCommands.writeFailed(task, lease, error, "compare and write", lba, blocks)) {
                        lease.release();
                        task.good();
                    }
                }));
    }

    /** Read, compare and write under an exclusive lease of the range: atomic against this process only. */
    private static void emulatedCompareAndWrite(ScsiTask task, long lba, int blocks, ByteBuf verify, ByteBuf write,
            boolean fua) {
        int bytes = blocks * task.lu().device().blockSize();
        BlockCommands.locked(task, lba, blocks, LbaRangeLock.Mode.EXCLUSIVE, lease -> readThen(task, lba, blocks, lease,
                medium -> {
                    long mismatch = BlockCommands.mismatch(medium, medium.readerIndex(), verify, verify.readerIndex(), bytes);
                    if (mismatch >= 0) {
                        lease.release();
                        task.fail(SenseReason.MISCOMPARE_DURING_VERIFY, mismatch);
                        return;
                    }
                    writeThenGood(task, lba, blocks, write, fua, lease);
                }));
    }

    /** SBC-4 §5.11 ORWRITE(16): medium := medium OR Data-Out, as one operation. */
    static void orWrite(ScsiTask task) {
        byte[] cdb = task.cdb();
        BlockDevice device = task.lu().device();
        task.commandTransferLength(BlockCdbLayout.SIXTEEN.blocks(cdb) * device.blockSize());
        BlockCommands.Range range = BlockCommands.parseRange(task, BlockCdbLayout.SIXTEEN, true);
        if (range == null) {
            return;
        }
        long lba = range.lba();
        int blocks = BlockCommands.receivedBlocks(task, range.blocks());
        if (blocks == 0) {
            task.good();
            return;
        }
        int bytes = blocks * device.blockSize();
        ByteBuf out = task.command().dataOut();
        boolean fua = task.lu().forceUnitAccess(BlockCdbLayout.SIXTEEN.fua(cdb));
        BlockCommands.locked(task, lba, blocks, LbaRangeLock.Mode.EXCLUSIVE, lease -> readThen(task, lba, blocks, lease,
                medium -> {
                    ByteBuf result = task.command().allocator().ioBuffer(bytes);
                    // Work on NIO views: one bounds check per buffer, not one per word.
                    java.nio.ByteBuffer a = medium.nioBuffer(medium.readerIndex(), bytes);
                    java.nio.ByteBuffer b = out.nioBuffer(out.readerIndex(), bytes);
                    java.nio.ByteBuffer r = result.nioBuffer(0, bytes);
                    int i = 0;
                    for (; i + Long.BYTES <= bytes; i += Long.BYTES) {
                        r.putLong(i, a.getLong(i) | b.getLong(i));
                    }
                    for (; i < bytes; i++) {
                        r.put(i, (byte) (a.get(i) | b.get(i)));
                    }
                    result.writerIndex(bytes);
                    writeThenGood(task, lba, blocks, result, fua, lease, result);
                }));
    }

    /**
     * SBC-4 §5.46 WRITE ATOMIC(16): the whole transfer or nothing. The limits are the Block Limits page's:
     * at most the maximum atomic transfer length, any alignment, no atomic boundaries (so ATOMIC BOUNDARY
     * must be zero).
     */
    static void writeAtomic(ScsiTask task) {
        byte[] cdb = task.cdb();
        BlockDevice device = task.lu().device();
        // LBA and protection fields as in the 16-byte block commands; the transfer length is not (SBC-4 Table 137).
        long lba = BlockCdbLayout.SIXTEEN.lba(cdb);
        int boundary = Bytes.u16(cdb, ATOMIC_BOUNDARY_OFFSET);
        int blocks = Bytes.u16(cdb, ATOMIC_TRANSFER_LENGTH_OFFSET);
        task.commandTransferLength((long) blocks * device.blockSize());
        if (BlockCdbLayout.SIXTEEN.protectFieldSet(cdb) || boundary != 0) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (!Cdb.inRange(lba, blocks, device.blockCount())) {
            task.fail(SenseReason.LBA_OUT_OF_RANGE);
            return;
        }
        // Alignment and granularity are 1 today, so these two never refuse; they tie what the Block Limits
        // page reports to what is enforced should the constants change.
        if (blocks > maxAtomicTransferBlocks(task.lu()) || lba % ATOMIC_ALIGNMENT != 0
                || blocks % ATOMIC_TRANSFER_LENGTH_GRANULARITY != 0) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (blocks == 0) {
            task.good();
            return;
        }
        if (BlockCommands.receivedBlocks(task, blocks) < blocks) {
            // Part of an atomic write is not an atomic write: the initiator sent less than the CDB says.
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        boolean fua = task.lu().forceUnitAccess(BlockCdbLayout.SIXTEEN.fua(cdb));
        // The device writes exactly the range's bytes from the reader index (BlockDevice contract): no slice.
        ByteBuf src = task.command().dataOut();
        BlockCommands.locked(task, lba, blocks, LbaRangeLock.Mode.EXCLUSIVE,
                lease -> writeThenGood(task, lba, blocks, src, fua, lease));
    }

    /** MAXIMUM ATOMIC TRANSFER LENGTH (Block Limits VPD): one backend write, so the transfer limit. */
    static int maxAtomicTransferBlocks(LogicalUnit lu) {
        return Math.min(lu.maxTransferBlocks(), 0xFFFF);
    }

    private interface MediumConsumer {
        void accept(ByteBuf medium);
    }

    /** Reads the range into a buffer, hands it to {@code then}, and releases it afterwards. */
    private static void readThen(ScsiTask task, long lba, int blocks, LbaRangeLock.Lease lease, MediumConsumer then) {
        BlockDevice device = task.lu().device();
        ByteBuf medium = task.command().allocator().ioBuffer(blocks * device.blockSize());
        BlockIo.run(
                cb -> device.read(task.command().nexus(), lba, blocks, medium, cb),
                error -> {
                    try {
                        if (error != null) {
                            lease.release();
                            LOG.warn("read of {} blocks at LBA {} failed on {}", blocks, lba, device.describe(), error);
                            task.fail(SenseReason.forStoreFailure(error, SenseReason.UNRECOVERED_READ_ERROR));
                            return;
                        }
                        then.accept(medium);
                    } finally {
                        medium.release();
                    }
                });
    }

    private static void writeThenGood(ScsiTask task, long lba, int blocks, ByteBuf src, boolean fua,
            LbaRangeLock.Lease lease) {
        writeThenGood(task, lba, blocks, src, fua, lease, null);
    }

    private static void writeThenGood(ScsiTask task, long lba, int blocks, ByteBuf src, boolean fua,
            LbaRangeLock.Lease lease, ByteBuf releaseAfter) {
        BlockDevice device = task.lu().device();
        BlockIo.run(
                cb -> device.write(task.command().nexus(), lba, blocks, src, fua, cb),
                error -> {
                    if (releaseAfter != null) {
                        releaseAfter.release();
                    }
                    if (!BlockCommands.writeFailed(task, lease, error, "write", lba, blocks)) {
                        lease.release();
                        task.good();
                    }
                });
    }

}
