package io.jtarget.tcmu;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The TCMU generic netlink family ("TCM-USER", multicast group "config") on one socket: the
 * kernel announces devices added, removed and reconfigured there and, once a handler has said so
 * with TCMU_CMD_SET_FEATURES, waits for the matching {@code *_DONE} reply before it completes the
 * configfs write that caused the event.
 *
 * <p>Opening resolves the family (absent: the target_core_user module is not loaded), turns the
 * replies on (needs CAP_NET_ADMIN), and joins the group. Afterwards the socket is read without
 * blocking from an event loop ({@link #receive}); replies are sent from any thread.
 */
final class TcmuNetlink implements AutoCloseable {
    private final int fd;
    private final int familyId;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment receiveBuffer = arena.allocate(64 * 1024);
    private final MemorySegment callState = Posix.callState(arena);
    private int sequence = 1;
    private volatile boolean closed;

    private TcmuNetlink(int fd, int familyId) {
        this.fd = fd;
        this.familyId = familyId;
    }

    /** Open, resolve the family, ask for replies ({@code replies}), join the config group. */
    static TcmuNetlink open(boolean replies) throws TcmuUnavailableException, IOException {
        int fd = Posix.socket(Posix.AF_NETLINK, Posix.SOCK_RAW | Posix.SOCK_CLOEXEC, Posix.NETLINK_GENERIC);
        try {
            Posix.bindNetlink(fd);
            Resolved family = resolve(fd);
            TcmuNetlink netlink = new TcmuNetlink(fd, family.id);
            if (replies) {
                netlink.setReplies(true);
            }
            try {
                Posix.setsockoptInt(fd, Posix.SOL_NETLINK, Posix.NETLINK_ADD_MEMBERSHIP, family.configGroup);
            } catch (Posix.NativeException e) {
                throw new TcmuUnavailableException(permissionHint("joining the TCMU netlink group", e), e);
            }
            return netlink;
        } catch (TcmuUnavailableException | IOException | RuntimeException e) {
            Posix.close(fd);
            throw e;
        }
    }

    private record Resolved(int id, int configGroup) {}

    private static Resolved resolve(int fd) throws IOException, TcmuUnavailableException {
        byte[] request = new GenlMessage.Builder(GenlMessage.GENL_ID_CTRL, GenlMessage.NLM_F_REQUEST, 0,
                GenlMessage.CTRL_CMD_GETFAMILY, 1).string(GenlMessage.CTRL_ATTR_FAMILY_NAME, TcmuAbi.GENL_FAMILY).build();
        Posix.send(fd, request);
        for (GenlMessage m : receiveBlocking(fd)) {
            if (m.type() == GenlMessage.NLMSG_ERROR && m.error() != 0) {
                if (-m.error() == Posix.ENOENT) {
                    throw new TcmuUnavailableException("the TCMU interface is missing: the target_core_user kernel module "
                            + "is not loaded (modprobe target_core_user)", null);
                }
                throw new IOException("resolving the TCMU netlink family failed (errno " + -m.error() + ")");
            }
            if (m.type() == GenlMessage.GENL_ID_CTRL && m.command() == GenlMessage.CTRL_CMD_NEWFAMILY) {
                int id = (int) m.unsigned(GenlMessage.CTRL_ATTR_FAMILY_ID, -1);
                int group = configGroup(m.attributes().get(GenlMessage.CTRL_ATTR_MCAST_GROUPS));
                if (id < 0 || group < 0) {
                    throw new IOException("the TCMU netlink family has no id or no '" + TcmuAbi.GENL_GROUP + "' group");
                }
                return new Resolved(id, group);
            }
        }
        throw new IOException("no answer resolving the TCMU netlink family");
    }

    /** The id of the "config" group in a CTRL_ATTR_MCAST_GROUPS attribute (nested: one nest per group). */
    static int configGroup(byte[] groups) {
        if (groups == null) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(groups).order(ByteOrder.nativeOrder());
        for (byte[] nest : GenlMessage.attributes(b, 0, groups.length).values()) {
            GenlMessage group = new GenlMessage(0, 0, 0,
                    GenlMessage.attributes(ByteBuffer.wrap(nest).order(ByteOrder.nativeOrder()), 0, nest.length), 0);
            if (TcmuAbi.GENL_GROUP.equals(group.string(GenlMessage.CTRL_ATTR_MCAST_GRP_NAME))) {
                return (int) group.unsigned(GenlMessage.CTRL_ATTR_MCAST_GRP_ID, -1);
            }
        }
        return -1;
    }

    private static List<GenlMessage> receiveBlocking(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(64 * 1024);
            long n = Posix.recv(fd, buf, 0, Posix.callState(a));
            if (n < 0) {
                throw new Posix.NativeException("recv netlink", (int) -n);
            }
            return GenlMessage.parse(buf.asSlice(0, n).asByteBuffer());
        }
    }

    /**
     * TCMU_CMD_SET_FEATURES: whether the kernel waits for {@code *_DONE} replies. A module-wide
     * setting; turned off again on close so that devices created while no handler runs do not wait.
     */
    void setReplies(boolean on) throws TcmuUnavailableException, IOException {
        int seq = nextSequence();
        byte[] request = new GenlMessage.Builder(familyId, GenlMessage.NLM_F_REQUEST | GenlMessage.NLM_F_ACK, seq,
                TcmuAbi.CMD_SET_FEATURES, TcmuAbi.GENL_VERSION).u8(TcmuAbi.ATTR_SUPP_KERN_CMD_REPLY, on ? 1 : 0).build();
        Posix.send(fd, request);
        // Events of the joined group may come first (when turning replies off on close): look a little further.
        for (int datagram = 0; datagram < 16; datagram++) {
            for (GenlMessage m : receiveBlocking(fd)) {
                if (m.type() == GenlMessage.NLMSG_ERROR && m.sequence() == seq) {
                    if (m.error() == 0) {
                        return;
                    }
                    Posix.NativeException e = new Posix.NativeException("TCMU_CMD_SET_FEATURES", -m.error());
                    throw new TcmuUnavailableException(permissionHint("setting TCMU netlink replies", e), e);
                }
            }
        }
        throw new IOException("no acknowledgement of TCMU_CMD_SET_FEATURES");
    }

    private static String permissionHint(String what, Posix.NativeException e) {
        if (e.errno() == Posix.EPERM || e.errno() == 13) {
            return "permission denied " + what + ": serving TCMU devices needs root (CAP_NET_ADMIN and access to "
                    + "/dev/uio*)";
        }
        return what + " failed: " + e.getMessage();
    }

    int fd() {
        return fd;
    }

    /**
     * Every message waiting now (non-blocking), TCMU events and acknowledgements alike. Call on the
     * event loop that watches {@link #fd}.
     *
     * @throws IOException when reading fails (ENOBUFS: events were lost and the caller should rescan)
     */
    List<GenlMessage> receive() throws IOException {
        List<GenlMessage> out = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            long n = Posix.recv(fd, receiveBuffer, Posix.MSG_DONTWAIT, callState);
            if (n == -Posix.EAGAIN || n == -Posix.EINTR) {
                break;
            }
            if (n < 0) {
                throw new Posix.NativeException("recv netlink", (int) -n);
            }
            out.addAll(GenlMessage.parse(receiveBuffer.asSlice(0, n).asByteBuffer()));
        }
        return out;
    }

    boolean isTcmuEvent(GenlMessage m) {
        return m.type() == familyId;
    }

    /** Reply to an event: {@code doneCommand} with the device id and status (0, or a negative errno). */
    void reply(int doneCommand, int deviceId, int status) throws IOException {
        byte[] message = new GenlMessage.Builder(familyId, GenlMessage.NLM_F_REQUEST | GenlMessage.NLM_F_ACK,
                nextSequence(), doneCommand, TcmuAbi.GENL_VERSION)
                .s32(TcmuAbi.ATTR_CMD_STATUS, status)
                .u32(TcmuAbi.ATTR_DEVICE_ID, deviceId)
                .build();
        Posix.send(fd, message);
    }

    private synchronized int nextSequence() {
        return ++sequence;
    }

    /** Attributes of a TCMU event, for logs. */
    static String describe(GenlMessage m) {
        Map<Integer, byte[]> a = m.attributes();
        return "cmd " + m.command() + " device " + m.string(TcmuAbi.ATTR_DEVICE) + " minor "
                + m.unsigned(TcmuAbi.ATTR_MINOR, -1) + " id " + m.unsigned(TcmuAbi.ATTR_DEVICE_ID, -1)
                + (a.containsKey(TcmuAbi.ATTR_DEV_CFG) ? " config " + m.string(TcmuAbi.ATTR_DEV_CFG) : "")
                + (a.containsKey(TcmuAbi.ATTR_DEV_SIZE) ? " size " + m.unsigned(TcmuAbi.ATTR_DEV_SIZE, -1) : "")
                + (a.containsKey(TcmuAbi.ATTR_WRITECACHE) ? " writecache " + m.unsigned(TcmuAbi.ATTR_WRITECACHE, -1)
                        : "");
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Posix.close(fd);
        arena.close();
    }
}
