package io.jtarget.srp;

import io.jtarget.iscsi.session.LunAddressing;
import io.jtarget.iser.RegisteredDataAllocator;
import io.jtarget.rdma.RdmaBufferPool;
import io.jtarget.rdma.RdmaConnection;
import io.jtarget.rdma.RdmaLink;
import io.jtarget.rdma.RegisteredBuffer;
import io.jtarget.rdma.SendChain;
import io.jtarget.scsi.ScsiCommand;
import io.jtarget.scsi.ScsiResponse;
import io.jtarget.scsi.ScsiStatus;
import io.jtarget.scsi.TaskAttribute;
import io.jtarget.scsi.TaskManagementFunction;
import io.jtarget.scsi.TaskManagementRequest;
import io.jtarget.scsi.TaskManagementResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SRP RDMA channel (SRP-2 §4.2) of an I_T nexus: the IUs the initiator SENDs, the data moved by
 * RDMA Read (Data-Out) and RDMA Write (Data-In), and the SRP_RSPs that return request-limit credits.
 *
 * <p>Its life is the RDMA connection's state machine, CONNECTING → LIVE → DISCONNECTING → DRAINING
 * → RELEASED: every way out (SRP_I_LOGOUT, the initiator's CM disconnect, a failed work request, a
 * protocol error, a SINGLE login of the same initiator port, the target removed, shutdown) is
 * {@link RdmaLink#disconnect}, and the layer drains the posted work requests before it releases
 * the queue pair once. Every method runs on the connection's loop. The channel uses its
 * connection only through {@link RdmaLink} and hears it through the package's methods the
 * {@link RdmaConnection.Handler} calls, so a protocol test drives it over a fake link.
 *
 * <p>When the target ends a live channel (the operator drops the session, the target is removed,
 * the server shuts down, a SINGLE login of the same initiator port, a protocol error) it first
 * sends SRP_T_LOGOUT with the reason (SRP-2), then disconnects once that SEND completed.
 *
 * <p>Credits: each SRP_CMD and SRP_TSK_MGMT uses one of the initiator's REQ_LIM credits. The IU is
 * parsed and copied out of its receive buffer, which is posted again at once; the credit comes
 * back in the REQ_LIM_DELTA of that IU's own SRP_RSP (as Linux's ib_srpt does), so the credits
 * granted at login bound the commands a channel has in the core, whatever the initiator sends.
 * An aborted command gets no response (SAM-5): its credit rides on the next SRP_RSP, the task
 * management response at the latest. No credit is stranded, so SRP_CRED_REQ is never needed.
 *
 * <p>Immediate data (granted at login when the initiator asks and its IUs fit our receive
 * buffers): a write's Data-Out arrives inside the SRP_CMD, at the offset the login agreed on, and
 * is copied out of the receive buffer instead of fetched by RDMA Read: one round trip fewer.
 */
final class SrpChannel implements RdmaConnection.Handler {
    private static final Logger log = LoggerFactory.getLogger(SrpChannel.class);
    /** Work requests per posted chain (the layer's chain length). */
    private static final int CHAIN = SendChain.MAX_WRS;
    /** The cookie of the SRP_T_LOGOUT SEND (task slots are small non-negative numbers). */
    private static final long LOGOUT_COOKIE = Long.MAX_VALUE;
    /** How long a target logout waits for its SEND to complete before it disconnects anyway. */
    static final long LOGOUT_GRACE_MILLIS = 2000;
    /**
     * How soon work waiting for a send buffer tries again: the pool is the device's, and a buffer
     * another channel's completion returns wakes nothing here.
     */
    static final long SEND_BUFFER_RETRY_MILLIS = 1;

    private enum Stage { FETCHING_DATA_OUT, IN_CORE, RESPONDING }

