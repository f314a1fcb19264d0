package io.jtarget.tcmu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Generic netlink framing: what the handler sends and what it parses of the kernel's messages. */
class GenlMessageTest {

    @Test
    void replyCarriesStatusAndDeviceIdAsTheKernelReadsThem() {
        byte[] reply = new GenlMessage.Builder(0x1b, GenlMessage.NLM_F_REQUEST | GenlMessage.NLM_F_ACK, 9,
                TcmuAbi.CMD_ADDED_DEVICE_DONE, TcmuAbi.GENL_VERSION)
                .s32(TcmuAbi.ATTR_CMD_STATUS, -22)
                .u32(TcmuAbi.ATTR_DEVICE_ID, 3)
                .build();
        ByteBuffer b = ByteBuffer.wrap(reply).order(ByteOrder.nativeOrder());
        assertThat(b.getInt(0)).as("nlmsg_len").isEqualTo(reply.length).isEqualTo(16 + 4 + 8 + 8);
        assertThat(b.getShort(4)).as("nlmsg_type: the family id").isEqualTo((short) 0x1b);
        assertThat(b.getShort(6)).as("flags").isEqualTo((short) 5);
        assertThat(b.getInt(8)).as("seq").isEqualTo(9);
        assertThat(reply[16]).as("genl cmd").isEqualTo((byte) TcmuAbi.CMD_ADDED_DEVICE_DONE);
        assertThat(reply[17]).as("genl version").isEqualTo((byte) 2);

        GenlMessage parsed = GenlMessage.parse(ByteBuffer.wrap(reply)).getFirst();
        assertThat(parsed.command()).isEqualTo(TcmuAbi.CMD_ADDED_DEVICE_DONE);
        assertThat((int) parsed.unsigned(TcmuAbi.ATTR_CMD_STATUS, 0)).isEqualTo(-22);
        assertThat(parsed.unsigned(TcmuAbi.ATTR_DEVICE_ID, -1)).isEqualTo(3);
    }

    @Test
    void kernelEventWithStringsAndPaddingAndSixtyFourBitSize() {
        byte[] event = new GenlMessage.Builder(0x1b, 0, 0, TcmuAbi.CMD_RECONFIG_DEVICE, 2)
                .string(TcmuAbi.ATTR_DEVICE, "tcm-user/7/pre/jtarget/file:/tmp/a.img")
                .u32(TcmuAbi.ATTR_MINOR, 4)
                .u32(TcmuAbi.ATTR_DEVICE_ID, 12)
                .build();
        // nla_put_u64_64bit: an 8-byte payload (preceded by a TCMU_ATTR_PAD attribute when unaligned)
        ByteBuffer withSize = ByteBuffer.allocate(event.length + 12).order(ByteOrder.nativeOrder());
        withSize.put(event).putShort((short) 12).putShort((short) TcmuAbi.ATTR_DEV_SIZE).putLong(1L << 33);
        withSize.putInt(0, withSize.capacity());
        // Two messages in one datagram: the second is an acknowledgement.
        ByteBuffer datagram = ByteBuffer.allocate(withSize.capacity() + 36).order(ByteOrder.nativeOrder());
        datagram.put(withSize.array()).putInt(36).putShort((short) GenlMessage.NLMSG_ERROR).putShort((short) 0)
                .putInt(5).putInt(0).putInt(0).putInt(0).putInt(0).putInt(0).putInt(0);
        List<GenlMessage> messages = GenlMessage.parse(datagram.flip());
        assertThat(messages).hasSize(2);
        GenlMessage m = messages.getFirst();
        assertThat(m.string(TcmuAbi.ATTR_DEVICE)).isEqualTo("tcm-user/7/pre/jtarget/file:/tmp/a.img");
        assertThat(m.unsigned(TcmuAbi.ATTR_MINOR, -1)).isEqualTo(4);
        assertThat(m.unsigned(TcmuAbi.ATTR_DEV_SIZE, -1)).isEqualTo(1L << 33);
        assertThat(m.has(TcmuAbi.ATTR_WRITECACHE)).isFalse();
        assertThat(messages.get(1).type()).isEqualTo(GenlMessage.NLMSG_ERROR);
        assertThat(messages.get(1).error()).as("an ack").isZero();
        assertThat(messages.get(1).sequence()).isEqualTo(5);
    }

    @Test
    void familyResolutionFindsTheConfigGroup() {
        // CTRL_ATTR_MCAST_GROUPS: nest of nests, each with a name and an id.
        ByteBuffer groups = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        groups.putShort((short) 24).putShort((short) 1); // nest #1
        groups.putShort((short) 11).putShort((short) GenlMessage.CTRL_ATTR_MCAST_GRP_NAME).put("config\0".getBytes())
                .put((byte) 0);
        groups.putShort((short) 8).putShort((short) GenlMessage.CTRL_ATTR_MCAST_GRP_ID).putInt(21);
        byte[] bytes = new byte[groups.position()];
        groups.get(0, bytes);
        assertThat(TcmuNetlink.configGroup(bytes)).isEqualTo(21);
        assertThat(TcmuNetlink.configGroup(null)).isEqualTo(-1);
    }

    @Test
    void truncatedMessagesAreRejectedNotReadPastTheirEnd() {
        ByteBuffer bad = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        bad.putInt(200).putShort((short) 0x1b).putShort((short) 0).putInt(0).putInt(0).putInt(0);
        assertThatThrownBy(() -> GenlMessage.parse(bad.flip())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 200");
        ByteBuffer badAttr = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
        badAttr.putInt(24).putShort((short) 0x1b).putShort((short) 0).putInt(0).putInt(0).putInt(0x0201)
                .putShort((short) 40).putShort((short) 1);
        assertThatThrownBy(() -> GenlMessage.parse(badAttr.flip())).hasMessageContaining("attribute length 40");
    }
}
