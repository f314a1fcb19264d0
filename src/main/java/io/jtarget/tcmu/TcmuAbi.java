package io.jtarget.tcmu;

/**
 * The kernel ABI of LIO's user-space backstore ({@code linux/target_core_user.h}, TCMU): the
 * shared ring's structures as byte offsets, and the generic netlink family's commands and
 * attributes. {@code TcmuAbiTest} compiles a C program against the installed header and checks
 * every value here, so a layout change in the kernel header fails the build rather than a ring.
 *
 * <p>All offsets are from the start of the structure; every field is little-endian on the
 * architectures the kernel runs TCMU on, and the ring is accessed in native order.
 */
final class TcmuAbi {
    private TcmuAbi() {}

    // struct tcmu_mailbox: at offset 0 of the mapping.
    static final int MAILBOX_VERSION_EXPECTED = 2;
    static final int MB_VERSION = 0; // __u16
    static final int MB_FLAGS = 2; // __u16
    static final int MB_CMDR_OFF = 4; // __u32
    static final int MB_CMDR_SIZE = 8; // __u32
    static final int MB_CMD_HEAD = 12; // __u32, written by the kernel
    static final int MB_CMD_TAIL = 64; // __u32, written by user space, on its own cache line
    static final int MAILBOX_SIZE = 128;

    static final int FLAG_CAP_OOOC = 1; // out-of-order completions
    static final int FLAG_CAP_READ_LEN = 1 << 1;
    static final int FLAG_CAP_TMR = 1 << 2;

    // struct tcmu_cmd_entry_hdr
    static final int HDR_LEN_OP = 0; // __u32: length (8-byte aligned) | opcode in the low 3 bits
    static final int HDR_CMD_ID = 4; // __u16
    static final int HDR_KFLAGS = 6; // __u8
    static final int HDR_UFLAGS = 7; // __u8
    static final int OP_MASK = 0x7;
    static final int OP_PAD = 0;
    static final int OP_CMD = 1;
    static final int OP_TMR = 2;
    static final int UFLAG_UNKNOWN_OP = 0x1;
    static final int UFLAG_READ_LEN = 0x2;

    // struct tcmu_cmd_entry: req and rsp share the bytes after the header.
    static final int REQ_IOV_CNT = 8; // __u32
    static final int REQ_IOV_BIDI_CNT = 12; // __u32
    static final int REQ_IOV_DIF_CNT = 16; // __u32
    static final int REQ_CDB_OFF = 24; // __u64, from the start of the mapping
    static final int REQ_IOV = 48; // struct iovec[]
    static final int IOVEC_SIZE = 16; // struct iovec { void *iov_base; size_t iov_len; }
    static final int IOVEC_BASE = 0; // an offset from the start of the mapping, not an address
    static final int IOVEC_LEN = 8;
    static final int RSP_SCSI_STATUS = 8; // __u8
    static final int RSP_READ_LEN = 12; // __u32
    static final int RSP_SENSE_BUFFER = 16; // char[96]
    static final int SENSE_BUFFER_SIZE = 96;
    static final int CMD_ENTRY_SIZE = 112;

    // struct tcmu_tmr_entry
    static final int TMR_TYPE = 8; // __u8
    static final int TMR_CMD_CNT = 12; // __u32
    static final int TMR_CMD_IDS = 32; // __u16[]
    static final int TMR_ENTRY_SIZE = 32;

    static final int TMR_UNKNOWN = 0;
    static final int TMR_ABORT_TASK = 1;
    static final int TMR_ABORT_TASK_SET = 2;
    static final int TMR_CLEAR_ACA = 3;
    static final int TMR_CLEAR_TASK_SET = 4;
    static final int TMR_LUN_RESET = 5;
    static final int TMR_TARGET_WARM_RESET = 6;
    static final int TMR_TARGET_COLD_RESET = 7;
    static final int TMR_LUN_RESET_PRO = 128;

    /** Generic netlink family and its multicast group (drivers/target/target_core_user.c). */
    static final String GENL_FAMILY = "TCM-USER";
    static final String GENL_GROUP = "config";
    static final int GENL_VERSION = 2;

    // enum tcmu_genl_cmd
    static final int CMD_ADDED_DEVICE = 1;
    static final int CMD_REMOVED_DEVICE = 2;
    static final int CMD_RECONFIG_DEVICE = 3;
    static final int CMD_ADDED_DEVICE_DONE = 4;
    static final int CMD_REMOVED_DEVICE_DONE = 5;
    static final int CMD_RECONFIG_DEVICE_DONE = 6;
    static final int CMD_SET_FEATURES = 7;

    // enum tcmu_genl_attr
    static final int ATTR_DEVICE = 1; // string: the uio name
    static final int ATTR_MINOR = 2; // u32: N of /dev/uioN
    static final int ATTR_PAD = 3;
    static final int ATTR_DEV_CFG = 4; // string
    static final int ATTR_DEV_SIZE = 5; // u64
    static final int ATTR_WRITECACHE = 6; // u8
    static final int ATTR_CMD_STATUS = 7; // s32
    static final int ATTR_DEVICE_ID = 8; // u32
    static final int ATTR_SUPP_KERN_CMD_REPLY = 9; // u8
}
