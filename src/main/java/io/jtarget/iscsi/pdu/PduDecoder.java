package io.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the byte stream into PDUs (RFC 7143 §11.2): BHS, AHS, header digest, data segment,
 * padding, data digest. A resumable state machine: it waits for each part as a whole and
 * never buffers a data segment larger than the negotiated limit.
 *
 * <p>Header before payload (STYLE habit 4): a header whose data segment exceeds
 * {@link #maxDataSegmentLength} is handed on as a {@link DecodeError} and its payload is
 * discarded as it arrives, so the connection can answer with a Reject without ever holding
 * the oversized payload. A header digest mismatch is connection-fatal (RFC 7143 §7.8: the
 * header cannot be trusted, so the stream cannot be resynchronised at ErrorRecoveryLevel 0).
 * A data digest mismatch is handed on as a {@link DecodeError} with the header.
 *
 * <p>Digests and the limit change when login ends; the connection handler changes them on
 * this channel's event loop while processing the final Login Request, and Netty hands each
 * decoded PDU to the next handler before decoding the next one, so the switch is exact.
 */
public final class PduDecoder extends ByteToMessageDecoder {

    /** Largest data segment RFC 7143 can express (2^24 - 1); anything the negotiation allows is below. */
    public static final int ABSOLUTE_MAX_DATA_SEGMENT = (1 << 24) - 1;

    private enum State {
        HEADER,
        PAYLOAD,
        SKIP_PAYLOAD,
        FAILED
    }

    private State state = State.HEADER;
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxDataSegmentLength;

    // Progress of the PDU being decoded.
    private ByteBuf header;
    private ByteBuf ahs;
    private int dataLength;
    private long skipRemaining;

    /** @param maxDataSegmentLength the target's MaxRecvDataSegmentLength in force (8192 during login, §13.12) */
    public PduDecoder(int maxDataSegmentLength) {
        this.maxDataSegmentLength = maxDataSegmentLength;
    }

    public void setDigests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    public void setMaxDataSegmentLength(int max) {
        this.maxDataSegmentLength = max;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (true) {
            switch (state) {
                case HEADER -> {
                    if (!decodeHeader(in, out)) {
                        return;
                    }
                }
                case PAYLOAD -> {
                    if (!decodePayload(in, out)) {
                        return;
                    }
                    // one PDU per call: the handler runs before the next PDU is decoded
                    return;
                }
                case SKIP_PAYLOAD -> {
                    int n = (int) Math.min(skipRemaining, in.readableBytes());
                    in.skipBytes(n);
                    skipRemaining -= n;
                    if (skipRemaining > 0) {
                        return;
                    }
                    state = State.HEADER;
                    return;
                }
                case FAILED -> {
                    in.skipBytes(in.readableBytes());
                    return;
                }
            }
        }
    }

    private boolean decodeHeader(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < Bhs.LENGTH) {
            return false;
        }
        int start = in.readerIndex();
        int ahsLength = in.getUnsignedByte(start + Bhs.TOTAL_AHS_LENGTH_OFFSET) * 4;
        int headerDigestLength = headerDigest ? Bhs.DIGEST_LENGTH : 0;
        int needed = Bhs.LENGTH + ahsLength + headerDigestLength;
        if (in.readableBytes() < needed) {
            return false;
        }
        if (headerDigest) {
            int expected = Crc32c.compute(in.slice(start, Bhs.LENGTH + ahsLength));
            int actual = in.getIntLE(start + Bhs.LENGTH + ahsLength);
            if (expected != actual) {
                state = State.FAILED;
                in.skipBytes(in.readableBytes());
                throw new PduFormatException(String.format(
                        "header digest error (expected 0x%08x, received 0x%08x)", expected, actual));
            }
        }
        int dsl = in.getUnsignedMedium(start + Bhs.DATA_SEGMENT_LENGTH_OFFSET);
        header = in.readRetainedSlice(Bhs.LENGTH);
        ahs = ahsLength == 0 ? Unpooled.EMPTY_BUFFER : in.readRetainedSlice(ahsLength);
        in.skipBytes(headerDigestLength);
        dataLength = dsl;
        if (dsl > maxDataSegmentLength) {
            skipRemaining = (long) dsl + Crc32c.padding(dsl) + (dataDigest && dsl > 0 ? Bhs.DIGEST_LENGTH : 0);
            ahs.release();
            out.add(new DecodeError(header, DecodeError.Kind.DATA_SEGMENT_TOO_LONG));
            header = null;
            ahs = null;
            state = State.SKIP_PAYLOAD;
            return false;
        }
        state = State.PAYLOAD;
        return true;
    }

    private boolean decodePayload(ByteBuf in, List<Object> out) {
        int padding = Crc32c.padding(dataLength);
        int digestLength = dataDigest && dataLength > 0 ? Bhs.DIGEST_LENGTH : 0;
        int needed = dataLength + padding + digestLength;
        if (in.readableBytes() < needed) {
            return false;
        }
        ByteBuf data = dataLength == 0 ? Unpooled.EMPTY_BUFFER : in.readRetainedSlice(dataLength);
        in.skipBytes(padding);
        state = State.HEADER;
        if (digestLength > 0) {
            int actual = in.readIntLE();
            int expected = Crc32c.computeWithPadding(data, padding);
            if (expected != actual) {
                data.release();
                ahs.release();
                out.add(new DecodeError(header, DecodeError.Kind.DATA_DIGEST_ERROR));
                header = null;
                ahs = null;
                return true;
            }
        }
        out.add(new IscsiPdu(header, ahs, data));
        header = null;
        ahs = null;
        return true;
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (header != null) {
            header.release();
            header = null;
        }
        if (ahs != null) {
            ahs.release();
            ahs = null;
        }
    }

    /**
     * A PDU whose header was read but whose payload was refused; the connection answers it
     * (usually with a Reject carrying the header, RFC 7143 §11.17). The receiver releases it.
     */
    public record DecodeError(ByteBuf header, Kind kind) {
        public enum Kind {
            DATA_SEGMENT_TOO_LONG,
            DATA_DIGEST_ERROR
        }

        public void release() {
            header.release();
        }
    }
}
