package io.jtarget.iscsi.pdu;

/**
 * RFC 7143 §11.2 Basic Header Segment layout: offsets and flag bits, no behaviour.
 * Offsets are from the start of the 48-byte BHS. Per-PDU fields are grouped by PDU type.
 */
public final class Bhs {
    public static final int LENGTH = 48;
    public static final int DIGEST_LENGTH = 4;
    /** Reserved ITT / TTT value (RFC 7143 §11.2.1.6). */
    public static final int RESERVED_TAG = 0xffffffff;

    // Common fields (§11.2.1)
    public static final int OPCODE_OFFSET = 0;
    public static final int IMMEDIATE_BIT = 0x40;
    public static final int OPCODE_MASK = 0x3f;
    public static final int FLAGS_OFFSET = 1;
    public static final int FINAL_BIT = 0x80;
    public static final int TOTAL_AHS_LENGTH_OFFSET = 4;
    public static final int DATA_SEGMENT_LENGTH_OFFSET = 5;
    public static final int LUN_OFFSET = 8;
    public static final int ITT_OFFSET = 16;

    private Bhs() {}

    /** §11.3 SCSI Command. */
    public static final class ScsiCommand {
        public static final int READ_BIT = 0x40;
        public static final int WRITE_BIT = 0x20;
        public static final int ATTR_MASK = 0x07;
        public static final int EDTL_OFFSET = 20;
        public static final int CMDSN_OFFSET = 24;
        public static final int EXP_STATSN_OFFSET = 28;
        public static final int CDB_OFFSET = 32;
        public static final int CDB_LENGTH = 16;
        /** §11.2.2 AHS types. */
        public static final int AHS_EXTENDED_CDB = 1;
        public static final int AHS_BIDI_READ_LENGTH = 2;

        private ScsiCommand() {}
    }

    /** §11.4 SCSI Response. */
    public static final class ScsiResponse {
        public static final int BIDI_OVERFLOW_BIT = 0x10;
        public static final int BIDI_UNDERFLOW_BIT = 0x08;
        public static final int OVERFLOW_BIT = 0x04;
        public static final int UNDERFLOW_BIT = 0x02;
        public static final int RESPONSE_OFFSET = 2;
        public static final int STATUS_OFFSET = 3;
        public static final int SNACK_TAG_OFFSET = 20;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;
        public static final int EXP_DATASN_OFFSET = 36;
        public static final int BIDI_RESIDUAL_OFFSET = 40;
        public static final int RESIDUAL_OFFSET = 44;
        /** §11.4.3 response codes. */
        public static final int COMMAND_COMPLETED = 0x00;
        public static final int TARGET_FAILURE = 0x01;

        private ScsiResponse() {}
    }

    /** §11.5 / §11.6 Task Management Function Request and Response. */
    public static final class TaskManagement {
        public static final int FUNCTION_MASK = 0x7f;
        public static final int REFERENCED_TASK_TAG_OFFSET = 20;
        public static final int CMDSN_OFFSET = 24;
        public static final int EXP_STATSN_OFFSET = 28;
        public static final int REF_CMDSN_OFFSET = 32;
        public static final int EXP_DATASN_OFFSET = 36;
        public static final int RESPONSE_OFFSET = 2;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;

        // §11.5.1 function codes
        public static final int ABORT_TASK = 1;
        public static final int ABORT_TASK_SET = 2;
        public static final int CLEAR_ACA = 3;
        public static final int CLEAR_TASK_SET = 4;
        public static final int LOGICAL_UNIT_RESET = 5;
        public static final int TARGET_WARM_RESET = 6;
        public static final int TARGET_COLD_RESET = 7;
        public static final int TASK_REASSIGN = 8;

        // §11.6.1 response codes
        public static final int FUNCTION_COMPLETE = 0;
        public static final int TASK_DOES_NOT_EXIST = 1;
        public static final int LUN_DOES_NOT_EXIST = 2;
        public static final int TASK_STILL_ALLEGIANT = 3;
        public static final int REASSIGNMENT_NOT_SUPPORTED = 4;
        public static final int FUNCTION_NOT_SUPPORTED = 5;
        public static final int AUTHORIZATION_FAILED = 6;
        public static final int FUNCTION_REJECTED = 255;

        private TaskManagement() {}
    }

    /** §11.7 SCSI Data-Out and §11.8 SCSI Data-In. */
    public static final class Data {
        public static final int ACK_BIT = 0x40;
        public static final int OVERFLOW_BIT = 0x04;
        public static final int UNDERFLOW_BIT = 0x02;
        public static final int STATUS_BIT = 0x01;
        public static final int STATUS_OFFSET = 3;
        public static final int TTT_OFFSET = 20;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_STATSN_OFFSET = 28;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;
        public static final int DATASN_OFFSET = 36;
        public static final int BUFFER_OFFSET_OFFSET = 40;
        public static final int RESIDUAL_OFFSET = 44;

