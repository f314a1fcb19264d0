package io.jtarget.iser;

import io.jtarget.iscsi.login.DigestType;
import io.jtarget.iscsi.login.KeyDefinition;
import io.jtarget.iscsi.login.KeyRegistry;
import io.jtarget.iscsi.login.KeyScope;
import io.jtarget.iscsi.login.KeySender;
import io.jtarget.iscsi.login.KeyType;
import io.jtarget.iscsi.login.KeyUse;
import io.jtarget.iscsi.login.KeyValue;
import io.jtarget.iscsi.login.SessionType;
import io.jtarget.iscsi.login.TargetNegotiationLimits;
import io.jtarget.iscsi.login.TextKeys;
import io.jtarget.iscsi.login.TransportKeyRules;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The login keys RFC 7145 §6 adds for iSER, and the target's values for them. Plugged into the
 * login negotiator of every connection that arrives on an iSER portal.
 *
 * <p>What the Linux initiator (open-iscsi over ib_iser) sends for a normal session: no digest
 * keys, {@code InitiatorRecvDataSegmentLength}, {@code TargetRecvDataSegmentLength} and
 * {@code RDMAExtensions=Yes} instead of MaxRecvDataSegmentLength; it fails a login whose response
 * holds a key it does not know, so the target answers only what was offered and declares nothing.
 */
public final class IserKeyRules implements TransportKeyRules {
    public static final String RDMA_EXTENSIONS = "RDMAExtensions";
    public static final String TARGET_RECV_DATA_SEGMENT_LENGTH = "TargetRecvDataSegmentLength";
    public static final String INITIATOR_RECV_DATA_SEGMENT_LENGTH = "InitiatorRecvDataSegmentLength";
    public static final String MAX_OUTSTANDING_UNEXPECTED_PDUS = "MaxOutstandingUnexpectedPDUs";

    /** The RFC default of both control-type PDU lengths (§6.4, §6.5). */
    public static final int DEFAULT_RECV_DATA_SEGMENT_LENGTH = 8192;

    private static final List<KeyDefinition> KEYS = List.of(
            // §6.3: Boolean AND, leading only, irrelevant in discovery; default No.
            new KeyDefinition(RDMA_EXTENSIONS, KeyType.BOOLEAN_AND, KeyUse.LEADING_ONLY, KeyScope.SESSION_WIDE,
                    KeySender.BOTH, false, true, Optional.of(TextKeys.NO), 0, 0),
            // §6.4, §6.5: Minimum, 512..2^24-1, default 8192, initialize only, connection only.
            length(TARGET_RECV_DATA_SEGMENT_LENGTH),
            length(INITIATOR_RECV_DATA_SEGMENT_LENGTH),
            // §6.7: Minimum, leading only; 0 (the default) is "no limit".
            new KeyDefinition(MAX_OUTSTANDING_UNEXPECTED_PDUS, KeyType.NUMERIC_MIN, KeyUse.LEADING_ONLY,
                    KeyScope.SESSION_WIDE, KeySender.BOTH, false, true, Optional.of("0"), 0, 0xFFFF_FFFFL));

    private final IserLimits limits;

    public IserKeyRules(IserLimits limits) {
        this.limits = limits;
    }

    private static KeyDefinition length(String name) {
        return new KeyDefinition(name, KeyType.NUMERIC_MIN, KeyUse.INITIALIZE_ONLY, KeyScope.CONNECTION_ONLY,
                KeySender.BOTH, false, true, Optional.of(Integer.toString(DEFAULT_RECV_DATA_SEGMENT_LENGTH)),
                KeyRegistry.MIN_DATA_LENGTH, KeyRegistry.MAX_DATA_LENGTH);
    }

    @Override
    public List<KeyDefinition> keys() {
        return KEYS;
    }

    @Override
    public boolean targetBoolean(String key) {
        if (key.equals(RDMA_EXTENSIONS)) {
            return true;
        }
        throw new IllegalArgumentException("not an iSER Boolean key: " + key);
    }

    @Override
    public long targetNumber(String key) {
        return switch (key) {
            case TARGET_RECV_DATA_SEGMENT_LENGTH -> limits.targetRecvDataSegmentLength();
            case INITIATOR_RECV_DATA_SEGMENT_LENGTH -> limits.initiatorRecvDataSegmentLength();
            case MAX_OUTSTANDING_UNEXPECTED_PDUS -> limits.maxOutstandingUnexpectedPdus();
            default -> throw new IllegalArgumentException("not an iSER numeric key: " + key);
        };
    }

    @Override
    public List<KeyValue> targetDeclarations(SessionType sessionType) {
        return List.of();
    }

    /**
     * Digests None only (§6.1: the RDMA fabric protects the data); InitialR2T=Yes, so the
     * initiator sends nothing unsolicited beyond immediate data and every PDU it sends fits the
     * receives posted for the command window (LIO's default too); MaxRecvDataSegmentLength (which
     * still bounds a discovery session, where RDMAExtensions is irrelevant) no larger than a
     * receive buffer holds.
     */
    @Override
    public TargetNegotiationLimits limits(TargetNegotiationLimits portal) {
        int maxRecv = Math.min(portal.maxRecvDataSegmentLength(), limits.targetRecvDataSegmentLength());
        return new TargetNegotiationLimits(maxRecv, portal.maxBurstLength(), portal.firstBurstLength(),
                portal.maxOutstandingR2T(), true, portal.immediateData(), List.of(DigestType.NONE),
                List.of(DigestType.NONE), portal.errorRecoveryLevel(), portal.maxConnections(),
                portal.defaultTime2Wait(), portal.defaultTime2Retain(), portal.protocolLevel());
    }

    /** A normal session must have agreed RDMAExtensions=Yes to run over iSER (RFC 7145 §5.1, §6.3). */
    public static boolean rdmaExtensionsAgreed(SessionType type, Map<String, String> transportKeys) {
        return type != SessionType.NORMAL || TextKeys.YES.equals(transportKeys.get(RDMA_EXTENSIONS));
    }

    /** A negotiated length from the login's transport keys, else the RFC default. */
    public static int negotiatedLength(Map<String, String> transportKeys, String key) {
        String value = transportKeys.get(key);
        return value == null ? DEFAULT_RECV_DATA_SEGMENT_LENGTH : Integer.parseInt(value);
    }
}
