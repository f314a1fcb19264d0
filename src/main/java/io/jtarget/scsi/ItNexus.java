package io.jtarget.scsi;

/**
 * The I_T nexus (SAM-5 §4.7): the initiator port and target port a command travels
 * between. Unit attentions, reservations and backend fairness are kept per nexus.
 *
 * @param initiatorPort the initiator port name; for iSCSI {@code <InitiatorName>,i,0x<ISID>} (RFC 7143 §4.4.2)
 * @param targetPort the target port name; for iSCSI {@code <TargetName>,t,0x<TPGT>}
 * @param relativeTargetPortId the relative target port identifier reported in VPD 83h (1-based)
 */
public record ItNexus(String initiatorPort, String targetPort, int relativeTargetPortId) {
    public ItNexus {
        if (initiatorPort == null || targetPort == null) {
            throw new IllegalArgumentException("port names are required");
        }
    }
}
