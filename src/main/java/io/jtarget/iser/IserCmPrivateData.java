package io.jtarget.iser;

/**
 * The iSER private data of the RDMA CM connection request and reply (RFC 7145 §5.1; the iSER
 * annex of the InfiniBand specification; Linux {@code struct iser_cm_hdr}): four bytes, of which
 * the first carries flags. The initiator says what it cannot do; the target answers what it will
 * not use.
 *
 * <p>This target never uses zero-based virtual addresses (it addresses the initiator's buffers by
 * the virtual address advertised in each iSER header) and never sends with invalidate (the
 * initiator invalidates its own registrations), so its reply always carries both "not used" flags,
 * whatever the initiator supports. Linux's isert answers the same to an initiator that registers
 * its memory without fast registration.
 */
public final class IserCmPrivateData {
    private IserCmPrivateData() {}

    public static final int LENGTH = 4;

    /** In a request: the initiator cannot handle zero-based virtual addresses; in a reply: not used. */
    public static final int FLAG_ZBVA_NOT_SUPPORTED = 0x80;
    /** In a request: the initiator cannot take Send with Invalidate; in a reply: not used. */
    public static final int FLAG_SEND_WITH_INVALIDATE_NOT_SUPPORTED = 0x40;

    /**
     * What the initiator's connection request says.
     *
     * @param zeroBasedAddressing the initiator can advertise zero-based virtual addresses
     * @param sendWithInvalidate the initiator accepts Send with Invalidate
     * @param present the request carried iSER private data at all (an RFC 5046 initiator may not)
     */
    public record Request(boolean zeroBasedAddressing, boolean sendWithInvalidate, boolean present) {}

    /**
     * Parses the private data of a connection request. RDMA CM pads private data to the fabric's
     * size (56 bytes on InfiniBand and RoCE), so only the first bytes mean anything; absent data
     * means the initiator stated nothing, and the target then assumes neither feature.
     */
    public static Request parseRequest(byte[] privateData) {
        if (privateData == null || privateData.length == 0) {
            return new Request(false, false, false);
        }
        int flags = privateData[0] & 0xFF;
        return new Request(
                (flags & FLAG_ZBVA_NOT_SUPPORTED) == 0,
                (flags & FLAG_SEND_WITH_INVALIDATE_NOT_SUPPORTED) == 0,
                true);
    }

    /** The private data of the target's reply (accept). */
    public static byte[] reply() {
        return new byte[] {(byte) (FLAG_ZBVA_NOT_SUPPORTED | FLAG_SEND_WITH_INVALIDATE_NOT_SUPPORTED), 0, 0, 0};
    }
}
