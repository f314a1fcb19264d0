package io.jtarget.tcmu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Generic netlink messages (linux/netlink.h, linux/genetlink.h) as byte arrays: a 16-byte
 * {@code nlmsghdr}, a 4-byte {@code genlmsghdr}, then attributes ({@code nlattr}: 16-bit length
 * including its 4-byte header, 16-bit type, payload padded to 4 bytes). Host byte order throughout.
 *
 * @param type the netlink message type: a generic netlink family id, or {@link #NLMSG_ERROR}
 * @param command the generic netlink command (for {@link #NLMSG_ERROR}: 0)
 * @param sequence the sequence number
 * @param attributes attribute payloads by type (the last one wins); for {@link #NLMSG_ERROR} empty
 * @param error for {@link #NLMSG_ERROR}: the negative errno, or 0 for an acknowledgement
 */
record GenlMessage(int type, int command, int sequence, Map<Integer, byte[]> attributes, int error) {
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int GENL_ID_CTRL = 0x10;
    static final int CTRL_CMD_NEWFAMILY = 1;
    static final int CTRL_CMD_GETFAMILY = 3;
    static final int CTRL_ATTR_FAMILY_ID = 1;
    static final int CTRL_ATTR_FAMILY_NAME = 2;
    static final int CTRL_ATTR_MCAST_GROUPS = 7;
    static final int CTRL_ATTR_MCAST_GRP_NAME = 1;
    static final int CTRL_ATTR_MCAST_GRP_ID = 2;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_ACK = 0x4;
    private static final int NLMSG_HDRLEN = 16;
    private static final int GENL_HDRLEN = 4;
    private static final int NLA_HDRLEN = 4;
    private static final int NLA_TYPE_MASK = 0x3fff;

    /** Builds one request. */
    static final class Builder {
        private final ByteBuffer buf = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());

        Builder(int type, int flags, int sequence, int command, int version) {
            buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(sequence).putInt(0);
            buf.put((byte) command).put((byte) version).putShort((short) 0);
        }

        Builder u8(int attr, int value) {
            return attribute(attr, new byte[] {(byte) value});
        }

        Builder u32(int attr, int value) {
            return attribute(attr, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
        }

        Builder s32(int attr, int value) {
            return u32(attr, value);
        }

        Builder string(int attr, String value) {
            byte[] text = value.getBytes(StandardCharsets.UTF_8);
            byte[] z = new byte[text.length + 1];
            System.arraycopy(text, 0, z, 0, text.length);
            return attribute(attr, z);
        }

        private Builder attribute(int attr, byte[] payload) {
            buf.putShort((short) (NLA_HDRLEN + payload.length)).putShort((short) attr).put(payload);
            while (buf.position() % 4 != 0) {
                buf.put((byte) 0);
            }
            return this;
        }

        byte[] build() {
            buf.putInt(0, buf.position());
            byte[] out = new byte[buf.position()];
            buf.get(0, out);
            return out;
        }
    }

    /**
     * Every message of one datagram.
     *
     * @throws IllegalArgumentException for a truncated or malformed message
     */
    static List<GenlMessage> parse(ByteBuffer datagram) {
        ByteBuffer b = datagram.slice().order(ByteOrder.nativeOrder());
        List<GenlMessage> out = new ArrayList<>();
        int at = 0;
        while (b.limit() - at >= NLMSG_HDRLEN) {
            int len = b.getInt(at);
            int type = Short.toUnsignedInt(b.getShort(at + 4));
            int seq = b.getInt(at + 8);
            if (len < NLMSG_HDRLEN || len > b.limit() - at) {
                throw new IllegalArgumentException("netlink message length " + len + " at " + at + " of "
                        + b.limit());
            }
            if (type == NLMSG_ERROR) {
                if (len < NLMSG_HDRLEN + 4) {
                    throw new IllegalArgumentException("truncated netlink error message");
                }
                out.add(new GenlMessage(type, 0, seq, Map.of(), b.getInt(at + NLMSG_HDRLEN)));
            } else if (type != NLMSG_DONE && type >= GENL_ID_CTRL) {
                if (len < NLMSG_HDRLEN + GENL_HDRLEN) {
                    throw new IllegalArgumentException("truncated generic netlink message");
                }
                int cmd = Byte.toUnsignedInt(b.get(at + NLMSG_HDRLEN));
                out.add(new GenlMessage(type, cmd, seq,
                        attributes(b, at + NLMSG_HDRLEN + GENL_HDRLEN, at + len), 0));
            }
            at += align4(len);
        }
        return out;
    }

    /** Attributes in {@code [from, to)} of {@code b} by type. */
    static Map<Integer, byte[]> attributes(ByteBuffer b, int from, int to) {
        Map<Integer, byte[]> attrs = new HashMap<>();
        int at = from;
        while (to - at >= NLA_HDRLEN) {
            int len = Short.toUnsignedInt(b.getShort(at));
            int type = Short.toUnsignedInt(b.getShort(at + 2)) & NLA_TYPE_MASK;
            if (len < NLA_HDRLEN || len > to - at) {
                throw new IllegalArgumentException("netlink attribute length " + len + " at " + at);
            }
            byte[] payload = new byte[len - NLA_HDRLEN];
            b.get(at + NLA_HDRLEN, payload);
            attrs.put(type, payload);
            at += align4(len);
        }
        return attrs;
    }

    private static int align4(int n) {
        return (n + 3) & ~3;
    }

    boolean has(int attr) {
        return attributes.containsKey(attr);
    }

    String string(int attr) {
        byte[] v = attributes.get(attr);
        if (v == null) {
            return null;
        }
        int end = 0;
        while (end < v.length && v[end] != 0) {
            end++;
        }
        return new String(v, 0, end, StandardCharsets.UTF_8);
    }

    /** An unsigned 8-, 16-, 32- or 64-bit attribute, or {@code absent}. */
    long unsigned(int attr, long absent) {
        byte[] v = attributes.get(attr);
        if (v == null) {
            return absent;
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.nativeOrder());
        return switch (v.length) {
            case 1 -> Byte.toUnsignedLong(b.get(0));
            case 2 -> Short.toUnsignedLong(b.getShort(0));
            case 4 -> Integer.toUnsignedLong(b.getInt(0));
            case 8 -> b.getLong(0);
            default -> throw new IllegalArgumentException("attribute " + attr + " of " + v.length + " bytes");
        };
    }
}
