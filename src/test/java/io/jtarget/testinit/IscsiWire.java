package io.jtarget.testinit;

/**
 * iSCSI wire constants for the test initiator, taken from RFC 7143 §11 (PDU formats) and §13
 * (login/text keys). Written independently of the server's own spec classes on purpose: a
 * second reading of the RFC catches mistakes a shared constant would hide. No behaviour here.
 */
public final class IscsiWire {
    private IscsiWire() {}

    /** RFC 7143 §11.2: every PDU starts with a 48-byte Basic Header Segment. */
    public static final int BHS_LENGTH = 48;
    /** RFC 7143 §11.2.1: digests are 4 bytes (CRC32C, §13.1). */
    public static final int DIGEST_LENGTH = 4;
    /** RFC 7143 §11.2: data segments are padded to a 4-byte boundary. */
    public static final int PAD_ALIGNMENT = 4;
    /** RFC 7143 §11.2.1.4: DataSegmentLength is a 24-bit field. */
    public static final int MAX_DATA_SEGMENT_LENGTH = 0xFFFFFF;
    /** RFC 7143 §11.2.1.9/§11.3: the reserved tag value ("no tag"). */
    public static final int RESERVED_TAG = 0xFFFFFFFF;

    /** RFC 7143 §11.2.1.2 opcodes (byte 0, low six bits). */
    public static final class Opcode {
        private Opcode() {}

        public static final int NOP_OUT = 0x00;
        public static final int SCSI_COMMAND = 0x01;
        public static final int TASK_MGMT_REQUEST = 0x02;
        public static final int LOGIN_REQUEST = 0x03;
        public static final int TEXT_REQUEST = 0x04;
        public static final int DATA_OUT = 0x05;
        public static final int LOGOUT_REQUEST = 0x06;
        public static final int SNACK_REQUEST = 0x10;

        public static final int NOP_IN = 0x20;
        public static final int SCSI_RESPONSE = 0x21;
        public static final int TASK_MGMT_RESPONSE = 0x22;
        public static final int LOGIN_RESPONSE = 0x23;
        public static final int TEXT_RESPONSE = 0x24;
        public static final int DATA_IN = 0x25;
        public static final int LOGOUT_RESPONSE = 0x26;
        public static final int R2T = 0x31;
        public static final int ASYNC_MESSAGE = 0x32;
        public static final int REJECT = 0x3F;

        /** Low six bits of byte 0. */
        public static final int MASK = 0x3F;
        /** Byte 0 bit 6: immediate delivery (initiator PDUs only). */
        public static final int IMMEDIATE_BIT = 0x40;

        public static String name(int opcode) {
            return switch (opcode) {
                case NOP_OUT -> "NOP-Out";
                case SCSI_COMMAND -> "SCSI Command";
                case TASK_MGMT_REQUEST -> "Task Management Request";
                case LOGIN_REQUEST -> "Login Request";
                case TEXT_REQUEST -> "Text Request";
                case DATA_OUT -> "SCSI Data-Out";
                case LOGOUT_REQUEST -> "Logout Request";
                case SNACK_REQUEST -> "SNACK Request";
                case NOP_IN -> "NOP-In";
                case SCSI_RESPONSE -> "SCSI Response";
                case TASK_MGMT_RESPONSE -> "Task Management Response";
                case LOGIN_RESPONSE -> "Login Response";
                case TEXT_RESPONSE -> "Text Response";
                case DATA_IN -> "SCSI Data-In";
                case LOGOUT_RESPONSE -> "Logout Response";
                case R2T -> "R2T";
                case ASYNC_MESSAGE -> "Asynchronous Message";
                case REJECT -> "Reject";
                default -> String.format("opcode 0x%02x", opcode);
            };
        }
    }

    /** Byte offsets in the BHS that mean the same thing in every PDU (RFC 7143 §11.2.1). */
    public static final class Bhs {
        private Bhs() {}