    /** One command or task management request while the channel has work for it. */
    private static final class Task {
        final int slot;
        Stage stage;
        long tag;
        int lun;
        byte[] cdb;
        TaskAttribute attribute;
        ScsiCommand.DataDirection direction;
        SrpIu.Descriptor[] descriptors;
        int expected;
        /** Data-Out gathered by RDMA Read, or the core's Data-In. */
        ByteBuf data;
        RegisteredBuffer response;
        ScsiResponse result;
        /** A task management response code, or -1 for a command. */
        int tmfCode = -1;

        Task(int slot) {
            this.slot = slot;
            this.direction = ScsiCommand.DataDirection.NONE;
        }

        void clear() {
            direction = ScsiCommand.DataDirection.NONE;
            expected = 0;
            cdb = null;
            descriptors = null;
            result = null;
            tmfCode = -1;
            if (data != null) {
                data.release();
                data = null;
            }
            if (response != null) {
                response.release();
                response = null;
            }
        }
    }

    private final SrpTargetPort port;
    private final SrpNexus nexus;
    private final RegisteredDataAllocator data;
    private final RdmaBufferPool sendPool;
    private final EventLoop loop;
    /** Where immediate data starts in an SRP_CMD, or 0 when this channel did not grant it. */
    private final int immediateDataOffset;
    private RdmaLink connection;
    private Task[] slots = new Task[0];
    private int[] free = new int[0];
    private int freeCount;
    private final ArrayDeque<Task> waiting = new ArrayDeque<>();
    private int creditsToReturn;
    private long commands;
    private long immediateCommands;
    private int inCore;
    /** Why the target logs out, once SRP_T_LOGOUT is posted (null before). */
    private String logoutReason;
    private RegisteredBuffer logoutIu;
    private boolean sendBufferRetryScheduled;

    SrpChannel(SrpTargetPort port, SrpNexus nexus, RegisteredDataAllocator data, RdmaBufferPool sendPool,
            EventLoop loop, int initialSlots, int immediateDataOffset) {
        this.port = port;
        this.nexus = nexus;
        this.data = data;
        this.sendPool = sendPool;
        this.loop = loop;
        this.immediateDataOffset = immediateDataOffset;
        grow(initialSlots);
    }

    void attach(RdmaLink connection) {
        this.connection = connection;
    }

    RdmaLink connection() {
        return connection;
    }

    SrpNexus nexus() {
        return nexus;
    }

    long commands() {
        return commands;
    }

    long immediateCommands() {
        return immediateCommands;
    }

    boolean loggedOut() {
        return logoutReason != null;
    }

    int outstanding() {
        return slots.length - freeCount;
    }

    // ------------------------------------------------------------------ receive

    @Override
    public void onEstablished(RdmaConnection c) {
        log.debug("SRP channel {} of {} live", c.remoteAddress(), nexus);
    }

    @Override
    public void onReceive(RdmaConnection c, RdmaConnection.Received message) {
        received(message.segment());
    }

    @Override
    public void onSendCompleted(RdmaConnection c, long cookie, int status) {
        sendCompleted(cookie, status);
    }

    @Override
    public void onWritable(RdmaConnection c) {
        retryWaiting();
    }

    @Override
    public void onDisconnecting(RdmaConnection c, String reason) {
        disconnecting(reason);
    }

    @Override
    public void onReleased(RdmaConnection c) {
        released();
    }

    /** An IU the initiator sent (a view of the receive buffer, reposted when this returns). */
    void received(MemorySegment iu) {
        if (iu.byteSize() < 16) {
            logout(SrpIu.T_LOGOUT_INVALID_IU_LENGTH, "SRP IU of " + iu.byteSize() + " bytes");
            return;
        }
        switch (SrpIu.u8(iu, 0)) {
            case SrpIu.CMD -> command(iu);
            case SrpIu.TSK_MGMT -> taskManagement(iu);
            case SrpIu.I_LOGOUT -> connection.disconnect("initiator logout (SRP_I_LOGOUT)");
            case SrpIu.CRED_RSP, SrpIu.AER_RSP -> { } // answers to requests this target never sends
            default -> logout(SrpIu.T_LOGOUT_INVALID_IU_TYPE,
                    String.format("unknown SRP IU opcode %02xh", SrpIu.u8(iu, 0)));
        }
    }

