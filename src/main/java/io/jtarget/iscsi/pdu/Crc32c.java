package io.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C digests as iSCSI sends them (RFC 7143 §13.1, Appendix A.1): the standard CRC32C
 * value written in little-endian byte order on the wire.
 */
public final class Crc32c {
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    private Crc32c() {}

    /** Digest of the readable bytes of the given buffers, in order, without changing their indices. */
    public static int compute(ByteBuf... parts) {
        CRC32C crc = CRC.get();
        crc.reset();
        for (ByteBuf part : parts) {
            update(crc, part, part.readerIndex(), part.readableBytes());
        }
        return (int) crc.getValue();
    }

    /** Digest of a data segment followed by its zero padding (§11.2.4: padding is covered). */
    public static int computeWithPadding(ByteBuf data, int padding) {
        CRC32C crc = CRC.get();
        crc.reset();
        update(crc, data, data.readerIndex(), data.readableBytes());
        for (int i = 0; i < padding; i++) {
            crc.update(0);
        }
        return (int) crc.getValue();
    }

    private static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer bb : buf.nioBuffers(index, length)) {
                crc.update(bb);
            }
        }
    }

    /** Reads a digest as carried on the wire (little-endian) at the buffer's reader index. */
    public static int readWire(ByteBuf in) {
        return in.readIntLE();
    }

    public static void writeWire(ByteBuf out, int digest) {
        out.writeIntLE(digest);
    }

    public static int padding(int length) {
        return (4 - (length & 3)) & 3;
    }
}