        public static final int OPCODE = 0;
        public static final int FLAGS = 1;
        public static final int TOTAL_AHS_LENGTH = 4;
        public static final int DATA_SEGMENT_LENGTH = 5;
        public static final int LUN = 8;
        public static final int ITT = 16;
        /** Target Transfer Tag in NOP, Data, R2T, Text PDUs. */
        public static final int TTT = 20;
        /** Initiator → target: CmdSN; target → initiator: StatSN. */
        public static final int CMD_SN = 24;
        public static final int STAT_SN = 24;
        /** Initiator → target: ExpStatSN; target → initiator: ExpCmdSN. */
        public static final int EXP_STAT_SN = 28;
        public static final int EXP_CMD_SN = 28;
        public static final int MAX_CMD_SN = 32;
        /** The F (final) bit, byte 1 bit 7, in every PDU type that has one. */
        public static final int FINAL_FLAG = 0x80;
    }

    /** RFC 7143 §11.3 SCSI Command. */
    public static final class ScsiCommand {
        private ScsiCommand() {}

        public static final int FLAG_READ = 0x40;
        public static final int FLAG_WRITE = 0x20;
        public static final int ATTRIBUTE_MASK = 0x07;
        public static final int EXPECTED_DATA_TRANSFER_LENGTH = 20;
        public static final int CDB = 32;
        public static final int CDB_LENGTH_IN_BHS = 16;
        /** RFC 7143 §11.2.2.3: AHS type 1 carries the CDB bytes beyond 16. */
        public static final int AHS_TYPE_EXTENDED_CDB = 1;
    }

    /** SAM task attributes carried in the SCSI Command ATTR field (RFC 7143 §11.3.1). */
    public static final class TaskAttribute {
        private TaskAttribute() {}

        public static final int UNTAGGED = 0;
        public static final int SIMPLE = 1;
        public static final int ORDERED = 2;
        public static final int HEAD_OF_QUEUE = 3;
        public static final int ACA = 4;
    }

    /** RFC 7143 §11.4 SCSI Response. */
    public static final class ScsiResponse {
        private ScsiResponse() {}

        public static final int FLAG_BIDI_OVERFLOW = 0x10;
        public static final int FLAG_BIDI_UNDERFLOW = 0x08;
        public static final int FLAG_OVERFLOW = 0x04;
        public static final int FLAG_UNDERFLOW = 0x02;
        public static final int RESPONSE = 2;
        public static final int STATUS = 3;
        public static final int SNACK_TAG = 20;
        public static final int EXP_DATA_SN = 36;
        public static final int BIDI_READ_RESIDUAL_COUNT = 40;
        public static final int RESIDUAL_COUNT = 44;
        /** §11.4.3 response codes. */
        public static final int RESPONSE_COMPLETED = 0x00;
        public static final int RESPONSE_TARGET_FAILURE = 0x01;
        /** §11.4.7.2: the data segment starts with a 2-byte SenseLength. */
        public static final int SENSE_LENGTH_FIELD = 2;
    }

    /** RFC 7143 §11.7 SCSI Data-Out and Data-In. */
    public static final class Data {
        private Data() {}

        public static final int FLAG_ACKNOWLEDGE = 0x40;
        public static final int FLAG_OVERFLOW = 0x04;
        public static final int FLAG_UNDERFLOW = 0x02;
        public static final int FLAG_STATUS = 0x01;
        public static final int STATUS = 3;
        public static final int DATA_SN = 36;
        public static final int BUFFER_OFFSET = 40;
        public static final int RESIDUAL_COUNT = 44;
    }

    /** RFC 7143 §11.8 Ready To Transfer. */
    public static final class R2t {
        private R2t() {}

        public static final int R2T_SN = 36;
        public static final int BUFFER_OFFSET = 40;
        public static final int DESIRED_DATA_TRANSFER_LENGTH = 44;
    }

    /** RFC 7143 §11.5/§11.6 Task Management Function Request/Response. */
    public static final class TaskManagement {
        private TaskManagement() {}

        public static final int FUNCTION_MASK = 0x7F;
        public static final int REFERENCED_TASK_TAG = 20;
        public static final int REF_CMD_SN = 32;
        public static final int EXP_DATA_SN = 36;
        public static final int RESPONSE = 2;

