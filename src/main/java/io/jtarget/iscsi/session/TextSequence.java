package io.jtarget.iscsi.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

/**
 * The text of a C-bit sequence of Login or Text Requests, reassembled (RFC 7143 §6.1, §11.10.2,
 * §11.12.2) within the configured bound on one text segment ({@code TextLimits.maxSegmentBytes}).
 * The one reassembler of a connection: the login phase uses it, then the full feature phase.
 */
final class TextSequence {
    private final int maxBytes;
    private ByteBuf text;

    TextSequence(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * Appends one PDU's data segment.
     *
     * @return false, keeping nothing, when the whole text would exceed the bound
     */
    boolean append(ByteBufAllocator alloc, ByteBuf data) {
        int have = text == null ? 0 : text.readableBytes();
        if ((long) have + data.readableBytes() > maxBytes) {
            release();
            return false;
        }
        if (text == null) {
            text = alloc.buffer(Math.min(maxBytes, Math.max(256, data.readableBytes())));
        }
        text.writeBytes(data, data.readerIndex(), data.readableBytes());
        return true;
    }

    /** The whole text so far, handed to the caller (who releases it); the sequence starts anew. */
    ByteBuf take() {
        ByteBuf whole = text == null ? Unpooled.EMPTY_BUFFER : text;
        text = null;
        return whole;
    }

    boolean inProgress() {
        return text != null;
    }

    void release() {
        if (text != null) {
            text.release();
            text = null;
        }
    }
}
