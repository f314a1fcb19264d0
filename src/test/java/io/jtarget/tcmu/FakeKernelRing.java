package io.jtarget.tcmu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's side of a TCMU ring in ordinary memory, laid out and driven as
 * drivers/target/target_core_user.c does it: mailbox at 0 (version 2, cmdr_off = sizeof mailbox),
 * the command ring, then the data area in page-sized blocks; entries padded to the ring's end when
 * they do not fit (TCMU_OP_PAD), iovecs as offsets into the mapping, cmd_head published last; and
 * completions reaped from its last-cleaned position up to the user's cmd_tail by command id.
 */
final class FakeKernelRing {
    static final int PAGE = 4096;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    final MemorySegment map;
    final int cmdrOff = TcmuAbi.MAILBOX_SIZE;
    final int cmdrSize;
    final long dataOff;
    final int dataBlocks;
    private final boolean[] blockUsed;
    private int lastCleaned;
    private int nextCmdId = 1;

    /** A completion as the kernel reads it. */
    record Completion(int cmdId, int status, byte[] sense, int readLength) {}

    FakeKernelRing(Arena arena, int cmdrSize, int dataBlocks, int flags) {
        this.cmdrSize = cmdrSize;
        this.dataBlocks = dataBlocks;
        this.blockUsed = new boolean[dataBlocks];
        long ringEnd = cmdrOff + cmdrSize;
        this.dataOff = (ringEnd + PAGE - 1) / PAGE * PAGE;
        this.map = arena.allocate(dataOff + (long) dataBlocks * PAGE, PAGE);
        map.set(SHORT, TcmuAbi.MB_VERSION, (short) TcmuAbi.MAILBOX_VERSION_EXPECTED);
        map.set(SHORT, TcmuAbi.MB_FLAGS, (short) flags);
        map.set(INT, TcmuAbi.MB_CMDR_OFF, cmdrOff);
        map.set(INT, TcmuAbi.MB_CMDR_SIZE, cmdrSize);
    }

    int head() {
        return map.get(INT, TcmuAbi.MB_CMD_HEAD);
    }

    int tail() {
        return (int) ((java.lang.invoke.VarHandle) ValueLayout.JAVA_INT.varHandle()).getAcquire(map,
                (long) TcmuAbi.MB_CMD_TAIL);
    }

    /** The entry size the kernel uses for a command with {@code iovs} iovecs and this CDB. */
    static int commandSize(int iovs, int cdbLength) {
        int base = Math.max(TcmuAbi.REQ_IOV + iovs * TcmuAbi.IOVEC_SIZE, TcmuAbi.CMD_ENTRY_SIZE);
        return base + ((cdbLength + 7) & ~7);
    }

    /**
     * Queue a command whose data buffer is {@code dataLength} bytes in page blocks ({@code dataOut}
     * copied in when given). Returns its id, or -1 when the ring or data area has no room.
     */
    int queueCommand(byte[] cdb, int dataLength, byte[] dataOut) {
        int blocks = (dataLength + PAGE - 1) / PAGE;
        List<int[]> runs = allocateBlocks(blocks);
        if (runs == null) {
            return -1;
        }
        int size = commandSize(runs.size(), cdb.length);
        int head = head();
        if (!spaceFor(size, head)) {
            runs.forEach(r -> freeRun(r));
            return -1;
        }
        head = insertPadding(size, head);
        int id = nextCmdId++;
        long entry = cmdrOff + head;
        map.asSlice(entry, size).fill((byte) 0);
        map.set(INT, entry + TcmuAbi.HDR_LEN_OP, size | TcmuAbi.OP_CMD);
        map.set(SHORT, entry + TcmuAbi.HDR_CMD_ID, (short) id);
        map.set(INT, entry + TcmuAbi.REQ_IOV_CNT, runs.size());
        int remaining = dataLength;
        int copied = 0;
        for (int i = 0; i < runs.size(); i++) {
            int[] run = runs.get(i);
            long base = dataOff + (long) run[0] * PAGE;
            int len = Math.min(remaining, run[1] * PAGE);
            map.set(LONG, entry + TcmuAbi.REQ_IOV + (long) i * TcmuAbi.IOVEC_SIZE, base);
            map.set(LONG, entry + TcmuAbi.REQ_IOV + (long) i * TcmuAbi.IOVEC_SIZE + 8, len);
            if (dataOut != null) {
                MemorySegment.copy(dataOut, copied, map, ValueLayout.JAVA_BYTE, base, len);
            }
            copied += len;
            remaining -= len;
        }
        long cdbOff = entry + Math.max(TcmuAbi.REQ_IOV + runs.size() * TcmuAbi.IOVEC_SIZE, TcmuAbi.CMD_ENTRY_SIZE);
        MemorySegment.copy(cdb, 0, map, ValueLayout.JAVA_BYTE, cdbOff, cdb.length);
        map.set(LONG, entry + TcmuAbi.REQ_CDB_OFF, cdbOff);
        commands.add(new Queued(id, runs, dataLength));
        publishHead((head + size) % cmdrSize);
        return id;
    }