    /** SRP_CMD (SRP-2 §5.8). */
    private void command(MemorySegment iu) {
        commands++;
        Task t = take();
        t.tag = iu.get(SrpIu.LONG, 8);
        if (iu.byteSize() < SrpIu.CMD_HEADER_LENGTH) {
            respondRefused(t);
            return;
        }
        int formats = SrpIu.u8(iu, 5);
        int outFormat = formats >>> 4;
        int inFormat = formats & 0x0f;
        int additionalCdb = SrpIu.u8(iu, 31) & 0xfc;
        int descriptorsAt = SrpIu.CMD_HEADER_LENGTH + additionalCdb;
        if (descriptorsAt > iu.byteSize()) {
            respondRefused(t);
            return;
        }
        t.lun = LunAddressing.decode(iu.get(SrpIu.LONG, 20));
        t.cdb = iu.asSlice(32, 16 + additionalCdb).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        t.attribute = attribute(SrpIu.u8(iu, 29) & 0x07);
        if (outFormat != SrpIu.FMT_NONE && inFormat != SrpIu.FMT_NONE) {
            respondRefused(t); // bidirectional commands: not offered (no SCSI command of ours has two data phases)
            return;
        }
        if (outFormat == SrpIu.FMT_IMMEDIATE) {
            immediate(t, iu, descriptorsAt);
            return;
        }
        boolean write = outFormat != SrpIu.FMT_NONE;
        int format = write ? outFormat : inFormat;
        t.descriptors = SrpIu.descriptors(iu, format, descriptorsAt, SrpIu.u8(iu, write ? 6 : 7));
        if (t.descriptors == null) {
            respondRefused(t);
            return;
        }
        long expected = 0;
        for (SrpIu.Descriptor d : t.descriptors) {
            expected += Integer.toUnsignedLong(d.length());
        }
        if (expected > Integer.MAX_VALUE) {
            respondRefused(t);
            return;
        }
        t.expected = (int) expected;
        t.direction = format == SrpIu.FMT_NONE ? ScsiCommand.DataDirection.NONE
                : write ? ScsiCommand.DataDirection.WRITE : ScsiCommand.DataDirection.READ;
        if (write && t.expected > 0) {
            t.data = data.registered(t.expected);
            if (t.data == null) {
                respondStatus(t, ScsiStatus.BUSY); // every registered chunk in use: the initiator retries
                return;
            }
            t.stage = Stage.FETCHING_DATA_OUT;
            fetchDataOut(t);
        } else {
            submit(t);
        }
    }

    /** A write whose Data-Out came inside the SRP_CMD: copied out of the receive buffer, then to the core. */
    private void immediate(Task t, MemorySegment iu, int descriptorAt) {
        int length = immediateDataOffset == 0 ? -1 : SrpIu.immediateLength(iu, descriptorAt, immediateDataOffset);
        if (length < 0) {
            respondRefused(t); // not granted at login, or the data is not where the descriptor says
            return;
        }
        t.descriptors = new SrpIu.Descriptor[0];
        t.expected = length;
        t.direction = ScsiCommand.DataDirection.WRITE;
        if (length > 0) {
            t.data = data.registered(length);
            if (t.data == null) {
                respondStatus(t, ScsiStatus.BUSY);
                return;
            }
            t.data.writeBytes(iu.asSlice(immediateDataOffset, length).asByteBuffer());
        }
        immediateCommands++;
        submit(t);
    }

    private static TaskAttribute attribute(int code) {
        return switch (code) {
            case 1 -> TaskAttribute.HEAD_OF_QUEUE;
            case 2 -> TaskAttribute.ORDERED;
            case 4 -> TaskAttribute.ACA;
            default -> TaskAttribute.SIMPLE;
        };
    }

