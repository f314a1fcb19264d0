package io.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** Builds a target BHS in a pooled buffer; fields are written at their {@link Bhs} offsets. */
public final class HeaderBuilder {
    private final ByteBuf buf;

    private HeaderBuilder(ByteBuf buf) {
        this.buf = buf;
    }

    public static HeaderBuilder of(ByteBufAllocator alloc, int opcode, int flags) {
        ByteBuf buf = alloc.ioBuffer(Bhs.LENGTH);
        buf.writeZero(Bhs.LENGTH);
        buf.setByte(Bhs.OPCODE_OFFSET, opcode);
        buf.setByte(Bhs.FLAGS_OFFSET, flags);
        return new HeaderBuilder(buf);
    }

    public HeaderBuilder u8(int offset, int value) {
        buf.setByte(offset, value);
        return this;
    }

    public HeaderBuilder u16(int offset, int value) {
        buf.setShort(offset, value);
        return this;
    }

    public HeaderBuilder int32(int offset, int value) {
        buf.setInt(offset, value);
        return this;
    }

    public HeaderBuilder long64(int offset, long value) {
        buf.setLong(offset, value);
        return this;
    }

    public HeaderBuilder bytes(int offset, ByteBuf src, int srcIndex, int length) {
        buf.setBytes(offset, src, srcIndex, length);
        return this;
    }

    public HeaderBuilder itt(int itt) {
        return int32(Bhs.ITT_OFFSET, itt);
    }

    public HeaderBuilder lun(long lunField) {
        return long64(Bhs.LUN_OFFSET, lunField);
    }

    public ByteBuf build() {
        return buf;
    }

    public IscsiPdu pdu(ByteBuf data) {
        return IscsiPdu.of(buf, data);
    }
}
