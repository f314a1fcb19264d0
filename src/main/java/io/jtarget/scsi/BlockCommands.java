package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.IoCallback;
import io.netty.buffer.ByteBuf;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Medium access commands of SBC-4: READ, WRITE, VERIFY, WRITE AND VERIFY, PRE-FETCH and
 * SYNCHRONIZE CACHE. Each parses its CDB, checks the range once, then calls the block device.
 * The range parsing, the range lock and the end of a write are shared with the other commands
 * that access the medium (atomic, provisioning, copy and sanitize commands).
 */
final class BlockCommands {
    private static final Logger LOG = LoggerFactory.getLogger(BlockCommands.class);

    /** SBC-4 §5.30 Table 85 BYTCHK values. */
    static final int BYTCHK_NONE = 0;
    static final int BYTCHK_COMPARE = 1;
    static final int BYTCHK_COMPARE_ONE_BLOCK = 3;

    /** SYNCHRONIZE CACHE IMMED bit (SBC-4 §5.26). */
    static final int SYNC_IMMED = 0x02;

    private BlockCommands() {}

    /** The checked LBA range of a block command. */
    record Range(long lba, int blocks) {}

    /**
     * Checks a block command's protection field, LBA range and (with {@code limitTransfer}) MAXIMUM
     * TRANSFER LENGTH.
     *
     * @return the range, or null after the task has been failed
     */
    static Range parseRange(ScsiTask task, BlockCdbLayout layout, boolean limitTransfer) {
        byte[] cdb = task.cdb();
        LogicalUnit lu = task.lu();
        if (layout.protectFieldSet(cdb)) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return null;
        }
        long lba = layout.lba(cdb);
        long blocks = layout.blocks(cdb);
        if (!Cdb.inRange(lba, blocks, lu.device().blockCount())) {
            task.fail(SenseReason.LBA_OUT_OF_RANGE);
            return null;
        }
        if (limitTransfer && blocks > lu.maxTransferBlocks()) {
            // SBC-4 §6.6.4: a transfer beyond MAXIMUM TRANSFER LENGTH is an invalid field in the CDB.
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return null;
        }
        return new Range(lba, (int) Math.min(blocks, Integer.MAX_VALUE));
    }

    /** READ(6/10/12/16), SBC-4 §5.14-§5.17. DPO is a hint we have no cache for. */
    static void read(ScsiTask task, BlockCdbLayout layout) {
        BlockDevice device = task.lu().device();
        task.commandTransferLength(layout.blocks(task.cdb()) * device.blockSize());
        Range range = parseRange(task, layout, true);
        if (range == null) {
            return;
        }
        if (range.blocks() == 0) {
            task.good();
            return;
        }
        task.lu().rangeLock().acquire(range.lba(), range.blocks(), LbaRangeLock.Mode.SHARED,
                new Read(task, device, range.lba(), range.blocks()));
    }

    /**
     * One READ from the moment its range is held to its completion: lease continuation, device call
     * and callback in one object, so the hottest command allocates one thing here rather than a
     * chain of capturing lambdas.
     */
    private static final class Read implements Consumer<LbaRangeLock.Lease>, BlockIo.DeviceCall, IoCallback {
        private final ScsiTask task;
        private final BlockDevice device;
        private final long lba;
        private final int blocks;
        private LbaRangeLock.Lease lease;
        private ByteBuf data;

        Read(ScsiTask task, BlockDevice device, long lba, int blocks) {
            this.task = task;
            this.device = device;
            this.lba = lba;
            this.blocks = blocks;
        }

        /** The range is held: read it (as {@link #locked} would, without its wrapper). */
        @Override
        public void accept(LbaRangeLock.Lease granted) {
            lease = granted;
            try {
                data = task.command().allocator().ioBuffer(blocks * device.blockSize());
                BlockIo.run(this, this);
            } catch (RuntimeException e) {
                failWhileHolding(task, lba, blocks, granted, e);
            }
        }

        @Override
        public void start(IoCallback callback) {
            device.read(task.command().nexus(), lba, blocks, data, callback);
        }

        @Override
        public void complete(Throwable error) {
            lease.release();
            if (error != null) {
                data.release();
                LOG.warn("read of {} blocks at LBA {} failed on {}", blocks, lba, device.describe(), error);
                task.fail(SenseReason.forStoreFailure(error, SenseReason.UNRECOVERED_READ_ERROR));
            } else {
                task.complete(ScsiResponse.good(data, blocks * device.blockSize()));
            }
        }
    }

    /**
     * Run {@code body} once {@code [lba, lba + blocks)} of the task's LU is held in {@code mode}; the body must
     * release the lease when its medium access ends, before it completes the task. A body that throws has the
     * lease released and the task failed.
     */
    static void locked(ScsiTask task, long lba, long blocks, LbaRangeLock.Mode mode, Consumer<LbaRangeLock.Lease> body) {
        locked(task, task.lu(), lba, blocks, mode, body);
    }

    /** As {@link #locked(ScsiTask, long, long, LbaRangeLock.Mode, Consumer)}, on the range of another LU {@code lu}. */
    static void locked(ScsiTask task, LogicalUnit lu, long lba, long blocks, LbaRangeLock.Mode mode,
            Consumer<LbaRangeLock.Lease> body) {
        lu.rangeLock().acquire(lba, blocks, mode, lease -> {
            try {
                body.accept(lease);
            } catch (RuntimeException e) {
                failWhileHolding(task, lba, blocks, lease, e);
            }
        });
    }

    private static void failWhileHolding(ScsiTask task, long lba, long blocks, LbaRangeLock.Lease lease, RuntimeException e) {
        LOG.error("command {} failed while holding LBAs {}+{}", task.command().opcode(), lba, blocks, e);
        lease.release();
        if (!task.isDone()) {
            task.fail(SenseReason.INTERNAL_TARGET_FAILURE);
        }
    }

    /**
     * WRITE(6/10/12/16), SBC-4 §5.40-§5.43. Only whole blocks the initiator actually sent are written:
     * when its expected transfer length is below the CDB's (an iSCSI overflow, RFC 7143 §11.4.5.1) the
     * blocks beyond it stay untouched and the fabric reports the residual (libiscsi
     * test_write10_residuals expects GOOD and exactly this).
     */
    static void write(ScsiTask task, BlockCdbLayout layout) {
        task.commandTransferLength(layout.blocks(task.cdb()) * task.lu().device().blockSize());
        boolean fua = task.lu().forceUnitAccess(layout.fua(task.cdb()));
        writeReceived(task, layout, fua, Write.NO_VERIFY);
    }

    /**
     * The shared part of WRITE and WRITE AND VERIFY: parse the range, write the whole blocks received
     * (GOOD at once when none) under a shared lease; then GOOD, or with {@code verifyBytchk} the blocks
     * are read back and compared.
     */
    private static void writeReceived(ScsiTask task, BlockCdbLayout layout, boolean fua, int verifyBytchk) {
        Range range = parseRange(task, layout, true);
        if (range == null) {
            return;
        }
        int blocks = receivedBlocks(task, range.blocks());
        if (blocks == 0) {
            task.good();
            return;
        }
        task.lu().rangeLock().acquire(range.lba(), blocks, LbaRangeLock.Mode.SHARED,
                new Write(task, range.lba(), blocks, fua, verifyBytchk));
    }

    /**
     * One WRITE (or WRITE AND VERIFY) from the moment its range is held: lease continuation, device
     * call and callback in one object, as {@link Read}. The Data-Out buffer is handed to the device as
     * it is: a device writes exactly {@code blocks * blockSize} bytes from its reader index and moves
     * no index (the {@link BlockDevice} contract), so no slice is needed to bound it.
     */
    private static final class Write implements Consumer<LbaRangeLock.Lease>, BlockIo.DeviceCall, IoCallback {
        /** {@link #verifyBytchk} of a plain WRITE: GOOD once written. */
        static final int NO_VERIFY = -1;

        private final ScsiTask task;
        private final long lba;
        private final int blocks;
        private final boolean fua;
        private final int verifyBytchk;
        private LbaRangeLock.Lease lease;

        Write(ScsiTask task, long lba, int blocks, boolean fua, int verifyBytchk) {
            this.task = task;
            this.lba = lba;
            this.blocks = blocks;
            this.fua = fua;
            this.verifyBytchk = verifyBytchk;
        }

        /** The range is held: write it (as {@link #locked} would, without its wrapper). */
        @Override
        public void accept(LbaRangeLock.Lease granted) {
            lease = granted;
            try {
                BlockIo.run(this, this);
            } catch (RuntimeException e) {
                failWhileHolding(task, lba, blocks, granted, e);
            }
        }

        @Override
        public void start(IoCallback callback) {
            ScsiCommand command = task.command();
            task.lu().device().write(command.nexus(), lba, blocks, command.dataOut(), fua, callback);
        }

        @Override
        public void complete(Throwable error) {
            if (writeFailed(task, lease, error, "write", lba, blocks)) {
                return;
            }
            if (verifyBytchk == NO_VERIFY) {
                lease.release();
                task.good();
            } else {
                readAndCompare(task, new Range(lba, blocks), verifyBytchk, lease);
            }
        }
    }

    /**
     * The end of a medium write made under {@code lease}: when it failed, releases the lease, logs and ends
     * the task with WRITE ERROR (or the sense of a typed store failure).
     *
     * @return true when the write failed (all is done); false when it succeeded: the lease is still held
     *     and the caller continues
     */
    static boolean writeFailed(ScsiTask task, LbaRangeLock.Lease lease, Throwable error, String what, long lba,
            long blocks) {
        if (error == null) {
            return false;
        }
        lease.release();
        LOG.warn("{} of {} blocks at LBA {} failed on {}", what, blocks, lba, task.lu().device().describe(), error);
        task.fail(SenseReason.forStoreFailure(error, SenseReason.WRITE_ERROR));
        return true;
    }

    /**
     * VERIFY(10/12/16), SBC-4 §5.30-§5.32: read the range back (BYTCHK 00b), and compare it with the
     * Data-Out buffer (01b) or with one block repeated (11b); a difference is MISCOMPARE with the
     * offset of the first differing byte in INFORMATION.
     */
    static void verify(ScsiTask task, BlockCdbLayout layout) {
        BlockDevice device = task.lu().device();
        int bytchk = layout.bytchk(task.cdb());
        long cdbBlocks = layout.blocks(task.cdb());
        long outBytes = switch (bytchk) {
            case BYTCHK_COMPARE -> cdbBlocks * device.blockSize();
            case BYTCHK_COMPARE_ONE_BLOCK -> cdbBlocks == 0 ? 0 : device.blockSize();
            default -> 0;
        };
        task.commandTransferLength(outBytes);
        if (bytchk != BYTCHK_NONE && bytchk != BYTCHK_COMPARE && bytchk != BYTCHK_COMPARE_ONE_BLOCK) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        Range range = parseRange(task, layout, true);
        if (range == null) {
            return;
        }
        if (range.blocks() == 0) {
            task.good();
            return;
        }
        readAndCompare(task, range, bytchk);
    }

    /**
     * WRITE AND VERIFY(10/12/16), SBC-4 §5.44-§5.46: write with forced unit access, then read back
     * and (BYTCHK 01b) compare with what was sent.
     */
    static void writeAndVerify(ScsiTask task, BlockCdbLayout layout) {
        int bytchk = layout.bytchk(task.cdb());
        task.commandTransferLength(layout.blocks(task.cdb()) * task.lu().device().blockSize());
        if (bytchk != BYTCHK_NONE && bytchk != BYTCHK_COMPARE) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        writeReceived(task, layout, true, bytchk);
    }

    private static void readAndCompare(ScsiTask task, Range range, int bytchk) {
        locked(task, range.lba(), range.blocks(), LbaRangeLock.Mode.SHARED, lease -> readAndCompare(task, range, bytchk, lease));
    }

    private static void readAndCompare(ScsiTask task, Range range, int bytchk, LbaRangeLock.Lease lease) {
        BlockDevice device = task.lu().device();
        int blockSize = device.blockSize();
        int bytes = range.blocks() * blockSize;
        ByteBuf medium = task.command().allocator().ioBuffer(bytes);
        BlockIo.run(
                cb -> device.read(task.command().nexus(), range.lba(), range.blocks(), medium, cb),
                error -> {
                    lease.release();
                    try {
                        if (error != null) {
                            LOG.warn("verify read of {} blocks at LBA {} failed on {}", range.blocks(), range.lba(), device.describe(), error);
                            task.fail(SenseReason.forStoreFailure(error, SenseReason.UNRECOVERED_READ_ERROR));
                            return;
                        }
                        long mismatch = firstMismatch(task, medium, range.blocks(), bytchk, blockSize);
                        if (mismatch >= 0) {
                            task.fail(SenseReason.MISCOMPARE_DURING_VERIFY, mismatch);
                        } else {
                            task.good();
                        }
                    } finally {
                        medium.release();
                    }
                });
    }

    /** Offset of the first byte that differs from the Data-Out buffer, or -1. */
    private static long firstMismatch(ScsiTask task, ByteBuf medium, int blocks, int bytchk, int blockSize) {
        ByteBuf out = task.command().dataOut();
        int available = out == null ? 0 : out.readableBytes();
        if (bytchk == BYTCHK_COMPARE) {
            // Compare what was received (whole blocks); the rest of the range was still read back.
            int n = Math.min(blocks, available / blockSize) * blockSize;
            return mismatch(medium, 0, out, out == null ? 0 : out.readerIndex(), n);
        }
        if (bytchk == BYTCHK_COMPARE_ONE_BLOCK && available >= blockSize) {
            for (int b = 0; b < blocks; b++) {
                long m = mismatch(medium, b * blockSize, out, out.readerIndex(), blockSize);
                if (m >= 0) {
                    return (long) b * blockSize + m;
                }
            }
        }
        return -1;
    }

    /**
     * Offset of the first differing byte of {@code a} at {@code aIndex} and {@code b} at {@code bIndex}
     * over {@code length} bytes, or -1 when they are equal (or {@code length} is 0). Indices are absolute;
     * neither buffer's indices move.
     */
    static long mismatch(ByteBuf a, int aIndex, ByteBuf b, int bIndex, int length) {
        if (length == 0) {
            return -1;
        }
        // ByteBuffer.mismatch compares in vector-sized strides.
        return a.nioBuffer(aIndex, length).mismatch(b.nioBuffer(bIndex, length));
    }

    /** The whole blocks of Data-Out received, at most {@code wanted}. */
    static int receivedBlocks(ScsiTask task, int wanted) {
        ByteBuf out = task.command().dataOut();
        int available = out == null ? 0 : out.readableBytes();
        return Math.min(wanted, available / task.lu().device().blockSize());
    }

    /**
     * PRE-FETCH(10/16), SBC-4 §5.9/§5.10. There is no cache of ours to load, which the standard
     * answers with GOOD ("the cache does not have sufficient capacity"), not CONDITION MET; libiscsi's
     * Prefetch tests also require GOOD.
     */
    static void preFetch(ScsiTask task, BlockCdbLayout layout) {
        if (parseRange(task, layout, false) != null) {
            task.good();
        }
    }

    /** SYNCHRONIZE CACHE(10/16), SBC-4 §5.24/§5.25: the whole device is flushed whatever the range. */
    static void synchronizeCache(ScsiTask task, BlockCdbLayout layout) {
        if (parseRange(task, layout, false) == null) {
            return;
        }
        boolean immediate = (task.cdb()[BlockCdbLayout.FLAGS_BYTE] & SYNC_IMMED) != 0;
        flush(task, immediate);
    }

    /** Flush the device; with {@code immediate} GOOD is returned first and the flush runs on. */
    static void flush(ScsiTask task, boolean immediate) {
        BlockDevice device = task.lu().device();
        if (immediate) {
            task.good();
        }
        BlockIo.run(
                cb -> device.flush(task.command().nexus(), cb),
                error -> {
                    if (error != null) {
                        LOG.warn("flush failed on {}", device.describe(), error);
                    }
                    if (!immediate) {
                        if (error != null) {
                            task.fail(SenseReason.forStoreFailure(error, SenseReason.WRITE_ERROR));
                        } else {
                            task.good();
                        }
                    }
                });
    }
}