    /** Data-Out: RDMA Reads now, or queued behind work already waiting for send slots. */
    private void fetchDataOut(Task t) {
        if (!waiting.isEmpty() || !postDataOutReads(t)) {
            waiting.add(t);
        }
    }

    /**
     * One RDMA Read per descriptor into the registered buffer, the last one signaled. False when
     * the send queue has no room for them (nothing posted); true once posted or given up (the
     * channel disconnects: the task is returned when the channel is released).
     */
    private boolean postDataOutReads(Task t) {
        if (connection.sendSlotsFree() < t.descriptors.length) {
            return false;
        }
        RegisteredDataAllocator.Placement at = RegisteredDataAllocator.placement(t.data, 0, t.expected);
        SendChain chain = connection.chain();
        int offset = 0;
        int last = lastNonEmpty(t.descriptors);
        for (int i = 0; i <= last; i++) {
            SrpIu.Descriptor d = t.descriptors[i];
            if (d.length() == 0) {
                continue;
            }
            if (chain.size() == CHAIN) {
                if (!chain.post()) {
                    connection.disconnect("posting RDMA Reads failed");
                    return true;
                }
                chain = connection.chain();
            }
            chain.add(at.chunk(), at.offset() + offset, d.length())
                    .rdmaRead(d.address(), d.rkey(), t.slot, i == last ? SendChain.SIGNALED : 0);
            offset += d.length();
        }
        if (!chain.post()) {
            connection.disconnect("posting RDMA Reads failed");
            return true;
        }
        t.data.writerIndex(t.expected);
        return true;
    }

    private static int lastNonEmpty(SrpIu.Descriptor[] descriptors) {
        for (int i = descriptors.length - 1; i >= 0; i--) {
            if (descriptors[i].length() != 0) {
                return i;
            }
        }
        return -1;
    }

    private void submit(Task t) {
        t.stage = Stage.IN_CORE;
        inCore++;
        ScsiCommand command = new ScsiCommand(nexus.itNexus(), t.lun, t.cdb, t.tag, t.attribute, t.direction,
                t.expected, t.direction == ScsiCommand.DataDirection.WRITE ? t.data : null, data);
        nexus.core().submit(command, response -> {
            if (loop.inEventLoop()) {
                completed(t, response);
            } else {
                loop.execute(() -> completed(t, response));
            }
        });
    }

    private void completed(Task t, ScsiResponse response) {
        inCore--;
        if (t.data != null) {
            t.data.release(); // the Data-Out buffer: the core is done with it
            t.data = null;
        }
        t.data = response.dataIn();
        if (response.aborted() || !live()) {
            if (response.aborted()) {
                creditsToReturn++; // its credit rides on the next response
            }
            release(t); // SAM-5 §7.2: an aborted task gets no response; a closing channel sends nothing
            return;
        }
        t.result = response;
        respond(t);
    }

    /** SRP_TSK_MGMT (SRP-2 §5.7) through the core's task management. */
    private void taskManagement(MemorySegment iu) {
        Task t = take();
        t.tag = iu.get(SrpIu.LONG, 8);
        if (iu.byteSize() < SrpIu.TSK_MGMT_LENGTH) {
            respondRefused(t);
            return;
        }
        int lun = LunAddressing.decode(iu.get(SrpIu.LONG, 20));
        long taskTag = iu.get(SrpIu.LONG, 32);
        TaskManagementFunction function = switch (SrpIu.u8(iu, 30)) {
            case 0x01 -> TaskManagementFunction.ABORT_TASK;
            case 0x02 -> TaskManagementFunction.ABORT_TASK_SET;
            case 0x04 -> TaskManagementFunction.CLEAR_TASK_SET;
            case 0x08 -> TaskManagementFunction.LOGICAL_UNIT_RESET;
            case 0x40 -> TaskManagementFunction.CLEAR_ACA;
            default -> null;
        };
        if (function == null) {
            t.tmfCode = SrpIu.TMF_NOT_SUPPORTED;
            respond(t);
            return;
        }
        t.stage = Stage.IN_CORE;
        inCore++;
        nexus.core().taskManagement(new TaskManagementRequest(nexus.itNexus(), lun, function, taskTag),
                r -> loop.execute(() -> taskManagementDone(t, r)));
    }

