package io.jtarget.srp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The information units of the SCSI RDMA Protocol (T10 SRP-2, and the layouts Linux's ib_srp and
 * ib_srpt use): big-endian fields at fixed offsets. Parsing reads a received message in place
 * (the receive buffer is reposted when the channel's callback returns, so a parser copies what it
 * keeps); building writes into a registered send buffer.
 */
final class SrpIu {
    private SrpIu() {}

    // SRP-2 §5 opcodes.
    static final int LOGIN_REQ = 0x00;
    static final int TSK_MGMT = 0x01;
    static final int CMD = 0x02;
    static final int I_LOGOUT = 0x03;
    static final int LOGIN_RSP = 0xC0;
    static final int RSP = 0xC1;
    static final int LOGIN_REJ = 0xC2;
    static final int T_LOGOUT = 0x80;
    static final int CRED_RSP = 0x41;
    static final int AER_RSP = 0x42;

    // Data buffer descriptor formats (SRP-2 §5.2.2; 3 is Linux's immediate data).
    static final int FMT_NONE = 0;
    static final int FMT_DIRECT = 1;
    static final int FMT_INDIRECT = 2;
    static final int FMT_IMMEDIATE = 3;
    /** SUPPORTED BUFFER FORMATS bits of LOGIN_REQ/RSP: direct and indirect descriptors. */
    static final int BUF_FORMAT_DIRECT = 1 << 1;
    static final int BUF_FORMAT_INDIRECT = 1 << 2;

    // LOGIN_REQ flags and LOGIN_RSP flags (multi-channel action, SRP-2 §5.6.2).
    static final int MULTICHANNEL_MASK = 0x03;
    static final int MULTICHANNEL_SINGLE = 0;
    static final int MULTICHANNEL_MULTI = 1;
    static final int RSP_NO_CHANNELS = 0;
    static final int RSP_TERMINATED = 1;
    static final int RSP_MAINTAINED = 2;
    /** LOGIN_REQ flag: the initiator asks to send immediate data (SRP-2; Linux SRP_IMMED_REQUESTED). */
    static final int IMMEDIATE_REQUESTED = 0x80;
    /** LOGIN_RSP flag: the target takes immediate data (Linux SRP_LOGIN_RSP_IMMED_SUPP). */
    static final int RSP_IMMEDIATE_SUPPORTED = 0x80;

    // LOGIN_REJ reasons (SRP-2 Table 11).
    static final int REJ_UNABLE_ESTABLISH_CHANNEL = 0x00010000;
    static final int REJ_INSUFFICIENT_RESOURCES = 0x00010001;
    static final int REJ_IT_IU_LENGTH_TOO_LARGE = 0x00010002;
    static final int REJ_UNABLE_ASSOCIATE_CHANNEL = 0x00010003;
    static final int REJ_UNSUPPORTED_DESCRIPTOR_FORMAT = 0x00010004;

    // SRP_RSP flags (SRP-2 §5.9).
    static final int RSP_FLAG_RSPVALID = 1;
    static final int RSP_FLAG_SNSVALID = 1 << 1;
    static final int RSP_FLAG_DOOVER = 1 << 2;
    static final int RSP_FLAG_DOUNDER = 1 << 3;
    static final int RSP_FLAG_DIOVER = 1 << 4;
    static final int RSP_FLAG_DIUNDER = 1 << 5;
    static final int RSP_HEADER_LENGTH = 36;
    /** Task management response codes in the response data (SRP-2 Table 24). */
    static final int TMF_COMPLETE = 0x00;
    static final int TMF_NOT_SUPPORTED = 0x04;
    static final int TMF_FAILED = 0x05;

    static final int CMD_HEADER_LENGTH = 48;
    static final int DIRECT_DESCRIPTOR_LENGTH = 16;
    static final int INDIRECT_HEADER_LENGTH = 20;
    static final int TSK_MGMT_LENGTH = 48;
    static final int LOGIN_RSP_LENGTH = 52;
    static final int LOGIN_REJ_LENGTH = 32;
    static final int T_LOGOUT_LENGTH = 16;
    /** The immediate data buffer descriptor: just the data length (SRP-2; Linux struct srp_imm_buf). */
    static final int IMMEDIATE_DESCRIPTOR_LENGTH = 4;