        public static final int ABORT_TASK = 1;
        public static final int ABORT_TASK_SET = 2;
        public static final int CLEAR_ACA = 3;
        public static final int CLEAR_TASK_SET = 4;
        public static final int LOGICAL_UNIT_RESET = 5;
        public static final int TARGET_WARM_RESET = 6;
        public static final int TARGET_COLD_RESET = 7;
        public static final int TASK_REASSIGN = 8;

        /** §11.6.1 response codes. */
        public static final int FUNCTION_COMPLETE = 0;
        public static final int TASK_DOES_NOT_EXIST = 1;
        public static final int LUN_DOES_NOT_EXIST = 2;
        public static final int TASK_STILL_ALLEGIANT = 3;
        public static final int REASSIGNMENT_NOT_SUPPORTED = 4;
        public static final int FUNCTION_NOT_SUPPORTED = 5;
        public static final int AUTHORIZATION_FAILED = 6;
        public static final int FUNCTION_REJECTED = 255;
    }

    /** RFC 7143 §11.12/§11.13 Login Request/Response. */
    public static final class Login {
        private Login() {}

        public static final int FLAG_TRANSIT = 0x80;
        public static final int FLAG_CONTINUE = 0x40;
        public static final int CSG_SHIFT = 2;
        public static final int STAGE_MASK = 0x03;
        public static final int VERSION_MAX = 2;
        public static final int VERSION_MIN = 3;
        public static final int VERSION_ACTIVE = 3;
        public static final int ISID = 8;
        public static final int ISID_LENGTH = 6;
        public static final int TSIH = 14;
        public static final int CID = 20;
        public static final int STATUS_CLASS = 36;
        public static final int STATUS_DETAIL = 37;

        /** §11.12.3 stages. */
        public static final int STAGE_SECURITY = 0;
        public static final int STAGE_OPERATIONAL = 1;
        public static final int STAGE_FULL_FEATURE = 3;

        /** §11.13.5 status classes. */
        public static final int CLASS_SUCCESS = 0;
        public static final int CLASS_REDIRECTION = 1;
        public static final int CLASS_INITIATOR_ERROR = 2;
        public static final int CLASS_TARGET_ERROR = 3;

        /** §11.13.5 status (class << 8 | detail) this initiator's tests look for. */
        public static final int STATUS_AUTHENTICATION_FAILURE = 0x0201;
        public static final int STATUS_NOT_FOUND = 0x0203;
        public static final int STATUS_MISSING_PARAMETER = 0x0207;
        public static final int STATUS_INITIATOR_ERROR = 0x0200;
        public static final int STATUS_SESSION_TYPE_NOT_SUPPORTED = 0x0209;
        public static final int STATUS_INVALID_REQUEST_DURING_LOGIN = 0x020B;

        /** §11.12.4: the only defined version. */
        public static final int VERSION = 0x00;
    }

    /** RFC 7143 §11.10/§11.11 Text Request/Response. */
    public static final class Text {
        private Text() {}

        public static final int FLAG_CONTINUE = 0x40;
    }

    /** RFC 7143 §11.14/§11.15 Logout Request/Response. */
    public static final class Logout {
        private Logout() {}

        public static final int REASON_MASK = 0x7F;
        public static final int CID = 20;
        public static final int RESPONSE = 2;
        public static final int TIME_TO_WAIT = 40;
        public static final int TIME_TO_RETAIN = 42;

        public static final int CLOSE_SESSION = 0;
        public static final int CLOSE_CONNECTION = 1;
        public static final int REMOVE_CONNECTION_FOR_RECOVERY = 2;

        public static final int RESPONSE_CLOSED = 0;
        public static final int RESPONSE_CID_NOT_FOUND = 1;
        public static final int RESPONSE_RECOVERY_NOT_SUPPORTED = 2;
        public static final int RESPONSE_CLEANUP_FAILED = 3;
    }

    /** RFC 7143 §11.17 Reject. */
    public static final class Reject {
        private Reject() {}

        public static final int REASON = 2;
        public static final int DATA_SN_OR_R2T_SN = 36;

