package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy manager: EXTENDED COPY(LID1) (SPC-4 §6.4) with identification CSCD descriptors (E4h) and
 * block-to-block segment descriptors (02h), and RECEIVE COPY RESULTS (SPC-4 §6.18): COPY STATUS,
 * OPERATING PARAMETERS and FAILED SEGMENT DETAILS. The limits here are the ones the Third-party Copy
 * VPD page (8Fh) and OPERATING PARAMETERS report.
 */
final class CopyCommands {
    private static final Logger LOG = LoggerFactory.getLogger(CopyCommands.class);

    static final int PARAMETER_LIST_LENGTH_OFFSET = 10;
    /** Parameter list header (SPC-4 Table 105). */
    static final int HEADER_LENGTH = 16;
    static final int LIST_ID_USAGE_MASK = 0x18;
    static final int LIST_ID_USAGE_NONE = 0x18;
    /** CSCD descriptor codes and lengths (SPC-4 §6.4.5). */
    static final int CSCD_IDENTIFICATION = 0xE4;
    static final int CSCD_DESCRIPTOR_LENGTH = 32;
    static final int DESIGNATOR_OFFSET = 4;
    static final int DEVICE_TYPE_MASK = 0x1F;
    static final int NUL = 0x20;
    static final int DISK_BLOCK_LENGTH_OFFSET = 29;
    /** Segment descriptor type 02h, block device to block device (SPC-4 §6.4.6.5). */
    static final int SEGMENT_BLOCK_TO_BLOCK = 0x02;
    static final int SEGMENT_BLOCK_TO_BLOCK_LENGTH = 0x18;
    static final int SEGMENT_HEADER_LENGTH = 4;

    static final int MAX_CSCD_DESCRIPTORS = 16;
    static final int MAX_SEGMENT_DESCRIPTORS = 64;
    static final int MAX_DESCRIPTOR_LIST_LENGTH = 1024 * 16;
    static final long MAX_SEGMENT_BYTES = 64L * 1024 * 1024;
    static final int MAX_CONCURRENT_COPIES = 16;
    /** Bytes per read/write while copying a segment. */
    static final int COPY_PIECE_BYTES = 1 << 20;
    static final int[] SUPPORTED_DESCRIPTORS = {SEGMENT_BLOCK_TO_BLOCK, CSCD_IDENTIFICATION};

    /** COPY STATUS copy manager status values (SPC-4 Table 242). */
    static final int STATUS_IN_PROGRESS = 0x00;
    static final int STATUS_GOOD = 0x01;
    static final int STATUS_ERROR = 0x02;
    static final int COPY_STATUS_LENGTH = 12;
    static final int FAILED_SEGMENT_DETAILS_LENGTH = 60;

    /** Copies by I_T nexus and list identifier, for RECEIVE COPY RESULTS. */
    private static final Map<String, CopyState> COPIES = new ConcurrentHashMap<>();

    private CopyCommands() {}

    private static final class CopyState {
        volatile int status = STATUS_IN_PROGRESS;
        volatile int segmentsProcessed;
        volatile long bytesTransferred;
        volatile byte[] sense;
    }

    private record Segment(LogicalUnit source, LogicalUnit destination, long sourceLba, long destinationLba, int blocks) {}

