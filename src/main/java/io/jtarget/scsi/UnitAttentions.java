package io.jtarget.scsi;

import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
                // A reset supersedes every condition established before it (SPC-5 §5.14).
                queue.clear();
            } else if (queue.contains(reason)) {
                return;
            }
            if (queue.size() == MAX_PENDING) {
                queue.removeLast();
            }
            queue.addLast(reason);
        }
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
