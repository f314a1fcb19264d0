package io.jtarget.scsi;

/**
 * The I_T nexus (SAM-5 §4.7): the initiator port and target port a command travels
 * between. Unit attentions, reservations and backend fairness are kept per nexus.
 *
 * @param initiatorPort the initiator port name; for iSCSI {@code <InitiatorName>,i,0x<ISID>} (RFC 7143 §4.4.2),
 *     for SRP the initiator port identifier as {@code 0x} and 32 hex digits
 * @param targetPort the target port name; for iSCSI {@code <TargetName>,t,0x<TPGT>}
 * @param relativeTargetPortId the relative target port identifier reported in VPD 83h (1-based)
 * @param transportId the initiator port as its fabric's TransportID (SPC-5 §7.6.4), supplied by the fabric
 */
public record ItNexus(String initiatorPort, String targetPort, int relativeTargetPortId, TransportId transportId) {
    public ItNexus {
        if (initiatorPort == null || targetPort == null || transportId == null) {
            throw new IllegalArgumentException("port names are required");
        }
    }

    /** An iSCSI nexus: the TransportID is the initiator port name's (RFC 7143 §4.4.2). */
    public ItNexus(String initiatorPort, String targetPort, int relativeTargetPortId) {
        this(initiatorPort, targetPort, relativeTargetPortId, iscsi(initiatorPort));
    }

    private static TransportId iscsi(String initiatorPort) {
        if (initiatorPort == null) {
            throw new IllegalArgumentException("port names are required");
        }
        return TransportId.Iscsi.ofPortName(initiatorPort);
    }

    /** A nexus from its fabric's TransportID; the initiator port name is the TransportID's name. */
    public static ItNexus of(TransportId initiator, String targetPort, int relativeTargetPortId) {
        String name = initiator instanceof TransportId.Iscsi i && i.isid() != null
                ? i.initiatorName() + TransportId.Iscsi.ISID_SEPARATOR + i.isid() : initiator.initiatorName();
        return new ItNexus(name, targetPort, relativeTargetPortId, initiator);
    }
}