        public static final int DATA_DIGEST_ERROR = 0x02;
        public static final int SNACK_REJECT = 0x03;
        public static final int PROTOCOL_ERROR = 0x04;
        public static final int COMMAND_NOT_SUPPORTED = 0x05;
        public static final int IMMEDIATE_COMMAND_REJECT = 0x06;
        public static final int TASK_IN_PROGRESS = 0x07;
        public static final int INVALID_DATA_ACK = 0x08;
        public static final int INVALID_PDU_FIELD = 0x09;
        public static final int LONG_OPERATION_REJECT = 0x0A;
        public static final int WAITING_FOR_LOGOUT = 0x0C;
    }

    /** RFC 7143 §11.9 Asynchronous Message. */
    public static final class AsyncMessage {
        private AsyncMessage() {}

        public static final int ASYNC_EVENT = 36;
        public static final int ASYNC_VCODE = 37;
        public static final int PARAMETER1 = 38;
        public static final int PARAMETER2 = 40;
        public static final int PARAMETER3 = 42;
    }

    /** SAM-5 status codes carried in SCSI Response / Data-In. */
    public static final class ScsiStatus {
        private ScsiStatus() {}

        public static final int GOOD = 0x00;
        public static final int CHECK_CONDITION = 0x02;
        public static final int CONDITION_MET = 0x04;
        public static final int BUSY = 0x08;
        public static final int RESERVATION_CONFLICT = 0x18;
        public static final int TASK_SET_FULL = 0x28;
        public static final int ACA_ACTIVE = 0x30;
        public static final int TASK_ABORTED = 0x40;
    }

    /** SPC-5 §4.4 sense keys. */
    public static final class SenseKey {
        private SenseKey() {}

        public static final int NO_SENSE = 0x0;
        public static final int RECOVERED_ERROR = 0x1;
        public static final int NOT_READY = 0x2;
        public static final int MEDIUM_ERROR = 0x3;
        public static final int HARDWARE_ERROR = 0x4;
        public static final int ILLEGAL_REQUEST = 0x5;
        public static final int UNIT_ATTENTION = 0x6;
        public static final int DATA_PROTECT = 0x7;
        public static final int ABORTED_COMMAND = 0xB;
        public static final int MISCOMPARE = 0xE;
    }

    /** RFC 7143 §13 key names and the defaults the RFC gives for them. */
    public static final class Keys {
        private Keys() {}

        public static final String INITIATOR_NAME = "InitiatorName";
        public static final String TARGET_NAME = "TargetName";
        public static final String SESSION_TYPE = "SessionType";
        public static final String AUTH_METHOD = "AuthMethod";
        public static final String TARGET_PORTAL_GROUP_TAG = "TargetPortalGroupTag";
        public static final String TARGET_ALIAS = "TargetAlias";
        public static final String INITIATOR_ALIAS = "InitiatorAlias";
        public static final String TARGET_ADDRESS = "TargetAddress";
        public static final String SEND_TARGETS = "SendTargets";
        public static final String HEADER_DIGEST = "HeaderDigest";
        public static final String DATA_DIGEST = "DataDigest";
        public static final String MAX_CONNECTIONS = "MaxConnections";
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

        public static final String YES = "Yes";
        public static final String NO = "No";
        public static final String NONE = "None";
        public static final String CRC32C = "CRC32C";
        public static final String NORMAL = "Normal";
        public static final String DISCOVERY = "Discovery";
        public static final String IRRELEVANT = "Irrelevant";
        public static final String NOT_UNDERSTOOD = "NotUnderstood";
        public static final String REJECT = "Reject";

        /** §13.12: also the limit on login/text PDUs before it is negotiated. */
        public static final int DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;
        public static final int DEFAULT_MAX_BURST_LENGTH = 262144;
        public static final int DEFAULT_FIRST_BURST_LENGTH = 65536;
        public static final int DEFAULT_MAX_OUTSTANDING_R2T = 1;
        /** §13.12, §13.13, §13.14: 512 to 2^24-1. */
        public static final int MIN_LENGTH_VALUE = 512;
        public static final int MAX_LENGTH_VALUE = 0xFFFFFF;
    }
}
