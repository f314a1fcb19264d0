package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;
import io.jtarget.backstore.IoCallback;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Medium maintenance commands: READ DEFECT DATA(10/12) (SBC-4 §5.18/§5.19) and SANITIZE (SBC-4 §5.30). */
final class MediumCommands {
    private static final Logger LOG = LoggerFactory.getLogger(MediumCommands.class);

    /** READ DEFECT DATA request bits (Tables 76/79): REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT. */
    static final int REQ_PLIST = 0x10;
    static final int REQ_GLIST = 0x08;
    static final int DEFECT_LIST_FORMAT_MASK = 0x07;
    static final int DEFECT_HEADER_10_LENGTH = 4;
    static final int DEFECT_HEADER_12_LENGTH = 8;

    /** SANITIZE CDB byte 1 (SBC-4 §5.30.1 Table 129). */
    static final int SANITIZE_IMMED = 0x80;
    static final int SANITIZE_AUSE = 0x20;
    /** Byte 1 bit 6 is reserved (ZNR belongs to zoned devices, which this is not). */
    static final int SANITIZE_RESERVED = 0x40;
    static final int SANITIZE_PARAMETER_LIST_LENGTH_OFFSET = 7;
    /** OVERWRITE parameter list (SBC-4 §5.30.2 Table 131). */
    static final int OVERWRITE_HEADER_LENGTH = 4;
    static final int OVERWRITE_INVERT = 0x80;
    static final int OVERWRITE_TEST_MASK = 0x60;
    static final int OVERWRITE_COUNT_MASK = 0x1F;
    static final int OVERWRITE_PIECE_BYTES = 1 << 20;

    private MediumCommands() {}

    /**
     * A virtual medium has no defects: the header echoes the lists asked for (PLISTV/GLISTV) in the format
     * asked for, with an empty list. ADDRESS DESCRIPTOR INDEX (12-byte form) is within an empty list
     * either way.
     */
    static void readDefectData(ScsiTask task, boolean twelve) {
        byte[] cdb = task.cdb();
        int request = twelve ? Bytes.u8(cdb, 1) : Bytes.u8(cdb, 2);
        int allocation = twelve ? (int) Math.min(Bytes.u32(cdb, 6), Integer.MAX_VALUE) : Bytes.u16(cdb, 7);
        task.commandTransferLength(allocation);
        byte[] data = new byte[twelve ? DEFECT_HEADER_12_LENGTH : DEFECT_HEADER_10_LENGTH];
        data[1] = (byte) (request & (REQ_PLIST | REQ_GLIST | DEFECT_LIST_FORMAT_MASK));
        task.goodWithData(data, allocation);
    }

    /**
     * SANITIZE. OVERWRITE writes the pattern over every LBA COUNT times (inverted on alternate passes with
     * INVERT); BLOCK ERASE deallocates every LBA (thin LUs only: B1h WABEREQ=01b, reads return zeros);
     * CRYPTOGRAPHIC ERASE is offered on the same LUs and does the same (the stores hold no encryption key,
     * and deallocated blocks can no longer be read, which is the effect SBC-4 §4.11 asks for); EXIT FAILURE
     * MODE completes at once (a failed sanitize leaves no state to leave). The LU is held exclusively for
     * the whole operation; with IMMED, GOOD is returned once the parameters are checked.
     */
    static void sanitize(ScsiTask task) {
        byte[] cdb = task.cdb();
        boolean immed = (cdb[1] & SANITIZE_IMMED) != 0;
        int serviceAction = cdb[1] & CommandTable.SERVICE_ACTION_MASK;
        int listLength = Bytes.u16(cdb, SANITIZE_PARAMETER_LIST_LENGTH_OFFSET);
        task.commandTransferLength(listLength);
        LogicalUnit lu = task.lu();
        BlockDevice device = lu.device();
        if ((cdb[1] & SANITIZE_RESERVED) != 0 || !reservedBytesZero(cdb)) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (serviceAction != ScsiOpcode.SA_SANITIZE_OVERWRITE) {
            if (listLength != 0) {
                task.fail(SenseReason.INVALID_FIELD_IN_CDB);
                return;
            }
            if (serviceAction == ScsiOpcode.SA_SANITIZE_EXIT_FAILURE_MODE) {
                // SBC-4 §5.30.1: a failure of a sanitize with AUSE=0 can only be left by a good sanitize.
                if (lu.sanitizeFailure() == LogicalUnit.SanitizeFailure.RESTRICTED) {
                    task.fail(SenseReason.INVALID_FIELD_IN_CDB);
                    return;
                }
                lu.sanitizeFailure(LogicalUnit.SanitizeFailure.NONE);
                task.good();
                return;
            }
            run(task, immed, (cdb[1] & SANITIZE_AUSE) != 0, done -> BlockIo.run(
                    cb -> device.deallocate(task.command().nexus(), 0, device.blockCount(), cb), done::complete));
            return;
        }
        // SBC-4 §5.30.2: the list holds the header and a pattern of 1 to block-length bytes; any other
        // PARAMETER LIST LENGTH is an invalid field in the CDB.
        if (listLength < OVERWRITE_HEADER_LENGTH + 1 || listLength > OVERWRITE_HEADER_LENGTH + device.blockSize()) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        byte[] list = task.parameterList(listLength);
        if (list == null) {
            return;
        }
        int count = list[0] & OVERWRITE_COUNT_MASK;
        int patternLength = Bytes.u16(list, 2);
        if ((list[0] & OVERWRITE_TEST_MASK) != 0 || count == 0 || patternLength == 0
                || patternLength > device.blockSize() || listLength != OVERWRITE_HEADER_LENGTH + patternLength) {
            task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            return;
        }
        boolean invert = (list[0] & OVERWRITE_INVERT) != 0;
        byte[] pattern = new byte[patternLength];
        System.arraycopy(list, OVERWRITE_HEADER_LENGTH, pattern, 0, patternLength);
        run(task, immed, (cdb[1] & SANITIZE_AUSE) != 0, done -> overwritePass(task, pattern, invert, 0, count, done));
    }

