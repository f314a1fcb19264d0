package io.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

/**
 * One iSCSI PDU (RFC 7143 §11.2): a 48-byte BHS, optional AHS and an optional data segment
 * (without its padding). The header is read in place: the accessors are a flyweight over
 * {@link #header()}, never a copy. Owning a PDU means owning its buffers; {@link #release()}
 * frees all of them.
 */
public final class IscsiPdu extends AbstractReferenceCounted {

    private final ByteBuf header;
    private final ByteBuf ahs;
    private final ByteBuf data;

    /**
     * @param header exactly {@link Bhs#LENGTH} readable bytes
     * @param ahs additional header segments (may be empty)
     * @param data the data segment without padding (may be empty)
     */
    public IscsiPdu(ByteBuf header, ByteBuf ahs, ByteBuf data) {
        this.header = header;
        this.ahs = ahs;
        this.data = data;
    }

    public static IscsiPdu of(ByteBuf header, ByteBuf data) {
        return new IscsiPdu(header, Unpooled.EMPTY_BUFFER, data == null ? Unpooled.EMPTY_BUFFER : data);
    }

    public ByteBuf header() {
        return header;
    }

    public ByteBuf ahs() {
        return ahs;
    }

    public ByteBuf data() {
        return data;
    }

    public int opcode() {
        return header.getByte(header.readerIndex() + Bhs.OPCODE_OFFSET) & Bhs.OPCODE_MASK;
    }

    public boolean immediate() {
        return (header.getByte(header.readerIndex() + Bhs.OPCODE_OFFSET) & Bhs.IMMEDIATE_BIT) != 0;
    }

    public int flags() {
        return u8(Bhs.FLAGS_OFFSET);
    }

    public boolean finalBit() {
        return (flags() & Bhs.FINAL_BIT) != 0;
    }

    public int u8(int offset) {
        return header.getUnsignedByte(header.readerIndex() + offset);
    }

    public int u16(int offset) {
        return header.getUnsignedShort(header.readerIndex() + offset);
    }

    /** A 32-bit field; sequence numbers and tags are compared as unsigned by the caller. */
    public int int32(int offset) {
        return header.getInt(header.readerIndex() + offset);
    }

    public long long64(int offset) {
        return header.getLong(header.readerIndex() + offset);
    }

    public int itt() {
        return int32(Bhs.ITT_OFFSET);
    }

    public long lunField() {
        return long64(Bhs.LUN_OFFSET);
    }

    public int totalAhsLengthWords() {
        return u8(Bhs.TOTAL_AHS_LENGTH_OFFSET);
    }

    public int dataSegmentLength() {
        return header.getUnsignedMedium(header.readerIndex() + Bhs.DATA_SEGMENT_LENGTH_OFFSET);
    }

    @Override
    protected void deallocate() {
        header.release();
        ahs.release();
        data.release();
    }

    @Override
    public IscsiPdu touch(Object hint) {
        header.touch(hint);
        data.touch(hint);
        return this;
    }

    @Override
    public IscsiPdu retain() {
        super.retain();
        return this;
    }

    @Override
    public String toString() {
        return Opcode.name(opcode()) + String.format(" itt=0x%08x dsl=%d", itt(), data.readableBytes());
    }

    /** Release quietly; for error paths. */
    public static void safeRelease(ReferenceCounted rc) {
        if (rc != null && rc.refCnt() > 0) {
            rc.release();
        }
    }
}
