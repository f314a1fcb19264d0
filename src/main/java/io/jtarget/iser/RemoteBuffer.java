package io.jtarget.iser;

/**
 * A buffer the initiator registered and advertised in an iSER header (RFC 7145 §9): the STag
 * (remote key) and the base offset the target's RDMA operations address. With zero-based virtual
 * addressing refused in the CM exchange ({@link IserCmPrivateData}) the base offset is the
 * initiator's virtual address of the buffer's first byte the target is to move.
 *
 * @param stag the remote key, 32 bits
 * @param baseOffset the remote address, 64 bits
 */
public record RemoteBuffer(int stag, long baseOffset) {
    /** The remote address of byte {@code offset} of this buffer. */
    public long at(long offset) {
        return baseOffset + offset;
    }

    @Override
    public String toString() {
        return String.format("stag 0x%08x va 0x%x", stag, baseOffset);
    }
}
