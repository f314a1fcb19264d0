package io.jtarget.iscsi.login;

import java.util.Set;

/** Groups of the RFC 7145 §6 keys that negotiation treats alike. No behaviour lives here. */
final class IserKeys {
    private IserKeys() {}

    /** "Irrelevant when: RDMAExtensions=No" (RFC 7145 §6.4, §6.5, §6.7). */
    static final Set<String> DEPEND_ON_RDMA_EXTENSIONS = Set.of(
            TextKeys.TARGET_RECV_DATA_SEGMENT_LENGTH,
            TextKeys.INITIATOR_RECV_DATA_SEGMENT_LENGTH,
            TextKeys.MAX_OUTSTANDING_UNEXPECTED_PDUS);
}