        private Data() {}
    }

    /** §11.8 Ready To Transfer. */
    public static final class R2t {
        public static final int TTT_OFFSET = 20;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;
        public static final int R2TSN_OFFSET = 36;
        public static final int BUFFER_OFFSET_OFFSET = 40;
        public static final int DESIRED_LENGTH_OFFSET = 44;

        private R2t() {}
    }

    /** §11.9 Asynchronous Message. */
    public static final class Async {
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;
        public static final int EVENT_OFFSET = 36;
        public static final int VCODE_OFFSET = 37;
        public static final int PARAMETER1_OFFSET = 38;
        public static final int PARAMETER2_OFFSET = 40;
        public static final int PARAMETER3_OFFSET = 42;
        public static final int EVENT_TARGET_REQUESTS_LOGOUT = 1;

        private Async() {}
    }

    /** §11.10 / §11.11 Text Request and Response. */
    public static final class Text {
        public static final int CONTINUE_BIT = 0x40;
        public static final int TTT_OFFSET = 20;
        public static final int CMDSN_OFFSET = 24;
        public static final int EXP_STATSN_OFFSET = 28;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;

        private Text() {}
    }

    /** §11.12 / §11.13 Login Request and Response. */
    public static final class Login {
        public static final int TRANSIT_BIT = 0x80;
        public static final int CONTINUE_BIT = 0x40;
        public static final int CSG_SHIFT = 2;
        public static final int STAGE_MASK = 0x03;
        public static final int VERSION_MAX_OFFSET = 2;
        public static final int VERSION_MIN_OFFSET = 3;
        public static final int VERSION_ACTIVE_OFFSET = 3;
        public static final int ISID_OFFSET = 8;
        public static final int ISID_LENGTH = 6;
        public static final int TSIH_OFFSET = 14;
        public static final int CID_OFFSET = 20;
        public static final int CMDSN_OFFSET = 24;
        public static final int EXP_STATSN_OFFSET = 28;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;
        public static final int STATUS_CLASS_OFFSET = 36;
        public static final int STATUS_DETAIL_OFFSET = 37;

        // §11.12.3 stages
        public static final int STAGE_SECURITY = 0;
        public static final int STAGE_OPERATIONAL = 1;
        public static final int STAGE_FULL_FEATURE = 3;

        /** The only version RFC 7143 defines (§11.12.4). */
        public static final int VERSION = 0x00;

        private Login() {}
    }

    /** §11.14 / §11.15 Logout Request and Response. */
    public static final class Logout {
        public static final int REASON_MASK = 0x7f;
        public static final int CID_OFFSET = 20;
        public static final int CMDSN_OFFSET = 24;
        public static final int EXP_STATSN_OFFSET = 28;
        public static final int RESPONSE_OFFSET = 2;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;
        public static final int TIME2WAIT_OFFSET = 40;
        public static final int TIME2RETAIN_OFFSET = 42;

        public static final int REASON_CLOSE_SESSION = 0;
        public static final int REASON_CLOSE_CONNECTION = 1;
        public static final int REASON_REMOVE_FOR_RECOVERY = 2;

        public static final int RESPONSE_SUCCESS = 0;
        public static final int RESPONSE_CID_NOT_FOUND = 1;
        public static final int RESPONSE_RECOVERY_NOT_SUPPORTED = 2;
        public static final int RESPONSE_CLEANUP_FAILED = 3;

        private Logout() {}
    }

    /** §11.18 / §11.19 NOP-Out and NOP-In. */
    public static final class Nop {
        public static final int TTT_OFFSET = 20;
        public static final int CMDSN_OFFSET = 24;
        public static final int EXP_STATSN_OFFSET = 28;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;

        private Nop() {}
    }

    /** §11.17 Reject. */
    public static final class Reject {
        public static final int REASON_OFFSET = 2;
        public static final int STATSN_OFFSET = 24;
        public static final int EXP_CMDSN_OFFSET = 28;
        public static final int MAX_CMDSN_OFFSET = 32;
        public static final int DATASN_OFFSET = 36;

        // §11.17.1 reasons
        public static final int DATA_DIGEST_ERROR = 0x02;
        public static final int SNACK_REJECT = 0x03;
        public static final int PROTOCOL_ERROR = 0x04;
        public static final int COMMAND_NOT_SUPPORTED = 0x05;
        public static final int IMMEDIATE_COMMAND_REJECT = 0x06;
        public static final int TASK_IN_PROGRESS = 0x07;
        public static final int INVALID_DATA_ACK = 0x08;
        public static final int INVALID_PDU_FIELD = 0x09;
        public static final int LONG_OPERATION_REJECT = 0x0a;
        public static final int WAITING_FOR_LOGOUT = 0x0c;

        private Reject() {}
    }
}
