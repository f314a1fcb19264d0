package io.jtarget.scsi;

import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Pending unit attention conditions of one logical unit, per I_T nexus (SPC-5 §5.14). UA_INTLCK_CTRL
 * is 00b: reporting a unit attention in a CHECK CONDITION clears it.
 */
final class UnitAttentions {
    /** More than this many distinct pending conditions is pointless; the oldest are dropped. */
    private static final int MAX_PENDING = 8;

    private final ConcurrentHashMap<ItNexus, ArrayDeque<SenseReason>> pending = new ConcurrentHashMap<>();

    /** Start tracking a nexus with {@code initial} pending; no-op if already known. */
    void register(ItNexus nexus, SenseReason initial) {
        pending.computeIfAbsent(nexus, n -> {
            ArrayDeque<SenseReason> queue = new ArrayDeque<>(2);
            queue.add(initial);
            return queue;
        });
    }

    boolean isRegistered(ItNexus nexus) {
        return pending.containsKey(nexus);
    }

    void forget(ItNexus nexus) {
        pending.remove(nexus);
    }

    Set<ItNexus> nexuses() {
        return pending.keySet();
    }

    void raise(ItNexus nexus, SenseReason reason) {
        ArrayDeque<SenseReason> queue = pending.get(nexus);
        if (queue == null) {
            return;
        }
        synchronized (queue) {
            if (reason.isResetClass()) {
                // A reset supersedes every condition established before it (SAM-5 §5.14); a reset
                // condition still pending keeps its place if it has at least the new one's precedence
                // (power on > hard reset > logical unit reset > I_T nexus loss), so the initiator
                // learns of the most drastic event.
                SenseReason pendingReset = queue.peekFirst() != null && queue.peekFirst().isResetClass()
                        ? queue.peekFirst() : null;
                queue.clear();
                if (pendingReset != null && resetPrecedence(pendingReset) <= resetPrecedence(reason)) {
                    queue.addLast(pendingReset);
                    return;
                }
            } else if (queue.contains(reason)) {
                return;
            }
            if (queue.size() == MAX_PENDING) {
                queue.removeLast();
            }
            queue.addLast(reason);
        }
    }

    /** Lower is more drastic: 29h/00h-01h power on, 02h bus (hard) reset, 03h reset function, 07h nexus loss. */
    private static int resetPrecedence(SenseReason reason) {
        return switch (reason.ascq) {
            case 0x00, 0x01 -> 0;
            case 0x02 -> 1;
            case 0x03 -> 2;
            default -> 3;
        };
    }

    void raiseAll(SenseReason reason) {
        for (ItNexus nexus : pending.keySet()) {
            raise(nexus, reason);
        }
    }

    void raiseAllExcept(ItNexus except, SenseReason reason) {
        for (ItNexus nexus : pending.keySet()) {
            if (!nexus.equals(except)) {
                raise(nexus, reason);
            }
        }
    }

    /**
     * Remove and return the oldest pending condition of the nexus, or null; a nexus not known yet is
     * first registered with {@code initial.apply(nexus)} pending. One map lookup when it is known.
     */
    SenseReason take(ItNexus nexus, Function<ItNexus, SenseReason> initial) {
        ArrayDeque<SenseReason> queue = pending.get(nexus);
        if (queue == null) {
            register(nexus, initial.apply(nexus));
            queue = pending.get(nexus);
            if (queue == null) {
                return null; // forgotten meanwhile
            }
        }
        synchronized (queue) {
            return queue.pollFirst();
        }
    }

    /** Remove and return the oldest pending condition of the nexus, or null. */
    SenseReason take(ItNexus nexus) {
        ArrayDeque<SenseReason> queue = pending.get(nexus);
        if (queue == null) {
            return null;
        }
        synchronized (queue) {
            return queue.pollFirst();
        }
    }

    boolean hasPending(ItNexus nexus) {
        ArrayDeque<SenseReason> queue = pending.get(nexus);
        if (queue == null) {
            return false;
        }
        synchronized (queue) {
            return !queue.isEmpty();
        }
    }
}