    // SRP_T_LOGOUT reason codes (SRP-2).
    static final int T_LOGOUT_NO_REASON = 0;
    static final int T_LOGOUT_INVALID_IU_TYPE = 2;
    static final int T_LOGOUT_MULTICHANNEL_ACTION = 4;
    static final int T_LOGOUT_INVALID_IU_LENGTH = 8;
    /** The RDMA/CM variant of SRP_LOGIN_REQ (Linux struct srp_login_req_rdma): 56 bytes, the IB CM limit. */
    static final int LOGIN_REQ_RDMA_LENGTH = 56;

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    static int u8(MemorySegment m, long off) {
        return m.get(ValueLayout.JAVA_BYTE, off) & 0xff;
    }

    /**
     * The RDMA/CM login request (what ib_srp puts in the CM private data instead of an SRP_LOGIN_REQ
     * IU): tag 0, buffer formats 8, flags 10, opcode 11, requested IT IU length 12, initiator port
     * identifier 16, target port identifier 32, immediate data offset 48.
     *
     * @param immediateDataOffset where immediate data starts in an SRP_CMD, 0 unless requested
     */
    record LoginRequest(long tag, int requestedItIuLength, int bufferFormats, int flags, byte[] initiatorPortId,
            byte[] targetPortId, int immediateDataOffset) {
        /** null when the bytes are not a login request. */
        static LoginRequest parse(byte[] d) {
            if (d == null || d.length < LOGIN_REQ_RDMA_LENGTH || (d[11] & 0xff) != LOGIN_REQ) {
                return null;
            }
            MemorySegment m = MemorySegment.ofArray(d);
            byte[] initiator = new byte[16];
            byte[] target = new byte[16];
            System.arraycopy(d, 16, initiator, 0, 16);
            System.arraycopy(d, 32, target, 0, 16);
            int flags = d[10] & 0xff;
            int immediate = (flags & IMMEDIATE_REQUESTED) != 0 ? m.get(SHORT, 48) & 0xffff : 0;
            return new LoginRequest(m.get(LONG, 0), m.get(INT, 12), m.get(SHORT, 8) & 0xffff, flags, initiator,
                    target, immediate);
        }

        int multiChannelAction() {
            return flags & MULTICHANNEL_MASK;
        }
    }

    /** SRP_LOGIN_RSP (SRP-2 §5.6.3), sent as the CM accept's private data. */
    static byte[] loginResponse(long tag, int requestLimit, int maxItIuLength, int maxTiIuLength, int rspFlags) {
        byte[] d = new byte[LOGIN_RSP_LENGTH];
        MemorySegment m = MemorySegment.ofArray(d);
        d[0] = (byte) LOGIN_RSP;
        m.set(INT, 4, requestLimit);
        m.set(LONG, 8, tag);
        m.set(INT, 16, maxItIuLength);
        m.set(INT, 20, maxTiIuLength);
        m.set(SHORT, 24, (short) (BUF_FORMAT_DIRECT | BUF_FORMAT_INDIRECT));
        d[26] = (byte) rspFlags;
        return d;
    }

    /** SRP_LOGIN_REJ (SRP-2 §5.6.4), sent as the CM reject's private data. */
    static byte[] loginReject(long tag, int reason) {
        byte[] d = new byte[LOGIN_REJ_LENGTH];
        MemorySegment m = MemorySegment.ofArray(d);
        d[0] = (byte) LOGIN_REJ;
        m.set(INT, 4, reason);
        m.set(LONG, 8, tag);
        m.set(SHORT, 24, (short) (BUF_FORMAT_DIRECT | BUF_FORMAT_INDIRECT));
        return d;
    }

    /**
     * SRP_T_LOGOUT (SRP-2): the target ends the channel and says why; no response follows
     * and the initiator returns no credit for it.
     */
    static int targetLogout(MemorySegment m, long tag, int reason) {
        m.asSlice(0, T_LOGOUT_LENGTH).fill((byte) 0);
        m.set(ValueLayout.JAVA_BYTE, 0, (byte) T_LOGOUT);
        m.set(INT, 4, reason);
        m.set(LONG, 8, tag);
        return T_LOGOUT_LENGTH;
    }

    /** One direct data buffer descriptor (SRP-2 §5.2.2.1): the initiator's virtual address, R_Key, length. */
    record Descriptor(long address, int rkey, int length) {}

