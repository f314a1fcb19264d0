package io.jtarget.iser;

import io.netty.buffer.ByteBuf;

/**
 * The iSER header that precedes every iSCSI control-type PDU in an RDMA Send (RFC 7145 §9;
 * Linux {@code struct iser_ctrl}): 28 bytes, big-endian. Offsets are relative to the header's
 * first byte; reads and writes go through the buffer's absolute accessors, never changing its
 * indices.
 *
 * <p>The names follow the initiator's view, as the RFC does: the <em>write</em> STag and base
 * offset name the initiator's buffer of a SCSI WRITE, which the target reads with RDMA Read
 * (Data-Out); the <em>read</em> STag and base offset name the buffer of a SCSI READ, which the
 * target fills with RDMA Write (Data-In).
 */
public final class IserHeader {
    private IserHeader() {}

    public static final int LENGTH = 28;

    public static final int FLAGS_OFFSET = 0;
    public static final int WRITE_STAG_OFFSET = 4;
    public static final int WRITE_BASE_OFFSET = 8;
    public static final int READ_STAG_OFFSET = 16;
    public static final int READ_BASE_OFFSET = 20;

    /** The opcode is the high nibble of the flags byte. */
    public static final int OPCODE_MASK = 0xF0;
    /** An iSCSI control-type PDU follows. */
    public static final int OPCODE_ISCSI_CONTROL = 0x10;
    /** iSER Hello and HelloReply: only where the RDMA fabric has no CM private data. */
    public static final int OPCODE_HELLO = 0x20;
    public static final int OPCODE_HELLO_REPLY = 0x30;
    /** Write STag and Write Base Offset are valid (WSV). */
    public static final int FLAG_WRITE_VALID = 0x08;
    /** Read STag and Read Base Offset are valid (RSV). */
    public static final int FLAG_READ_VALID = 0x04;

    public static int opcode(ByteBuf buf, int at) {
        return buf.getUnsignedByte(at + FLAGS_OFFSET) & OPCODE_MASK;
    }

    public static boolean writeValid(ByteBuf buf, int at) {
        return (buf.getUnsignedByte(at + FLAGS_OFFSET) & FLAG_WRITE_VALID) != 0;
    }

    public static boolean readValid(ByteBuf buf, int at) {
        return (buf.getUnsignedByte(at + FLAGS_OFFSET) & FLAG_READ_VALID) != 0;
    }

    /** The initiator's buffer the target RDMA-Reads Data-Out from, if advertised. */
    public static RemoteBuffer writeBuffer(ByteBuf buf, int at) {
        return new RemoteBuffer(buf.getInt(at + WRITE_STAG_OFFSET), buf.getLong(at + WRITE_BASE_OFFSET));
    }

    /** The initiator's buffer the target RDMA-Writes Data-In to, if advertised. */
    public static RemoteBuffer readBuffer(ByteBuf buf, int at) {
        return new RemoteBuffer(buf.getInt(at + READ_STAG_OFFSET), buf.getLong(at + READ_BASE_OFFSET));
    }

    /**
     * Writes the header the target puts before each PDU it sends: opcode iSCSI control, no STags
     * (the target never advertises buffers: it moves the data itself).
     */
    public static void writeTargetControl(ByteBuf buf, int at) {
        buf.setZero(at, LENGTH);
        buf.setByte(at + FLAGS_OFFSET, OPCODE_ISCSI_CONTROL);
    }

    /** Writes an initiator's header (what Linux ib_iser sends); for tests and a loopback initiator. */
    public static void writeInitiatorControl(ByteBuf buf, int at, RemoteBuffer write, RemoteBuffer read) {
        int flags = OPCODE_ISCSI_CONTROL;
        buf.setZero(at, LENGTH);
        if (write != null) {
            flags |= FLAG_WRITE_VALID;
            buf.setInt(at + WRITE_STAG_OFFSET, write.stag());
            buf.setLong(at + WRITE_BASE_OFFSET, write.baseOffset());
        }
        if (read != null) {
            flags |= FLAG_READ_VALID;
            buf.setInt(at + READ_STAG_OFFSET, read.stag());
            buf.setLong(at + READ_BASE_OFFSET, read.baseOffset());
        }
        buf.setByte(at + FLAGS_OFFSET, flags);
    }
}
