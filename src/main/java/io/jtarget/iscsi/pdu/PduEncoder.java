package io.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes PDUs as gathered buffers: [BHS(+AHS)(+header digest)] [data] [padding(+data digest)],
 * never concatenating the data segment (DESIGN.md "Data paths"). The channel's flush turns
 * the buffers of a whole round into one gathering write.
 */
@ChannelHandler.Sharable
public final class PduEncoder extends MessageToMessageEncoder<IscsiPdu> {

    private static final byte[] ZEROS = new byte[4];

    private final DigestSettings digests;

    public PduEncoder(DigestSettings digests) {
        super(IscsiPdu.class);
        this.digests = digests;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, IscsiPdu pdu, List<Object> out) {
        ByteBuf header = pdu.header();
        ByteBuf data = pdu.data();
        int dataLength = data.readableBytes();
        header.setMedium(header.readerIndex() + Bhs.DATA_SEGMENT_LENGTH_OFFSET, dataLength);
        if (digests.header()) {
            int digest = Crc32c.compute(header, pdu.ahs());
            ByteBuf head = ctx.alloc().ioBuffer(header.readableBytes() + pdu.ahs().readableBytes() + 4);
            head.writeBytes(header, header.readerIndex(), header.readableBytes());
            head.writeBytes(pdu.ahs(), pdu.ahs().readerIndex(), pdu.ahs().readableBytes());
            Crc32c.writeWire(head, digest);
            out.add(head);
        } else {
            out.add(header.retain());
            if (pdu.ahs().isReadable()) {
                out.add(pdu.ahs().retain());
            }
        }
        if (dataLength == 0) {
            return;
        }
        out.add(data.retain());
        int padding = Crc32c.padding(dataLength);
        if (padding > 0 || digests.data()) {
            ByteBuf tail = ctx.alloc().ioBuffer(padding + 4);
            tail.writeBytes(ZEROS, 0, padding);
            if (digests.data()) {
                Crc32c.writeWire(tail, Crc32c.computeWithPadding(data, padding));
            }
            out.add(tail);
        }
    }

    /** Per-connection digest switches, flipped by the connection when login completes. */
    public static final class DigestSettings {
        private volatile boolean header;
        private volatile boolean data;

        public boolean header() {
            return header;
        }

        public boolean data() {
            return data;
        }

        public void set(boolean header, boolean data) {
            this.header = header;
            this.data = data;
        }
    }
}