    /** Queue a TMR notification naming {@code cmdIds}. */
    void queueTmr(int type, int... cmdIds) {
        int size = (TcmuAbi.TMR_ENTRY_SIZE + 2 * cmdIds.length + 7) & ~7;
        int head = head();
        if (!spaceFor(size, head)) {
            throw new IllegalStateException("no ring space for a TMR");
        }
        head = insertPadding(size, head);
        long entry = cmdrOff + head;
        map.asSlice(entry, size).fill((byte) 0);
        map.set(INT, entry + TcmuAbi.HDR_LEN_OP, size | TcmuAbi.OP_TMR);
        map.set(ValueLayout.JAVA_BYTE, entry + TcmuAbi.TMR_TYPE, (byte) type);
        map.set(INT, entry + TcmuAbi.TMR_CMD_CNT, cmdIds.length);
        for (int i = 0; i < cmdIds.length; i++) {
            map.set(SHORT, entry + TcmuAbi.TMR_CMD_IDS + 2L * i, (short) cmdIds[i]);
        }
        publishHead((head + size) % cmdrSize);
    }

    /** Fill the ring up to {@code position} with one padding entry, as if earlier commands had been there. */
    void startAt(int position) {
        map.set(INT, TcmuAbi.MB_CMD_HEAD, position);
        map.set(INT, TcmuAbi.MB_CMD_TAIL, position);
        lastCleaned = position;
    }

    private record Queued(int id, List<int[]> runs, int dataLength) {}

    private final List<Queued> commands = new ArrayList<>();

    /** Data of a completed READ as the kernel gathers it: {@code readLength} bytes from the iovecs. */
    byte[] dataOf(int cmdId, int length) {
        Queued q = find(cmdId);
        byte[] out = new byte[length];
        int at = 0;
        for (int[] run : q.runs()) {
            int n = Math.min(length - at, run[1] * PAGE);
            MemorySegment.copy(map, ValueLayout.JAVA_BYTE, dataOff + (long) run[0] * PAGE, out, at, n);
            at += n;
            if (at == length) {
                break;
            }
        }
        return out;
    }

    private Queued find(int cmdId) {
        return commands.stream().filter(c -> c.id() == cmdId).findFirst().orElseThrow();
    }

    /** tcmu_handle_completions: every entry from the last cleaned position up to the user's tail. */
    List<Completion> reap() {
        List<Completion> out = new ArrayList<>();
        int tail = tail();
        while (lastCleaned != tail) {
            long entry = cmdrOff + lastCleaned;
            int lenOp = map.get(INT, entry);
            int op = lenOp & TcmuAbi.OP_MASK;
            int len = lenOp & ~TcmuAbi.OP_MASK;
            if (op == TcmuAbi.OP_CMD) {
                int id = Short.toUnsignedInt(map.get(SHORT, entry + TcmuAbi.HDR_CMD_ID));
                int status = Byte.toUnsignedInt(map.get(ValueLayout.JAVA_BYTE, entry + TcmuAbi.RSP_SCSI_STATUS));
                int uflags = map.get(ValueLayout.JAVA_BYTE, entry + TcmuAbi.HDR_UFLAGS);
                int readLength = (uflags & TcmuAbi.UFLAG_READ_LEN) != 0 ? map.get(INT, entry + TcmuAbi.RSP_READ_LEN) : -1;
                byte[] sense = new byte[TcmuAbi.SENSE_BUFFER_SIZE];
                MemorySegment.copy(map, ValueLayout.JAVA_BYTE, entry + TcmuAbi.RSP_SENSE_BUFFER, sense, 0, sense.length);
                out.add(new Completion(id, status, sense, readLength));
                Queued q = find(id);
                q.runs().forEach(this::freeRun);
            }
            lastCleaned = (lastCleaned + len) % cmdrSize;
        }
        return out;
    }

    private boolean spaceFor(int size, int head) {
        int toEnd = cmdrSize - head;
        int needed = toEnd >= size ? size : size + toEnd;
        int used = head - lastCleaned >= 0 ? head - lastCleaned : cmdrSize + head - lastCleaned;
        return cmdrSize - used - 1 >= needed;
    }

    private int insertPadding(int size, int head) {
        int toEnd = cmdrSize - head;
        if (toEnd < size) {
            long entry = cmdrOff + head;
            map.set(INT, entry, toEnd | TcmuAbi.OP_PAD);
            map.set(SHORT, entry + TcmuAbi.HDR_CMD_ID, (short) 0);
            publishHead(0);
            return 0;
        }
        return head;
    }

    private void publishHead(int head) {
        ((java.lang.invoke.VarHandle) ValueLayout.JAVA_INT.varHandle()).setRelease(map, (long) TcmuAbi.MB_CMD_HEAD,
                head);
    }

    /** Runs of consecutive free blocks (first block, count) covering {@code blocks}, or null. */
    private List<int[]> allocateBlocks(int blocks) {
        List<int[]> runs = new ArrayList<>();
        int need = blocks;
        for (int b = 0; b < dataBlocks && need > 0; b++) {
            if (!blockUsed[b]) {
                blockUsed[b] = true;
                need--;
                int[] last = runs.isEmpty() ? null : runs.getLast();
                if (last != null && last[0] + last[1] == b) {
                    last[1]++;
                } else {
                    runs.add(new int[] {b, 1});
                }
            }
        }
        if (need > 0) {
            runs.forEach(this::freeRun);
            return null;
        }
        return runs;
    }

    private void freeRun(int[] run) {
        for (int b = run[0]; b < run[0] + run[1]; b++) {
            blockUsed[b] = false;
        }
    }

    /** Mark data blocks used so the next command's data is split into pieces. */
    void occupyBlock(int block) {
        blockUsed[block] = true;
    }
}
