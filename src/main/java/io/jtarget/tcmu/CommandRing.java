package io.jtarget.tcmu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The TCMU command ring of one device, over its shared mapping (linux/target_core_user.h "Ring
 * Design"): the mailbox at offset 0, the command ring at {@code cmdr_off} of {@code cmdr_size}
 * bytes, the data area after it. The kernel appends entries and advances {@code cmd_head};
 * user space consumes them and, when commands are done, writes completions and advances
 * {@code cmd_tail}.
 *
 * <p>Completions follow the out-of-order protocol the kernel offers with
 * TCMU_MAILBOX_FLAG_CAP_OOOC: each completion is written into the slot at the tail (skipping
 * padding and TMR entries there) with the completed command's id, whatever command the slot
 * first carried, and the tail moves past that slot. So the tail never passes an entry that was
 * not consumed, and commands may finish in any order.
 *
 * <p>Not thread-safe: one device's event loop calls everything. Entries are validated against the
 * ring and the mapping (offsets, lengths, counts) before anything is read through them; a
 * malformed entry marks the ring {@link #broken()} and stops consumption.
 */
final class CommandRing {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    /** cmd_head and cmd_tail: aligned 32-bit words shared with the kernel (smp_store_release / READ_ONCE there). */
    private static final VarHandle SHARED_INT = ValueLayout.JAVA_INT.varHandle();

    /** Largest CDB the kernel copies (scsi_command_size: variable-length CDBs up to 260 bytes). */
    private static final int MAX_CDB = 260;

    private final MemorySegment map;
    private final int flags;
    private final long cmdrOff;
    private final int cmdrSize;
    private final long dataOff;
    /** Ring position of the next entry to consume. */
    private int consumed;
    /** Ring position of the next slot a completion is written into. */
    private int tail;
    /** The tail as last published to the kernel. */
    private int publishedTail;
    private boolean broken;
    private String brokenReason;

    private long commands;
    private long tmrs;
    private long pads;
    private long completions;

    /** Receives what {@link #poll} consumes. */
    interface Consumer {
        void command(RingCommand command);

        /** A TCMU_OP_TMR notification: the kernel aborts {@code cmdIds} for a task management function. */
        void taskManagement(int tmrType, int[] cmdIds);
    }

    /**
     * @param map the whole mapping of /dev/uioN (map0), mailbox first
     * @throws IllegalArgumentException when the mailbox describes a version or layout this code does not speak
     */
    CommandRing(MemorySegment map) {
        this.map = map;
        if (map.byteSize() < TcmuAbi.MAILBOX_SIZE) {
            throw new IllegalArgumentException("mapping of " + map.byteSize() + " bytes is smaller than the mailbox");
        }
        int version = Short.toUnsignedInt(map.get(SHORT, TcmuAbi.MB_VERSION));
        if (version != TcmuAbi.MAILBOX_VERSION_EXPECTED) {
            throw new IllegalArgumentException("TCMU mailbox version " + version + ", expected "
                    + TcmuAbi.MAILBOX_VERSION_EXPECTED);
        }
        this.flags = Short.toUnsignedInt(map.get(SHORT, TcmuAbi.MB_FLAGS));
        this.cmdrOff = Integer.toUnsignedLong(map.get(INT, TcmuAbi.MB_CMDR_OFF));
        long size = Integer.toUnsignedLong(map.get(INT, TcmuAbi.MB_CMDR_SIZE));
        if (cmdrOff < TcmuAbi.MAILBOX_SIZE || size < TcmuAbi.CMD_ENTRY_SIZE || size % 8 != 0
                || cmdrOff + size > map.byteSize()) {
            throw new IllegalArgumentException("command ring at " + cmdrOff + " of " + size
                    + " bytes does not fit a mapping of " + map.byteSize());
        }
        this.cmdrSize = (int) size;
        this.dataOff = cmdrOff + size;
        int start = sharedInt(TcmuAbi.MB_CMD_TAIL);
        if (Integer.toUnsignedLong(start) >= cmdrSize || start % 8 != 0) {
            throw new IllegalArgumentException("cmd_tail " + Integer.toUnsignedString(start) + " is outside the ring");
        }
        this.consumed = start;
        this.tail = start;
        this.publishedTail = start;
    }

    /** Mailbox capability flags (TCMU_MAILBOX_FLAG_CAP_*). */
    int flags() {
        return flags;
    }

    boolean outOfOrderCompletions() {
        return (flags & TcmuAbi.FLAG_CAP_OOOC) != 0;
    }

    /** True when entries were queued that nobody consumed or completed yet (the kernel's head is not our tail). */
    boolean hasUnfinishedEntries() {
        return sharedInt(TcmuAbi.MB_CMD_HEAD) != publishedTail;
    }

    boolean broken() {
        return broken;
    }

    String brokenReason() {
        return brokenReason;
    }

    /** Consume every entry the kernel has published; returns the number of commands and TMRs consumed. */
    int poll(Consumer consumer) {
        if (broken) {
            return 0;
        }
        int head = sharedInt(TcmuAbi.MB_CMD_HEAD);
        if (Integer.toUnsignedLong(head) >= cmdrSize) {
            markBroken("cmd_head " + Integer.toUnsignedString(head) + " is outside the ring");
            return 0;
        }
        int n = 0;
        while (consumed != head && !broken) {
            long entry = cmdrOff + consumed;
            int lenOp = map.get(INT, entry + TcmuAbi.HDR_LEN_OP);
            int len = lenOp & ~TcmuAbi.OP_MASK;
            int op = lenOp & TcmuAbi.OP_MASK;
            if (len <= 0 || len > cmdrSize - consumed) {
                markBroken("entry at " + consumed + " has length " + Integer.toUnsignedString(len));
                break;
            }
            switch (op) {
                case TcmuAbi.OP_PAD -> pads++;
                case TcmuAbi.OP_CMD -> {
                    RingCommand command = readCommand(entry, len);
                    if (command == null) {
                        break;
                    }
                    commands++;
                    n++;
                    advanceConsumed(len);
                    consumer.command(command);
                    continue;
                }
                case TcmuAbi.OP_TMR -> {
                    int[] ids = readTmr(entry, len);
                    if (ids == null) {
                        break;
                    }
                    tmrs++;
                    n++;
                    advanceConsumed(len);
                    consumer.taskManagement(Byte.toUnsignedInt(map.get(ValueLayout.JAVA_BYTE, entry + TcmuAbi.TMR_TYPE)),
                            ids);
                    continue;
                }
                default -> {
                    markBroken("entry at " + consumed + " has unknown opcode " + op);
                    continue;
                }
            }
            if (!broken) {
                advanceConsumed(len);
            }
        }
        return n;
    }

    private void advanceConsumed(int len) {
        consumed = (int) ((consumed + (long) len) % cmdrSize);
    }

    private RingCommand readCommand(long entry, int len) {
        int cmdId = Short.toUnsignedInt(map.get(SHORT, entry + TcmuAbi.HDR_CMD_ID));
        long iovCnt = Integer.toUnsignedLong(map.get(INT, entry + TcmuAbi.REQ_IOV_CNT));
        long bidiCnt = Integer.toUnsignedLong(map.get(INT, entry + TcmuAbi.REQ_IOV_BIDI_CNT));
        long difCnt = Integer.toUnsignedLong(map.get(INT, entry + TcmuAbi.REQ_IOV_DIF_CNT));
        long pieces = iovCnt + bidiCnt + difCnt;
        if (len < TcmuAbi.CMD_ENTRY_SIZE || TcmuAbi.REQ_IOV + pieces * TcmuAbi.IOVEC_SIZE > len) {
            markBroken("command " + cmdId + ": " + pieces + " iovecs do not fit its entry of " + len + " bytes");
            return null;
        }
        long cdbOff = map.get(LONG, entry + TcmuAbi.REQ_CDB_OFF);
        if (cdbOff < cmdrOff || cdbOff >= dataOff) {
            markBroken("command " + cmdId + ": CDB offset " + Long.toUnsignedString(cdbOff) + " is outside the ring");
            return null;
        }
        int cdbLength = cdbLength(Byte.toUnsignedInt(map.get(ValueLayout.JAVA_BYTE, cdbOff)), cdbOff);
        if (cdbLength <= 0 || cdbOff + cdbLength > dataOff) {
            markBroken("command " + cmdId + ": CDB of " + cdbLength + " bytes at " + cdbOff + " is outside the ring");
            return null;
        }
        byte[] cdb = new byte[cdbLength];
        MemorySegment.copy(map, ValueLayout.JAVA_BYTE, cdbOff, cdb, 0, cdbLength);
        int used = (int) (iovCnt + bidiCnt);
        long[] iovecs = new long[2 * used];
        for (int i = 0; i < used; i++) {
            long at = entry + TcmuAbi.REQ_IOV + (long) i * TcmuAbi.IOVEC_SIZE;
            long base = map.get(LONG, at + TcmuAbi.IOVEC_BASE);
            long length = map.get(LONG, at + TcmuAbi.IOVEC_LEN);
            if (base < dataOff || length < 0 || length > map.byteSize() - base) {
                markBroken("command " + cmdId + ": iovec " + i + " (" + Long.toUnsignedString(base) + ", "
                        + Long.toUnsignedString(length) + ") is outside the data area");
                return null;
            }
            iovecs[2 * i] = base;
            iovecs[2 * i + 1] = length;
        }
        return new RingCommand(cmdId, cdb, iovecs, (int) iovCnt, (int) bidiCnt);
    }

    /** CDB length as the kernel's scsi_command_size computes it (SPC-5 §4.2.5.1; variable length: §4.2.3). */
    private int cdbLength(int opcode, long cdbOff) {
        return switch (opcode >>> 5) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 4 -> 16;
            case 5 -> 12;
            case 3 -> {
                if (opcode == 0x7f && cdbOff + 8 <= dataOff) {
                    int additional = Byte.toUnsignedInt(map.get(ValueLayout.JAVA_BYTE, cdbOff + 7));
                    yield Math.min(8 + additional, MAX_CDB);
                }
                yield 6;
            }
            default -> 6; // vendor-specific groups 6 and 7: the kernel's COMMAND_SIZE table says 6 bytes
        };
    }

    private int[] readTmr(long entry, int len) {
        long count = Integer.toUnsignedLong(map.get(INT, entry + TcmuAbi.TMR_CMD_CNT));
        if (len < TcmuAbi.TMR_ENTRY_SIZE || TcmuAbi.TMR_CMD_IDS + 2 * count > len) {
            markBroken("TMR entry of " + len + " bytes cannot hold " + count + " command ids");
            return null;
        }
        int[] ids = new int[(int) count];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Short.toUnsignedInt(map.get(SHORT, entry + TcmuAbi.TMR_CMD_IDS + 2L * i));
        }
        return ids;
    }

    /**
     * Write the completion of command {@code cmdId} into the slot at the tail and move the tail past
     * it. The kernel sees it after {@link #publish}.
     *
     * @param sense sense data for CHECK CONDITION (at most 96 bytes are kept), or null
     * @param readLength bytes of Data-In actually produced when fewer than the buffer (reported with
     *     TCMU_UFLAG_READ_LEN when the kernel offers it), or -1
     */
    void complete(int cmdId, int status, byte[] sense, int readLength) {
        skipFinishedNonCommands();
        if (tail == consumed) {
            throw new IllegalStateException("completion of command " + cmdId + " without a consumed entry");
        }
        long entry = cmdrOff + tail;
        int len = map.get(INT, entry + TcmuAbi.HDR_LEN_OP) & ~TcmuAbi.OP_MASK;
        map.set(SHORT, entry + TcmuAbi.HDR_CMD_ID, (short) cmdId);
        int uflags = 0;
        if (readLength >= 0 && (flags & TcmuAbi.FLAG_CAP_READ_LEN) != 0) {
            uflags |= TcmuAbi.UFLAG_READ_LEN;
            map.set(INT, entry + TcmuAbi.RSP_READ_LEN, readLength);
        }
        map.set(ValueLayout.JAVA_BYTE, entry + TcmuAbi.HDR_UFLAGS, (byte) uflags);
        map.set(ValueLayout.JAVA_BYTE, entry + TcmuAbi.RSP_SCSI_STATUS, (byte) status);
        if (sense != null) {
            int n = Math.min(sense.length, TcmuAbi.SENSE_BUFFER_SIZE);
            MemorySegment.copy(sense, 0, map, ValueLayout.JAVA_BYTE, entry + TcmuAbi.RSP_SENSE_BUFFER, n);
        }
        tail = (int) ((tail + (long) len) % cmdrSize);
        completions++;
    }

    /** Move the tail over padding and TMR entries already consumed: the kernel frees them without a reply. */
    private void skipFinishedNonCommands() {
        while (tail != consumed) {
            int lenOp = map.get(INT, cmdrOff + tail + TcmuAbi.HDR_LEN_OP);
            int op = lenOp & TcmuAbi.OP_MASK;
            if (op == TcmuAbi.OP_CMD) {
                return;
            }
            tail = (int) ((tail + (long) (lenOp & ~TcmuAbi.OP_MASK)) % cmdrSize);
        }
    }

    /**
     * Publish the tail to the kernel (a release store, so the completions written before are
     * visible first). Returns true when it moved: the caller then kicks the kernel once.
     */
    boolean publish() {
        skipFinishedNonCommands();
        if (tail == publishedTail) {
            return false;
        }
        SHARED_INT.setRelease(map, (long) TcmuAbi.MB_CMD_TAIL, tail);
        publishedTail = tail;
        return true;
    }

    /** Commands consumed and not yet completed. */
    long outstanding() {
        return commands - completions;
    }

    long commandsConsumed() {
        return commands;
    }

    long tmrsConsumed() {
        return tmrs;
    }

    long padsSkipped() {
        return pads;
    }

    long completionsWritten() {
        return completions;
    }

    private int sharedInt(long offset) {
        return (int) SHARED_INT.getAcquire(map, offset);
    }

    private void markBroken(String reason) {
        broken = true;
        brokenReason = reason;
    }
}
