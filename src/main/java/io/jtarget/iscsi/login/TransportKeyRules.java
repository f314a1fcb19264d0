package io.jtarget.iscsi.login;

import java.util.List;

/**
 * Login keys a transport adds to RFC 7143's catalogue, and the target's values for them: the hook
 * through which an iSER transport has RDMAExtensions, InitiatorRecvDataSegmentLength,
 * TargetRecvDataSegmentLength and MaxOutstandingUnexpectedPDUs negotiated (RFC 7145 §6). A key
 * not defined here nor in {@link KeyRegistry} is answered NotUnderstood, as on TCP today. The
 * values in force at the end of login reach the transport through
 * {@link NegotiatedParameters#transportKeys()}.
 */
public interface TransportKeyRules {

    /** A plain TCP connection: no keys beyond RFC 7143's. */
    TransportKeyRules NONE = new TransportKeyRules() {
        @Override
        public List<KeyDefinition> keys() {
            return List.of();
        }

        @Override
        public boolean targetBoolean(String key) {
            throw new IllegalArgumentException(key);
        }

        @Override
        public long targetNumber(String key) {
            throw new IllegalArgumentException(key);
        }

        @Override
        public List<KeyValue> targetDeclarations(SessionType sessionType) {
            return List.of();
        }
    };

    /** The keys this transport negotiates or accepts as declarations, with their RFC rules. */
    List<KeyDefinition> keys();

    /** The target's own value of a Boolean key, combined with the initiator's by AND or OR (§6.2.2). */
    boolean targetBoolean(String key);

    /** The target's own value of a numeric key, combined with the initiator's by Minimum or Maximum (§6.2.2). */
    long targetNumber(String key);

    /** Declarations the target makes in the operational stage (e.g. TargetRecvDataSegmentLength). */
    List<KeyValue> targetDeclarations(SessionType sessionType);

    /**
     * The portal's RFC 7143 values as this transport can honour them (iSER: digests None only,
     * RFC 7145 §6.1; InitialR2T=Yes so unsolicited data never outruns the posted receives; a
     * MaxRecvDataSegmentLength no larger than one receive buffer). TCP keeps them as they are.
     */
    default TargetNegotiationLimits limits(TargetNegotiationLimits portal) {
        return portal;
    }
}
