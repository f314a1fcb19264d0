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

    /** Stands for a CmdSN counted as received whose command was aborted before it arrived or ran. */
    private static final Object ABORTED = new Object();

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
            if (next == ABORTED) {
                continue; // counted as received and already finished
            }
            outstanding++;
            deliver.accept(next);
        }
    }

    /** The command held for {@code cmdSn} (arrived ahead of a gap), or null. */
    public Object held(int cmdSn) {
        Object held = waiting.get(cmdSn);
        return held == ABORTED ? null : held;
    }

    /**
     * ABORT TASK for a command not yet delivered (RFC 7143 §11.5.1: "targets must consider the
     * CmdSN as received"): {@code cmdSn} counts as received and its command as aborted. A command
     * held for it is taken out and returned (the caller releases it; it never runs); one that has
     * not arrived is ignored as a duplicate when it does. The window does not wait for it: call
     * {@link #drainInOrder} afterwards, ExpCmdSN may have reached held commands.
     *
     * @return the held command that was aborted, or null
     */
    public Object receivedAborted(int cmdSn) {
        if (!SerialNumbers.inWindow(cmdSn, expCmdSn, maxCmdSn())) {
            return null;
        }
        if (cmdSn == expCmdSn) {
            expCmdSn++; // nothing is held at ExpCmdSN: it would have been delivered
            return null;
        }
        Object held = waiting.put(cmdSn, ABORTED);
        return held == ABORTED ? null : held;
    }

    /** A command counted by {@link #admit} has completed: its slot is free again. */
    public void completed() {
        if (outstanding > 0) {
            outstanding--;
        }
    }

    /** Held commands, for cleanup when the session ends. */
    public void drainHeld(Consumer<Object> discard) {
        for (Object held : waiting.values()) {
            if (held != ABORTED) {
                discard.accept(held);
            }
        }
        waiting.clear();
    }
}