    static void extendedCopy(ScsiTask task) {
        byte[] cdb = task.cdb();
        long listLength = Bytes.u32(cdb, PARAMETER_LIST_LENGTH_OFFSET);
        task.commandTransferLength(listLength);
        if (listLength == 0) {
            task.good(); // SPC-4 §6.4.1: not an error, no copy
            return;
        }
        if (listLength < HEADER_LENGTH || listLength > HEADER_LENGTH + MAX_DESCRIPTOR_LIST_LENGTH) {
            task.fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            return;
        }
        byte[] list = task.parameterList(listLength); // PARAMETER LIST LENGTH ERROR when less was sent
        if (list == null) {
            return;
        }
        int listId = Bytes.u8(list, 0);
        boolean noListId = (list[1] & LIST_ID_USAGE_MASK) == LIST_ID_USAGE_NONE;
        int cscdLength = Bytes.u16(list, 2);
        long segmentLength = Bytes.u32(list, 8);
        long inlineLength = Bytes.u32(list, 12);
        // PRIORITY (byte 1 bits 2-0) ranks this copy's transfers against other commands (SPC-4 §6.4.3,
        // the parameter list); every value is valid. Copies run like any other command here: ignored.
        if (noListId && listId != 0) {
            task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            return;
        }
        if (HEADER_LENGTH + (long) cscdLength + segmentLength + inlineLength > listLength) {
            task.fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            return;
        }
        if (inlineLength != 0) {
            task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST); // MAXIMUM INLINE DATA LENGTH is 0
            return;
        }
        if (cscdLength % CSCD_DESCRIPTOR_LENGTH != 0) {
            task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            return;
        }
        int cscdCount = cscdLength / CSCD_DESCRIPTOR_LENGTH;
        if (cscdCount > MAX_CSCD_DESCRIPTORS) {
            task.fail(SenseReason.TOO_MANY_TARGET_DESCRIPTORS);
            return;
        }
        List<LogicalUnit> targets = new ArrayList<>(cscdCount);
        for (int i = 0; i < cscdCount; i++) {
            int off = HEADER_LENGTH + i * CSCD_DESCRIPTOR_LENGTH;
            if (Bytes.u8(list, off) != CSCD_IDENTIFICATION) {
                task.fail(SenseReason.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE);
                return;
            }
            if ((list[off + 1] & NUL) != 0 || (list[off + 1] & DEVICE_TYPE_MASK) != InquiryData.DEVICE_TYPE_DIRECT_ACCESS) {
                task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                return;
            }
            int d = off + DESIGNATOR_OFFSET;
            int designatorType = list[d + 1] & 0x0F;
            int association = list[d + 1] & 0x30;
            int designatorLength = Bytes.u8(list, d + 3);
            if (designatorType != InquiryData.DESIGNATOR_NAA || association != InquiryData.ASSOCIATION_LOGICAL_UNIT
                    || designatorLength == 0 || designatorLength > 20) {
                task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                return;
            }
            byte[] naa = new byte[designatorLength];
            System.arraycopy(list, d + 4, naa, 0, designatorLength);
            LogicalUnit lu = task.lu().copyTargets().byNaa(naa);
            if (lu == null) {
                task.fail(SenseReason.COPY_TARGET_DEVICE_NOT_REACHABLE);
                return;
            }
            int diskBlockLength = Bytes.u24(list, off + DISK_BLOCK_LENGTH_OFFSET);
            if (diskBlockLength != lu.device().blockSize()) {
                task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                return;
            }
            targets.add(lu);
        }
        List<Segment> segments = new ArrayList<>();
        int off = HEADER_LENGTH + cscdLength;
        int end = (int) (off + segmentLength);
        while (off < end) {
            if (off + SEGMENT_HEADER_LENGTH > end) {
                task.fail(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
                return;
            }
            int type = Bytes.u8(list, off);
            int length = Bytes.u16(list, off + 2);
            if (type != SEGMENT_BLOCK_TO_BLOCK) {
                task.fail(SenseReason.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE);
                return;
            }
            if (length != SEGMENT_BLOCK_TO_BLOCK_LENGTH || off + SEGMENT_HEADER_LENGTH + length > end) {
                task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                return;
            }
            if (segments.size() == MAX_SEGMENT_DESCRIPTORS) {
                task.fail(SenseReason.TOO_MANY_SEGMENT_DESCRIPTORS);
                return;
            }
            int source = Bytes.u16(list, off + 4);
            int destination = Bytes.u16(list, off + 6);
            if (source >= targets.size() || destination >= targets.size()) {
                task.fail(SenseReason.COPY_TARGET_DEVICE_NOT_REACHABLE);
                return;
            }
            LogicalUnit src = targets.get(source);
            LogicalUnit dst = targets.get(destination);
            int blocks = Bytes.u16(list, off + 10);
            // NUMBER OF BLOCKS counts source blocks (DC=0) or destination blocks (DC=1, byte 1 bit 1): with
            // the equal block sizes required here both mean the same, so DC is not looked at.
            if (src.device().blockSize() != dst.device().blockSize() || (long) blocks * src.device().blockSize() > MAX_SEGMENT_BYTES) {
                task.fail(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                return;
            }
            segments.add(new Segment(src, dst, Bytes.u64(list, off + 12), Bytes.u64(list, off + 20), blocks));
            off += SEGMENT_HEADER_LENGTH + length;
        }
        CopyState state = new CopyState();
        if (!noListId) {
            COPIES.put(key(task, listId), state);
        }
        copySegment(task, segments, 0, state);
    }

    private static String key(ScsiTask task, int listId) {
        return task.command().nexus() + "/" + task.command().lun() + "/" + listId;
    }

    private static void copySegment(ScsiTask task, List<Segment> segments, int index, CopyState state) {
        if (index == segments.size()) {
            state.status = STATUS_GOOD;
            task.good();
            return;
        }
        Segment s = segments.get(index);
        if (s.destination().writeProtected()) {
            fail(task, state, SenseReason.WRITE_PROTECTED);
            return;
        }
        if (!Cdb.inRange(s.sourceLba(), s.blocks(), s.source().device().blockCount())) {
            fail(task, state, SenseReason.COPY_TARGET_DEVICE_DATA_UNDERRUN);
            return;
        }
        if (!Cdb.inRange(s.destinationLba(), s.blocks(), s.destination().device().blockCount())) {
            fail(task, state, SenseReason.COPY_TARGET_DEVICE_DATA_OVERRUN);
            return;
        }
        copyPiece(task, s, 0, () -> {
            state.segmentsProcessed = index + 1;
            copySegment(task, segments, index + 1, state);
        }, state);
    }

    private static void copyPiece(ScsiTask task, Segment s, int done, Runnable then, CopyState state) {
        if (done == s.blocks()) {
            then.run();
            return;
        }
        BlockDevice src = s.source().device();
        BlockDevice dst = s.destination().device();
        int blocks = Math.min(s.blocks() - done, Math.max(1, COPY_PIECE_BYTES / src.blockSize()));
        long srcLba = s.sourceLba() + done;
        long dstLba = s.destinationLba() + done;
        ByteBuf buffer = task.command().allocator().ioBuffer(blocks * src.blockSize());
        BlockCommands.locked(task, s.source(), srcLba, blocks, LbaRangeLock.Mode.SHARED, readLease -> BlockIo.run(
                cb -> src.read(task.command().nexus(), srcLba, blocks, buffer, cb),
                readError -> {
                    readLease.release();
                    if (readError != null) {
                        buffer.release();
                        LOG.warn("EXTENDED COPY read at LBA {} failed on {}", srcLba, src.describe(), readError);
                        fail(task, state, SenseReason.COPY_ABORTED_READ_ERROR);
                        return;
                    }
                    BlockCommands.locked(task, s.destination(), dstLba, blocks, LbaRangeLock.Mode.SHARED,
                            writeLease -> BlockIo.run(
                                    cb -> dst.write(task.command().nexus(), dstLba, blocks, buffer, false, cb),
                                    writeError -> {
                                        writeLease.release();
                                        buffer.release();
                                        if (writeError != null) {
                                            LOG.warn("EXTENDED COPY write at LBA {} failed on {}", dstLba, dst.describe(),
                                                    writeError);
                                            fail(task, state, SenseReason.COPY_ABORTED_WRITE_ERROR);
                                            return;
                                        }
                                        state.bytesTransferred += (long) blocks * src.blockSize();
                                        copyPiece(task, s, done + blocks, then, state);
                                    }));
                }));
    }

    private static void fail(ScsiTask task, CopyState state, SenseReason reason) {
        state.sense = SenseData.encode(reason, false);
        state.status = STATUS_ERROR;
        task.fail(reason);
    }

    /** RECEIVE COPY RESULTS (LID1 service actions), SPC-4 §6.18. */
    static void receiveCopyResults(ScsiTask task) {
        byte[] cdb = task.cdb();
        int serviceAction = cdb[1] & CommandTable.SERVICE_ACTION_MASK;
        int listId = Bytes.u8(cdb, 2);
        int allocation = (int) Math.min(Bytes.u32(cdb, 10), Integer.MAX_VALUE);
        task.commandTransferLength(allocation);
        if (serviceAction == ScsiOpcode.SA_OPERATING_PARAMETERS) {
            task.goodWithData(operatingParameters(), allocation);
            return;
        }
        CopyState state = COPIES.get(key(task, listId));
        if (state == null) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB); // no copy with this list identifier
            return;
        }
        if (serviceAction == ScsiOpcode.SA_COPY_STATUS) {
            byte[] data = new byte[COPY_STATUS_LENGTH];
            Bytes.putU32(data, 0, COPY_STATUS_LENGTH - 4);
            data[4] = (byte) state.status;
            Bytes.putU16(data, 5, Math.min(state.segmentsProcessed, 0xFFFF));
            data[7] = 0; // TRANSFER COUNT UNITS 00h: bytes
            Bytes.putU32(data, 8, Math.min(state.bytesTransferred, 0xFFFF_FFFFL));
            task.goodWithData(data, allocation);
            return;
        }
        // FAILED SEGMENT DETAILS (SPC-4 Table 247): only for a copy that finished.
        if (state.status == STATUS_IN_PROGRESS) {
            byte[] data = new byte[4];
            task.goodWithData(data, allocation);
            return;
        }
        byte[] sense = state.sense == null ? new byte[0] : state.sense;
        byte[] data = new byte[FAILED_SEGMENT_DETAILS_LENGTH + sense.length];
        Bytes.putU32(data, 0, data.length - 4L);
        data[56] = (byte) (state.status == STATUS_GOOD ? ScsiStatus.GOOD : ScsiStatus.CHECK_CONDITION);
        Bytes.putU16(data, 58, sense.length);
        System.arraycopy(sense, 0, data, FAILED_SEGMENT_DETAILS_LENGTH, sense.length);
        task.goodWithData(data, allocation);
    }

    /** OPERATING PARAMETERS (SPC-4 §6.18.4 Table 244). */
    static byte[] operatingParameters() {
        byte[] data = new byte[44 + SUPPORTED_DESCRIPTORS.length];
        Bytes.putU32(data, 0, data.length - 4L);
        data[4] = 0x01; // SNLID: LIST ID USAGE 11b is supported
        Bytes.putU16(data, 8, MAX_CSCD_DESCRIPTORS);
        Bytes.putU16(data, 10, MAX_SEGMENT_DESCRIPTORS);
        Bytes.putU32(data, 12, MAX_DESCRIPTOR_LIST_LENGTH);
        Bytes.putU32(data, 16, MAX_SEGMENT_BYTES);
        // MAXIMUM INLINE DATA LENGTH, HELD DATA LIMIT, MAXIMUM STREAM DEVICE TRANSFER SIZE: 0.
        Bytes.putU16(data, 34, MAX_CONCURRENT_COPIES);
        data[36] = (byte) MAX_CONCURRENT_COPIES;
        data[37] = 9; // DATA SEGMENT GRANULARITY: 2^9 bytes, one logical block
        data[43] = (byte) SUPPORTED_DESCRIPTORS.length;
        for (int i = 0; i < SUPPORTED_DESCRIPTORS.length; i++) {
            data[44 + i] = (byte) SUPPORTED_DESCRIPTORS[i];
        }
        return data;
    }
}