    private void taskManagementDone(Task t, TaskManagementResponse r) {
        inCore--;
        if (!live()) {
            release(t);
            return;
        }
        // As Linux's ib_srpt maps them: done → complete, rejected → not supported, anything else → failed.
        t.tmfCode = switch (r) {
            case FUNCTION_COMPLETE, FUNCTION_SUCCEEDED -> SrpIu.TMF_COMPLETE;
            case FUNCTION_REJECTED -> SrpIu.TMF_NOT_SUPPORTED;
            default -> SrpIu.TMF_FAILED;
        };
        respond(t);
    }

    // ------------------------------------------------------------------ respond

    /** A command the fabric refuses before the core: CHECK CONDITION, INVALID FIELD IN COMMAND INFORMATION UNIT. */
    private void respondRefused(Task t) {
        t.result = ScsiResponse.checkCondition(SrpIu.invalidFieldInIu(), 0);
        respond(t);
    }

    private void respondStatus(Task t, int status) {
        t.result = new ScsiResponse(status, null, null, 0, false);
        respond(t);
    }

    /**
     * The response now, or queued behind work already waiting for send slots: responses leave in
     * the order they became ready, so none is overtaken for good by smaller ones.
     */
    private void respond(Task t) {
        t.stage = Stage.RESPONDING;
        if (!live()) {
            release(t);
            return;
        }
        if (!waiting.isEmpty() || !postResponse(t)) {
            waiting.add(t); // retried when send slots or send buffers come back
        }
    }

    /**
     * Data-In by RDMA Write (chained), then the SRP_RSP SEND, signaled: one completion per command.
     * False when there is no room (nothing posted); true once posted or given up (as
     * {@link #postDataOutReads}).
     */
    private boolean postResponse(Task t) {
        ScsiResponse r = t.result;
        int sent = 0;
        RegisteredDataAllocator.Placement at = null;
        if (r != null && r.dataIn() != null && t.direction == ScsiCommand.DataDirection.READ) {
            sent = Math.min(r.dataIn().readableBytes(), t.expected);
            if (sent > 0) {
                at = RegisteredDataAllocator.placement(r.dataIn(), r.dataIn().readerIndex(), sent);
                if (at == null) {
                    at = bounce(t, sent);
                    if (at == null) {
                        t.result = new ScsiResponse(ScsiStatus.BUSY, null, null, 0, false);
                        sent = 0;
                    }
                }
            }
        }
        int writes = sent == 0 ? 0 : t.descriptors.length;
        if (connection.sendSlotsFree() < writes + 1) {
            return false; // this channel's completions free slots and retry
        }
        if (t.response == null && (t.response = sendPool.allocate()) == null) {
            if (!sendBufferRetryScheduled) {
                sendBufferRetryScheduled = true;
                loop.schedule(() -> {
                    sendBufferRetryScheduled = false;
                    retryWaiting();
                }, SEND_BUFFER_RETRY_MILLIS, TimeUnit.MILLISECONDS);
            }
            return false;
        }
        SendChain chain = connection.chain();
        int offset = 0;
        for (int i = 0; i < writes && offset < sent; i++) {
            SrpIu.Descriptor d = t.descriptors[i];
            int n = Math.min(d.length(), sent - offset);
            if (n == 0) {
                continue;
            }
            if (chain.size() == CHAIN) {
                if (!chain.post()) {
                    connection.disconnect("posting RDMA Writes failed");
                    return true;
                }
                chain = connection.chain();
            }
            chain.add(at.chunk(), at.offset() + offset, n).rdmaWrite(d.address(), d.rkey(), t.slot, 0);
            offset += n;
        }
        int length = encodeResponse(t, sent);
        if (chain.size() == CHAIN) {
            if (!chain.post()) {
                connection.disconnect("posting RDMA Writes failed");
                return true;
            }
            chain = connection.chain();
        }
        chain.add(t.response, 0, length).send(t.slot, SendChain.SIGNALED | SendChain.SOLICITED);
        if (!chain.post()) {
            connection.disconnect("posting SRP_RSP failed");
        }
        return true;
    }