    /**
     * Reads the data buffer descriptors of one direction of an SRP_CMD (SRP-2 §5.2.2): a direct
     * descriptor, or an indirect one whose partial table lies in the IU itself (what ib_srp sends
     * unless told otherwise). Descriptors lying outside the IU (an external table) are unsupported,
     * as they are in Linux's ib_srpt.
     *
     * @param at where this direction's descriptor starts in the IU
     * @param count the IU's descriptor count for this direction
     * @return the descriptors, or null when malformed or unsupported
     */
    static Descriptor[] descriptors(MemorySegment iu, int format, int at, int count) {
        switch (format) {
            case FMT_NONE -> {
                return new Descriptor[0];
            }
            case FMT_DIRECT -> {
                if (at + DIRECT_DESCRIPTOR_LENGTH > iu.byteSize()) {
                    return null;
                }
                return new Descriptor[] {direct(iu, at)};
            }
            case FMT_INDIRECT -> {
                if (at + INDIRECT_HEADER_LENGTH > iu.byteSize()) {
                    return null;
                }
                int tableLength = iu.get(INT, at + 12);
                int entries = tableLength / DIRECT_DESCRIPTOR_LENGTH;
                if (tableLength % DIRECT_DESCRIPTOR_LENGTH != 0 || entries == 0 || entries > count
                        || at + INDIRECT_HEADER_LENGTH + (long) entries * DIRECT_DESCRIPTOR_LENGTH > iu.byteSize()) {
                    return null;
                }
                Descriptor[] list = new Descriptor[entries];
                for (int i = 0; i < entries; i++) {
                    list[i] = direct(iu, at + INDIRECT_HEADER_LENGTH + i * DIRECT_DESCRIPTOR_LENGTH);
                }
                return list;
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * The length of an SRP_CMD's immediate Data-Out (descriptor format 3, as Linux's ib_srp sends
     * writes up to its max_imm_data): the descriptor at {@code at} holds the length; the data starts
     * at the immediate data offset the login agreed on, whatever the CDB length.
     *
     * @return the length, or -1 when the descriptor or the data lies outside the received IU or the
     *     two overlap
     */
    static int immediateLength(MemorySegment iu, int at, int dataOffset) {
        if (dataOffset < at + IMMEDIATE_DESCRIPTOR_LENGTH || at + IMMEDIATE_DESCRIPTOR_LENGTH > iu.byteSize()) {
            return -1;
        }
        long length = Integer.toUnsignedLong(iu.get(INT, at));
        return dataOffset + length > iu.byteSize() ? -1 : (int) length;
    }

    private static Descriptor direct(MemorySegment iu, long at) {
        return new Descriptor(iu.get(LONG, at), iu.get(INT, at + 8), iu.get(INT, at + 12));
    }

    /**
     * Writes an SRP_RSP (SRP-2 §5.9) into {@code m}; returns its length.
     *
     * @param sense sense data or null
     * @param responseCode a task management response code, or -1 for none
     */
    static int response(MemorySegment m, long tag, int requestLimitDelta, int status, int flags, int dataOutResidual,
            int dataInResidual, byte[] sense, int responseCode) {
        m.asSlice(0, RSP_HEADER_LENGTH).fill((byte) 0);
        m.set(ValueLayout.JAVA_BYTE, 0, (byte) RSP);
        m.set(INT, 4, requestLimitDelta);
        m.set(LONG, 8, tag);
        int length = RSP_HEADER_LENGTH;
        if (responseCode >= 0) {
            flags |= RSP_FLAG_RSPVALID;
            m.set(INT, 32, 4);
            m.set(INT, length, responseCode);
            length += 4;
        }
        if (sense != null && sense.length > 0) {
            flags |= RSP_FLAG_SNSVALID;
            m.set(INT, 28, sense.length);
            MemorySegment.copy(MemorySegment.ofArray(sense), 0, m, length, sense.length);
            length += sense.length;
        }
        m.set(ValueLayout.JAVA_BYTE, 18, (byte) flags);
        m.set(ValueLayout.JAVA_BYTE, 19, (byte) status);
        m.set(INT, 20, dataOutResidual);
        m.set(INT, 24, dataInResidual);
        return length;
    }

    /**
     * Fixed-format sense (SPC-5 §4.4.3) for what the fabric refuses before the core sees the
     * command: ILLEGAL REQUEST, INVALID FIELD IN COMMAND INFORMATION UNIT (0Eh/03h).
     */
    static byte[] invalidFieldInIu() {
        byte[] s = new byte[18];
        s[0] = 0x70;
        s[2] = 0x05;
        s[7] = 10;
        s[12] = 0x0E;
        s[13] = 0x03;
        return s;
    }
}
