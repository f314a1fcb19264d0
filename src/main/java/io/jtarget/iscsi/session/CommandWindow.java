package io.jtarget.iscsi.session;

import io.netty.util.collection.IntObjectHashMap;
import java.util.function.Consumer;

/**
 * The session's command numbering (RFC 7143 §4.2.2.1, §3.2.2.1): ExpCmdSN, MaxCmdSN and the
 * commands that arrived ahead of a gap.
 *
 * <p>Non-immediate commands are delivered strictly in CmdSN order; a command with
 * CmdSN &gt; ExpCmdSN waits here until the gap is filled. A command outside
 * [ExpCmdSN, MaxCmdSN] is silently ignored, as §4.2.2.1 requires. The window is the number of
 * commands the session may have outstanding: MaxCmdSN only advances as commands complete, so
 * an initiator can never queue more than {@code depth} commands (DESIGN.md: every limit is
 * explicit). Owned by the session's event loop; not thread-safe.
 */
public final class CommandWindow {

    private final int depth;
    private int expCmdSn;
    private int outstanding;
    /** By CmdSN; primitive keys, so the in-order path (an empty map) allocates nothing. */
    private final IntObjectHashMap<Object> waiting = new IntObjectHashMap<>();

    public CommandWindow(int initialCmdSn, int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("command window depth must be >= 1");
        }
        this.expCmdSn = initialCmdSn;
        this.depth = depth;
    }

    public int expCmdSn() {
        return expCmdSn;
    }

    /** MaxCmdSN = ExpCmdSN + free slots - 1; equals ExpCmdSN - 1 when the window is closed (§4.2.2.1). */
    public int maxCmdSn() {
        int free = Math.max(0, depth - outstanding);
        return expCmdSn + free - 1;
    }

    public int outstanding() {
        return outstanding;
    }

    /** What to do with an arriving non-immediate command. */
    public enum Admission {
        /** CmdSN == ExpCmdSN: deliver it now (ExpCmdSN has advanced). */
        DELIVER,
        /** Ahead of a gap: held; delivered later through {@link #drainInOrder}. */
        HELD,
        /** Outside the window or a duplicate: silently ignored (§4.2.2.1). */
        IGNORED
    }

    /**
     * Admit a non-immediate command with the given CmdSN.
     *
     * @param command the object to hold if the command is ahead of a gap
     */
    public Admission admit(int cmdSn, Object command) {
        if (!SerialNumbers.inWindow(cmdSn, expCmdSn, maxCmdSn())) {
            return Admission.IGNORED;
        }
        if (cmdSn == expCmdSn) {
            expCmdSn++;
            outstanding++;
            return Admission.DELIVER;
        }
        if (waiting.putIfAbsent(cmdSn, command) != null) {
            return Admission.IGNORED;
        }
        return Admission.HELD;
    }

    /** Hand every held command that is now in order to {@code deliver}, advancing ExpCmdSN. */
    public void drainInOrder(Consumer<Object> deliver) {
        Object next;
        while (!waiting.isEmpty() && (next = waiting.remove(expCmdSn)) != null) {
            expCmdSn++;
            outstanding++;
            deliver.accept(next);
        }
    }

    /** A command counted by {@link #admit} has completed: its slot is free again. */
    public void completed() {
        if (outstanding > 0) {
            outstanding--;
        }
    }

    /** Held commands, for cleanup when the session ends. */
    public void drainHeld(Consumer<Object> discard) {
        waiting.values().forEach(discard);
        waiting.clear();
    }
}