    /** Data-In the core produced outside registered memory: copied through a registered chunk (rare). */
    private RegisteredDataAllocator.Placement bounce(Task t, int length) {
        ByteBuf copy = data.registered(length);
        if (copy == null) {
            return null;
        }
        data.countBounce();
        copy.writeBytes(t.data, t.data.readerIndex(), length);
        t.data.release();
        t.data = copy;
        t.result = new ScsiResponse(t.result.status(), t.result.sense(), copy, t.result.commandTransferLength(), false);
        return RegisteredDataAllocator.placement(copy, 0, length);
    }

    /** SRP_RSP with status, sense, residuals (SRP-2 §5.9), its IU's credit and those of aborted commands. */
    private int encodeResponse(Task t, int sent) {
        int delta = 1 + creditsToReturn;
        creditsToReturn = 0;
        MemorySegment m = t.response.segment();
        if (t.tmfCode >= 0) {
            return SrpIu.response(m, t.tag, delta, ScsiStatus.GOOD, 0, 0, 0, null, t.tmfCode);
        }
        ScsiResponse r = t.result;
        int flags = 0;
        int outResidual = 0;
        int inResidual = 0;
        int wanted = r.commandTransferLength();
        if (t.direction == ScsiCommand.DataDirection.READ) {
            if (wanted > t.expected) {
                flags |= SrpIu.RSP_FLAG_DIOVER;
                inResidual = wanted - t.expected;
            } else if (sent < t.expected) {
                flags |= SrpIu.RSP_FLAG_DIUNDER;
                inResidual = t.expected - sent;
            }
        } else if (t.direction == ScsiCommand.DataDirection.WRITE && r.status() == ScsiStatus.GOOD) {
            if (wanted > t.expected) {
                flags |= SrpIu.RSP_FLAG_DOOVER;
                outResidual = wanted - t.expected;
            } else if (wanted < t.expected) {
                flags |= SrpIu.RSP_FLAG_DOUNDER;
                outResidual = t.expected - wanted;
            }
        }
        byte[] sense = r.sense();
        if (sense != null && SrpIu.RSP_HEADER_LENGTH + sense.length > t.response.capacity()) {
            sense = Arrays.copyOf(sense, t.response.capacity() - SrpIu.RSP_HEADER_LENGTH);
        }
        return SrpIu.response(m, t.tag, delta, r.status(), flags, outResidual, inResidual, sense, -1);
    }

    // ------------------------------------------------------------------ completions and the way out

