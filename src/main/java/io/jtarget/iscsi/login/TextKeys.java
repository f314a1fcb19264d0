package io.jtarget.iscsi.login;

/**
 * Wire constants of login/text negotiation: key names (RFC 7143 §13, RFC 7144 §2.1, §12.1.3) and
 * the reserved values of §6.2. No behaviour lives here.
 */
public final class TextKeys {
    private TextKeys() {}

    // RFC 7143 §6.1: a key name is at most 63 bytes.
    public static final int MAX_KEY_NAME_BYTES = 63;
    // RFC 7143 §6.1: unless a key says otherwise, a simple value is at most 255 bytes.
    public static final int MAX_SIMPLE_VALUE_BYTES = 255;
    // RFC 7143 §4.2.7.1: an iSCSI name is at most 223 bytes.
    public static final int MAX_ISCSI_NAME_BYTES = 223;

    // Reserved values, RFC 7143 §6.2.
    public static final String NOT_UNDERSTOOD = "NotUnderstood";
    public static final String IRRELEVANT = "Irrelevant";
    public static final String REJECT = "Reject";
    public static final String NONE = "None";
    public static final String YES = "Yes";
    public static final String NO = "No";

    // Prefixes of extension keys, RFC 7143 §13.22 ("X-" private, "X#" IANA-registered).
    public static final String PRIVATE_EXTENSION_PREFIX = "X-";
    public static final String PUBLIC_EXTENSION_PREFIX = "X#";

    // RFC 7143 §13.
    public static final String HEADER_DIGEST = "HeaderDigest";
    public static final String DATA_DIGEST = "DataDigest";
    public static final String MAX_CONNECTIONS = "MaxConnections";
    public static final String SEND_TARGETS = "SendTargets";
    public static final String TARGET_NAME = "TargetName";
    public static final String INITIATOR_NAME = "InitiatorName";
    public static final String TARGET_ALIAS = "TargetAlias";
    public static final String INITIATOR_ALIAS = "InitiatorAlias";
    public static final String TARGET_ADDRESS = "TargetAddress";
    public static final String TARGET_PORTAL_GROUP_TAG = "TargetPortalGroupTag";
    public static final String INITIAL_R2T = "InitialR2T";
    public static final String IMMEDIATE_DATA = "ImmediateData";
    public static final String MAX_RECV_DATA_SEGMENT_LENGTH = "MaxRecvDataSegmentLength";
    public static final String MAX_BURST_LENGTH = "MaxBurstLength";
    public static final String FIRST_BURST_LENGTH = "FirstBurstLength";
    public static final String DEFAULT_TIME_2_WAIT = "DefaultTime2Wait";
    public static final String DEFAULT_TIME_2_RETAIN = "DefaultTime2Retain";
    public static final String MAX_OUTSTANDING_R2T = "MaxOutstandingR2T";
    public static final String DATA_PDU_IN_ORDER = "DataPDUInOrder";
    public static final String DATA_SEQUENCE_IN_ORDER = "DataSequenceInOrder";
    public static final String ERROR_RECOVERY_LEVEL = "ErrorRecoveryLevel";
    public static final String SESSION_TYPE = "SessionType";
    public static final String TASK_REPORTING = "TaskReporting";
    public static final String NODE_ARCHITECTURE = "X#NodeArchitecture";
    // RFC 7144 §2.1.
    public static final String ISCSI_PROTOCOL_LEVEL = "iSCSIProtocolLevel";
    // RFC 7143 §12: security stage.
    public static final String AUTH_METHOD = "AuthMethod";
    public static final String CHAP = "CHAP";
    public static final String CHAP_A = "CHAP_A";
    public static final String CHAP_I = "CHAP_I";
    public static final String CHAP_C = "CHAP_C";
    public static final String CHAP_N = "CHAP_N";
    public static final String CHAP_R = "CHAP_R";
    // RFC 7143 §13.25: obsoleted keys of RFC 3720.
    public static final String OF_MARKER = "OFMarker";
    public static final String IF_MARKER = "IFMarker";
    public static final String OF_MARK_INT = "OFMarkInt";
    public static final String IF_MARK_INT = "IFMarkInt";

    // Values.
    public static final String SESSION_TYPE_NORMAL = "Normal";
    public static final String SESSION_TYPE_DISCOVERY = "Discovery";
    public static final String SEND_TARGETS_ALL = "All";
    public static final String TASK_REPORTING_RFC3720 = "RFC3720";
}
