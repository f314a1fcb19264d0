package io.jtarget.iscsi.transport;

import io.jtarget.iscsi.pdu.Bhs;
import io.netty.util.collection.IntObjectHashMap;

/**
 * The Target Transfer Tags of one connection (RFC 7143 §11.8.1: unique among the target's
 * outstanding transfers on the connection): one allocator for R2Ts, NOP-In pings and Text
 * continuations, so no two of them can ever carry the same tag. Loop-confined; keys are
 * primitive ints, so allocation and lookup box nothing.
 */
public final class TargetTransferTags {
    private final IntObjectHashMap<Object> owners = new IntObjectHashMap<>();
    private int next;

    public TargetTransferTags() {
        this(1);
    }

    /** Starts counting at {@code first} (tests reach the wrap-around this way). */
    TargetTransferTags(int first) {
        this.next = first;
    }

    /** A tag no outstanding transfer uses, never 0xffffffff (reserved, §11.8.1), owned by {@code owner}. */
    public int allocate(Object owner) {
        int ttt;
        do {
            ttt = next++;
            if (next == Bhs.RESERVED_TAG) {
                next = 1;
            }
        } while (ttt == Bhs.RESERVED_TAG || owners.containsKey(ttt));
        owners.put(ttt, owner);
        return ttt;
    }

    /** Who holds {@code ttt}, or null when it is not outstanding. */
    public Object owner(int ttt) {
        return owners.get(ttt);
    }

    public void release(int ttt) {
        owners.remove(ttt);
    }

    public int outstanding() {
        return owners.size();
    }
}