    /** CDB bytes 2..6 are reserved (SBC-4 §5.30.1 Table 129); a set reserved bit is an invalid field. */
    private static boolean reservedBytesZero(byte[] cdb) {
        for (int i = 2; i < SANITIZE_PARAMETER_LIST_LENGTH_OFFSET; i++) {
            if (cdb[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Runs the operation with the whole LU held exclusively; GOOD before (IMMED) or after. */
    private static void run(ScsiTask task, boolean immed, boolean ause, BlockIo.DeviceCall operation) {
        long capacity = task.lu().device().blockCount();
        LogicalUnit lu = task.lu();
        lu.sanitizeProgress(0);
        lu.sanitizing(true);
        if (immed) {
            task.good();
        } else {
            task.detachOnAbort();
        }
        // SBC-4 §4.11.1: once the sanitize completes the old data must not be recoverable from the
        // medium, so the overwritten or deallocated blocks are flushed before the sanitize ends.
        BlockIo.DeviceCall durable = done -> operation.start(error -> {
            if (error != null) {
                done.complete(error);
            } else {
                BlockIo.run(cb -> task.lu().device().flush(task.command().nexus(), cb), done::complete);
            }
        });
        BlockCommands.locked(task, 0, capacity, LbaRangeLock.Mode.EXCLUSIVE, lease -> durable.start(error -> {
            lease.release();
            lu.sanitizing(false);
            if (error != null) {
                LOG.warn("SANITIZE failed on {}", task.lu().device().describe(), error);
            }
            lu.sanitizeFailure(error == null ? LogicalUnit.SanitizeFailure.NONE
                    : ause ? LogicalUnit.SanitizeFailure.UNRESTRICTED : LogicalUnit.SanitizeFailure.RESTRICTED);
            if (!immed) {
                if (error != null) {
                    task.fail(SenseReason.SANITIZE_COMMAND_FAILED);
                } else {
                    task.good();
                }
            }
        }));
    }

    private static void overwritePass(ScsiTask task, byte[] pattern, boolean invert, int pass, int count,
            IoCallback done) {
        if (pass == count) {
            done.complete(null);
            return;
        }
        BlockDevice device = task.lu().device();
        int blockSize = device.blockSize();
        int pieceBlocks = (int) Math.min(device.blockCount(), Math.max(1, OVERWRITE_PIECE_BYTES / blockSize));
        ByteBuf piece = task.command().allocator().ioBuffer(pieceBlocks * blockSize);
        // SBC-4 §5.30.2: the pattern repeats to fill each block; INVERT inverts it between passes.
        boolean inverted = invert && pass % 2 == 1;
        byte[] block = new byte[blockSize];
        for (int i = 0; i < blockSize; i++) {
            byte b = pattern[i % pattern.length];
            block[i] = inverted ? (byte) ~b : b;
        }
        for (int i = 0; i < pieceBlocks; i++) {
            piece.writeBytes(block);
        }
        long total = device.blockCount() * count;
        long before = device.blockCount() * pass;
        // FUA: each piece reaches the medium before the next is written, so the sanitize progresses at
        // the medium's pace and does not fill the page cache with the whole LU's dirty data.
        BlockIo.writeRepeatedly(device, task.command().nexus(), piece, pieceBlocks, 0, device.blockCount(), true,
                written -> task.lu().sanitizeProgress((int) ((before + written) * 65536 / total)), error -> {
                    piece.release();
                    if (error != null) {
                        done.complete(error);
                    } else {
                        overwritePass(task, pattern, invert, pass + 1, count, done);
                    }
                });
    }
}