    /**
     * The target ends this channel: SRP_T_LOGOUT with {@code reason}, then the disconnect once it
     * is sent (at once when the channel is not live or nothing is left to send it with). Any
     * thread; a second call changes nothing.
     */
    void logout(int reason, String why) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> logout(reason, why));
            return;
        }
        if (connection == null || logoutReason != null) {
            return;
        }
        if (connection.state() != RdmaConnection.State.LIVE || connection.sendSlotsFree() < 1
                || (logoutIu = sendPool.allocate()) == null) {
            connection.disconnect(why);
            return;
        }
        int length = SrpIu.targetLogout(logoutIu.segment(), 0, reason);
        SendChain chain = connection.chain();
        chain.add(logoutIu, 0, length).send(LOGOUT_COOKIE, SendChain.SIGNALED | SendChain.SOLICITED);
        if (!chain.post()) {
            logoutIu.release(); // nothing was posted: the buffer is ours again
            logoutIu = null;
            connection.disconnect(why);
            return;
        }
        logoutReason = why;
        log.debug("SRP channel {} of {}: SRP_T_LOGOUT (reason {}) sent: {}", connection.remoteAddress(), nexus,
                reason, why);
        RdmaLink c = connection;
        loop.schedule(() -> c.disconnect(why), LOGOUT_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A signaled send work request completed: {@code status} 0, or an {@code ibv_wc_status}. */
    void sendCompleted(long cookie, int status) {
        RdmaLink c = connection;
        if (cookie == LOGOUT_COOKIE) {
            logoutIu.release();
            logoutIu = null;
            c.disconnect(logoutReason + (status == 0 ? " (after SRP_T_LOGOUT)" : ""));
            return;
        }
        Task t = slots[(int) cookie];
        if (status != 0) {
            if (t.stage == Stage.FETCHING_DATA_OUT || t.stage == Stage.RESPONDING) {
                release(t);
            }
            c.disconnect("work request failed (ibv_wc_status " + status + ")");
            return;
        }
        if (t.stage == Stage.FETCHING_DATA_OUT && live()) {
            submit(t);
        } else {
            // A write whose Data-Out arrived after the channel began closing is not started: its
            // initiator hears nothing of it and may already be retrying it on another channel.
            release(t);
        }
        retryWaiting();
    }

    /** Queued work, oldest first, while there is room; the first that does not fit waits at the head. */
    private void retryWaiting() {
        Task t;
        while (live() && (t = waiting.poll()) != null) {
            boolean posted = t.stage == Stage.FETCHING_DATA_OUT ? postDataOutReads(t) : postResponse(t);
            if (!posted) {
                waiting.addFirst(t); // still no room: the next completion retries
                return;
            }
        }
    }

    /** The connection leaves LIVE (once): queued work was never posted; the nexus may end. */
    void disconnecting(String reason) {
        log.info("SRP channel {} of {} disconnecting: {}", connection.remoteAddress(), nexus, reason);
        for (Task t : waiting) {
            release(t); // never posted
        }
        waiting.clear();
        port.channelClosing(this);
    }

    /**
     * The connection is released (once): the device no longer touches our memory. What posted work
     * still held is ours again: requests no completion will report (a post the provider refused,
     * a drain that timed out and destroyed the queue pair with requests still posted).
     */
    void released() {
        for (Task t : slots) {
            if (t.stage == Stage.FETCHING_DATA_OUT || t.stage == Stage.RESPONDING) {
                release(t);
            }
        }
        if (logoutIu != null) {
            logoutIu.release();
            logoutIu = null;
        }
        log.info("SRP channel {} of {} released ({} commands, {} with immediate data; {} still with the SCSI core)",
                connection.remoteAddress(), nexus, commands, immediateCommands, inCore);
        port.channelReleased(this);
    }

    private boolean live() {
        RdmaConnection.State s = connection.state();
        return s == RdmaConnection.State.LIVE || s == RdmaConnection.State.CONNECTING;
    }

    // ------------------------------------------------------------------ task slots (cookies)

    private Task take() {
        if (freeCount == 0) {
            grow(Math.max(16, slots.length));
        }
        Task t = slots[free[--freeCount]];
        t.stage = null;
        return t;
    }

    private void release(Task t) {
        t.clear();
        t.stage = null;
        free[freeCount++] = t.slot;
    }

    private void grow(int more) {
        int old = slots.length;
        slots = Arrays.copyOf(slots, old + more);
        int[] f = Arrays.copyOf(free, old + more);
        for (int i = old; i < old + more; i++) {
            slots[i] = new Task(i);
            f[freeCount++] = i;
        }
        free = f;
    }
}
