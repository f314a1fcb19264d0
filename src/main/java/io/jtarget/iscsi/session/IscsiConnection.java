package io.jtarget.iscsi.session;

import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.HeaderBuilder;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.iscsi.pdu.PduDecoder;
import io.jtarget.iscsi.pdu.PduEncoder;
import io.jtarget.iscsi.pdu.PduFormatException;
import io.jtarget.net.CompletionQueue;
import io.jtarget.scsi.ScsiCommand;
import io.jtarget.scsi.ScsiResponse;
import io.jtarget.scsi.ScsiStatus;
import io.jtarget.scsi.TaskAttribute;
import io.jtarget.scsi.TaskManagementFunction;
import io.jtarget.scsi.TaskManagementRequest;
import io.jtarget.scsi.TaskManagementResponse;
import io.jtarget.scsi.TransportError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection (RFC 7143 §3.2.1), owned by one event loop: the login phase, then the
 * full feature phase of its session. Every field is touched only on that loop; the SCSI core's
 * completions are posted back to it (DESIGN.md "Threads"), so nothing here needs a lock.
 *
 * <p>Responses produced while handling a read are written without flushing and flushed once
 * when the read round ends ({@link #channelReadComplete}); completions arriving between reads
 * schedule a single flush for the whole batch (seed 002: few syscalls and wake-ups per I/O).
 */
public final class IscsiConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(IscsiConnection.class);

    /** Connection lifecycle, one enum with logged transitions (STYLE habit 5). */
    enum Phase {
        LOGIN,
        FULL_FEATURE,
        /** A Logout was accepted; the response goes out once outstanding tasks are answered. */
        LOGGING_OUT,
        CLOSED
    }

    private final IscsiServerContext server;
    private final PduDecoder decoder;
    private final PduEncoder.DigestSettings digests;

    private ChannelHandlerContext ctx;
    /** The address counted by admission control, released when the channel closes; null if refused. */
    private InetAddress admittedFrom;
    /** Data-Out buffer memory this connection may hold across its write tasks. */
    private DataOutBudget dataOutBudget;
    private Phase phase = Phase.LOGIN;
    private LoginPhase login;
    private Session session;
    private TransferLimits limits;

    private int statSn;
    /** Tasks by ITT; a primitive-keyed map, so the per-command lookups box nothing. */
    private final IntObjectHashMap<IscsiTask> tasks = new IntObjectHashMap<>();
    private final Map<Integer, IscsiTask> tasksByTtt = new HashMap<>();
    private final java.util.function.IntConsumer forgetTtt = tasksByTtt::remove;
    private int nextTtt = 1;
    /** Tasks submitted to the core whose completion has not come back yet. */
    private int executing;

    /** A batch (a read round or a completion drain) is running: its writes wait for its one flush. */
    private boolean inReadRound;
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushNow;
    /** Completions from backend threads, handled on the loop in batches; created with the channel. */
    private CompletionQueue<IscsiTask> completions;
    private boolean completionBatchOpen;

    // Liveness (NOP-In ping, RFC 7143 §11.19) and login timeout.
    private long lastReceiveNanos = System.nanoTime();
    private int pingTtt = Bhs.RESERVED_TAG;
    private long pingSentNanos;
    private ScheduledFuture<?> timer;

    // A pending logout waiting for outstanding tasks (§11.14: the response follows them).
    private IscsiPdu pendingLogout;

    public IscsiConnection(IscsiServerContext server, PduDecoder decoder, PduEncoder.DigestSettings digests) {
        this.server = server;
        this.decoder = decoder;
        this.digests = digests;
    }

    // ---------------------------------------------------------------- channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.completions = new CompletionQueue<>(ctx.channel().eventLoop(), this::onQueuedCompletion,
                this::endCompletionBatch);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress address = remoteAddress() == null ? null : remoteAddress().getAddress();
        java.util.Optional<io.jtarget.iscsi.login.LoginStatus> refused = server.admission().admit(address);
        admittedFrom = refused.isEmpty() ? address : null;
        dataOutBudget = new DataOutBudget(server.connectionLimits().maxDataOutBytesPerConnection());
        login = new LoginPhase(this, server, address, refused);
        long loginTimeout = server.limits().loginTimeout().toMillis();
        timer = ctx.executor().schedule(this::loginTimedOut, loginTimeout, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inReadRound = true;
        lastReceiveNanos = System.nanoTime();
        if (msg instanceof PduDecoder.DecodeError error) {
            try {
                onDecodeError(error);
            } finally {
                error.release();
            }
            return;
        }
        IscsiPdu pdu = (IscsiPdu) msg;
        try {
            switch (phase) {
                case LOGIN -> login.onPdu(pdu);
                case FULL_FEATURE, LOGGING_OUT -> onFullFeaturePdu(pdu);
                case CLOSED -> { }
            }
        } finally {
            pdu.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inReadRound = false;
        flushNow();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                ? cause.getCause() : cause;
        if (root instanceof PduFormatException) {
            log.warn("{}: {}; closing the connection", peer(), root.getMessage());
        } else if (root instanceof java.io.IOException) {
            log.debug("{}: {}", peer(), root.toString());
        } else {
            log.warn("{}: unexpected error; closing the connection", peer(), root);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        if (admittedFrom != null) {
            server.admission().release(admittedFrom);
            admittedFrom = null;
        }
        Phase previous = phase;
        phase = Phase.CLOSED;
        if (login != null) {
            login.abandon();
        }
        if (pendingLogout != null) {
            pendingLogout.release();
            pendingLogout = null;
        }
        if (session != null && previous != Phase.LOGIN) {
            if (previous == Phase.FULL_FEATURE) {
                log.info("connection lost: {} from {}", session.describe(), peer());
            }
            startDraining("connection closed");
        }
        ctx.fireChannelInactive();
    }

    // ---------------------------------------------------------------- services for LoginPhase

    ChannelHandlerContext context() {
        return ctx;
    }

    String peer() {
        Channel ch = ctx == null ? null : ctx.channel();
        return ch == null ? "?" : String.valueOf(ch.remoteAddress());
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) ctx.channel().localAddress();
    }

    InetSocketAddress remoteAddress() {
        return (InetSocketAddress) ctx.channel().remoteAddress();
    }

    void initStatSn(int first) {
        this.statSn = first;
    }

    int nextStatSn() {
        return statSn++;
    }

    void write(IscsiPdu pdu) {
        ctx.write(pdu, ctx.voidPromise());
        if (!inReadRound) {
            scheduleFlush();
        }
    }

    /** Write, flush, and close the connection once the bytes are out (login failures, logout). */
    void writeAndClose(IscsiPdu pdu) {
        phase = Phase.CLOSED;
        ctx.writeAndFlush(pdu).addListener(ChannelFutureListener.CLOSE);
    }

    void close() {
        ctx.close();
    }

    /** Login succeeded: switch digests and limits for the next PDU (§13.1, §13.12), start the session. */
    void enterFullFeature(Session session) {
        this.session = session;
        this.limits = TransferLimits.from(session.parameters());
        session.connection = this;
        digests.set(limits.headerDigest(), limits.dataDigest());
        decoder.setDigests(limits.headerDigest(), limits.dataDigest());
        decoder.setMaxDataSegmentLength(limits.maxRecvDataSegment());
        phase = Phase.FULL_FEATURE;
        login = null;
        if (timer != null) {
            timer.cancel(false);
        }
        long interval = Math.max(100, server.limits().nopInInterval().toMillis() / 2);
        timer = ctx.executor().scheduleWithFixedDelay(this::checkLiveness, interval, interval, TimeUnit.MILLISECONDS);
        log.info("login: {} from {} (digests header={} data={})", session.describe(), peer(),
                limits.headerDigest() ? "CRC32C" : "None", limits.dataDigest() ? "CRC32C" : "None");
    }

    private void loginTimedOut() {
        if (phase == Phase.LOGIN) {
            log.warn("{}: login not completed within {}; closing", peer(), server.limits().loginTimeout());
            ctx.close();
        }
    }

    // ---------------------------------------------------------------- full feature phase

    private void onFullFeaturePdu(IscsiPdu pdu) {
        int opcode = pdu.opcode();
        switch (opcode) {
            case Opcode.SCSI_DATA_OUT -> onDataOut(pdu);
            case Opcode.SCSI_COMMAND, Opcode.TASK_MGMT_REQUEST, Opcode.TEXT_REQUEST, Opcode.LOGOUT_REQUEST,
                    Opcode.NOP_OUT -> admitNumbered(pdu);
            case Opcode.SNACK_REQUEST ->
                // §11.16: SNACK is meaningful only at ErrorRecoveryLevel > 0, which we never negotiate.
                reject(pdu.header(), Bhs.Reject.COMMAND_NOT_SUPPORTED);
            case Opcode.LOGIN_REQUEST -> {
                // §6.1: a Login Request in full feature phase is a protocol error.
                log.warn("{}: Login Request in full feature phase; rejecting", peer());
                reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR);
            }
            default -> {
                log.warn("{}: unknown opcode 0x{}; rejecting", peer(), Integer.toHexString(opcode));
                reject(pdu.header(), Bhs.Reject.COMMAND_NOT_SUPPORTED);
            }
        }
    }

    /**
     * CmdSN ordering (§4.2.2.1, §3.2.2.1): immediate PDUs are handled at once; the others in
     * CmdSN order, held while a gap is open, silently dropped when outside the window.
     */
    private void admitNumbered(IscsiPdu pdu) {
        if (phase == Phase.LOGGING_OUT && pdu.opcode() != Opcode.NOP_OUT) {
            reject(pdu.header(), Bhs.Reject.WAITING_FOR_LOGOUT);
            return;
        }
        int cmdSn = pdu.int32(Bhs.ScsiCommand.CMDSN_OFFSET);
        if (pdu.immediate()) {
            dispatchNumbered(pdu, true);
            return;
        }
        CommandWindow window = session.window;
        switch (window.admit(cmdSn, pdu)) {
            case DELIVER -> {
                dispatchNumbered(pdu, false);
                dispatchHeldInOrder();
            }
            case HELD -> pdu.retain();
            case IGNORED -> log.debug("{}: CmdSN {} outside [{}, {}]; ignored", peer(),
                    Integer.toUnsignedString(cmdSn), Integer.toUnsignedString(window.expCmdSn()),
                    Integer.toUnsignedString(window.maxCmdSn()));
        }
    }

    /** Dispatch every held command that ExpCmdSN has reached. */
    private void dispatchHeldInOrder() {
        session.window.drainInOrder(held -> {
            IscsiPdu heldPdu = (IscsiPdu) held;
            try {
                dispatchNumbered(heldPdu, false);
            } finally {
                heldPdu.release();
            }
        });
    }

    private void dispatchNumbered(IscsiPdu pdu, boolean immediate) {
        switch (pdu.opcode()) {
            case Opcode.SCSI_COMMAND -> onScsiCommand(pdu, immediate);
            case Opcode.TASK_MGMT_REQUEST -> onTaskManagement(pdu, immediate);
            case Opcode.TEXT_REQUEST -> {
                numberedDone(immediate);
                onTextRequest(pdu);
            }
            case Opcode.LOGOUT_REQUEST -> onLogout(pdu, immediate);
            case Opcode.NOP_OUT -> {
                numberedDone(immediate);
                onNopOut(pdu);
            }
            default -> throw new IllegalStateException();
        }
    }

    /** A non-immediate PDU finished: its CmdSN slot is free (MaxCmdSN advances). */
    private void numberedDone(boolean immediate) {
        if (!immediate) {
            session.window.completed();
        }
    }

    private int expCmdSn() {
        return session.window.expCmdSn();
    }

    private int maxCmdSn() {
        return session.window.maxCmdSn();
    }

    // ---------------------------------------------------------------- SCSI Command (§11.3)

    private void onScsiCommand(IscsiPdu pdu, boolean immediate) {
        int flags = pdu.flags();
        int itt = pdu.itt();
        boolean read = (flags & Bhs.ScsiCommand.READ_BIT) != 0;
        boolean writeFlag = (flags & Bhs.ScsiCommand.WRITE_BIT) != 0;
        int edtl = pdu.int32(Bhs.ScsiCommand.EDTL_OFFSET);
        int immediateLength = pdu.data().readableBytes();

        if (session.type() != Session.Type.NORMAL) {
            // §6.3 / §13.21: a discovery session carries only Text, Logout and NOP.
            reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR);
            numberedDone(immediate);
            return;
        }
        if (itt == Bhs.RESERVED_TAG || tasks.containsKey(itt)) {
            reject(pdu.header(), itt == Bhs.RESERVED_TAG ? Bhs.Reject.INVALID_PDU_FIELD : Bhs.Reject.TASK_IN_PROGRESS);
            numberedDone(immediate);
            return;
        }
        // §11.3.4 / §13.11 / §13.14: immediate data only on writes, only when negotiated, within FirstBurstLength.
        if (immediateLength > 0 && (!writeFlag || !limits.immediateData()
                || immediateLength > limits.firstBurstLength()
                || Integer.compareUnsigned(immediateLength, edtl) > 0)) {
            log.warn("{}: SCSI Command itt=0x{} carries {} bytes of data not allowed here; rejecting", peer(),
                    Integer.toHexString(itt), immediateLength);
            reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR);
            numberedDone(immediate);
            return;
        }
        if (!writeFlag && !read && edtl != 0) {
            // §11.3.1: R and W both clear means no data transfer; EDTL must be 0.
            reject(pdu.header(), Bhs.Reject.INVALID_PDU_FIELD);
            numberedDone(immediate);
            return;
        }
        byte[] cdb = readCdb(pdu);
        if (cdb == null) {
            reject(pdu.header(), Bhs.Reject.INVALID_PDU_FIELD);
            numberedDone(immediate);
            return;
        }
        ScsiCommand.DataDirection direction = read && writeFlag ? ScsiCommand.DataDirection.BIDIRECTIONAL
                : read ? ScsiCommand.DataDirection.READ
                : writeFlag ? ScsiCommand.DataDirection.WRITE
                : ScsiCommand.DataDirection.NONE;
        long lunField = pdu.lunField();
        IscsiTask task = new IscsiTask(itt, pdu.int32(Bhs.ScsiCommand.CMDSN_OFFSET), immediate,
                LunAddressing.decode(lunField), lunField, cdb, attribute(flags & Bhs.ScsiCommand.ATTR_MASK),
                direction, edtl);
        tasks.put(itt, task);

        if (!task.writesData() || edtl == 0) {
            submit(task);
            return;
        }
        // Data-Out collection: the buffer is bounded by the transfer limit, whatever EDTL claims.
        long edtlUnsigned = Integer.toUnsignedLong(edtl);
        if (immediateLength == edtl && edtl <= IscsiServerContext.MAX_TRANSFER_BYTES) {
            // All the data came as immediate data (§13.11): no Data-Out can follow (every further
            // offset is past EDTL), so the command's own data segment is the buffer, uncopied.
            task.bufferLength = edtl;
            task.dataOut = pdu.data().retainedSlice();
            task.received = edtl;
            task.unsolicitedEnd = edtl;
            task.nextR2tOffset = edtl;
            submit(task);
            return;
        }
        task.bufferLength = (int) Math.min(edtlUnsigned, IscsiServerContext.MAX_TRANSFER_BYTES);
        if (!task.reserveData(dataOutBudget)) {
            // The connection already buffers as much Data-Out as it may: refuse this write with
            // TASK SET FULL (SAM-5 §5.3: the task set lacks resources and this nexus has other
            // tasks holding them) rather than hold its R2Ts: with ImmediateData or InitialR2T=No the
            // initiator sends data before any R2T, so deferring could not bound memory. Initiators
            // retry later and lower their queue depth. Unsolicited Data-Out for it is discarded.
            log.debug("{}: Data-Out buffer limit reached ({} bytes held); TASK SET FULL for itt=0x{}", peer(),
                    dataOutBudget.reserved(), Integer.toHexString(itt));
            tasks.remove(itt);
            numberedDone(immediate);
            sendResponse(task, ScsiStatus.TASK_SET_FULL, null, Bhs.ScsiResponse.UNDERFLOW_BIT, edtlUnsigned, 0);
            return;
        }
        task.dataOut = ctx.alloc().ioBuffer(task.bufferLength);
        task.dataOut.writerIndex(task.bufferLength);
        boolean finalBit = (flags & Bhs.FINAL_BIT) != 0;
        // §13.10 / §13.14: unsolicited data (immediate + Data-Out without R2T) up to FirstBurstLength.
        int unsolicitedLimit = (int) Math.min(edtlUnsigned, limits.firstBurstLength());
        if (immediateLength > 0) {
            storeData(task, 0, pdu.data());
        }
        if (!finalBit && !limits.initialR2T() && immediateLength < unsolicitedLimit) {
            task.unsolicitedPending = true;
            task.unsolicitedEnd = unsolicitedLimit;
        } else {
            task.unsolicitedEnd = immediateLength;
        }
        task.nextR2tOffset = task.unsolicitedEnd;
        if (task.nextR2tOffset > task.bufferLength) {
            task.nextR2tOffset = task.bufferLength;
        }
        sendR2ts(task);
        if (task.allDataReceived()) {
            submit(task);
        }
    }

    private static TaskAttribute attribute(int attr) {
        return switch (attr) {
            case 2 -> TaskAttribute.ORDERED;
            case 3 -> TaskAttribute.HEAD_OF_QUEUE;
            case 4 -> TaskAttribute.ACA;
            default -> TaskAttribute.SIMPLE; // 0 untagged and 1 simple (§11.3.1)
        };
    }

    /** The CDB: 16 bytes in the BHS plus an Extended CDB AHS when present (§11.2.2.3). */
    private static byte[] readCdb(IscsiPdu pdu) {
        ByteBuf header = pdu.header();
        ByteBuf ahs = pdu.ahs();
        int extra = 0;
        int extOffset = -1;
        for (int i = ahs.readerIndex(); i + 4 <= ahs.writerIndex(); ) {
            int ahsLength = ahs.getUnsignedShort(i);
            int type = ahs.getUnsignedByte(i + 2);
            if (ahsLength == 0 || i + 3 + ahsLength > ahs.writerIndex()) {
                return null;
            }
            if (type == Bhs.ScsiCommand.AHS_EXTENDED_CDB) {
                extOffset = i + 4;
                extra = ahsLength - 1; // the length counts the reserved byte (§11.2.2.3)
            }
            i += 4 + ((ahsLength - 1 + 3) & ~3);
        }
        byte[] cdb = new byte[Bhs.ScsiCommand.CDB_LENGTH + Math.max(0, extra)];
        header.getBytes(header.readerIndex() + Bhs.ScsiCommand.CDB_OFFSET, cdb, 0, Bhs.ScsiCommand.CDB_LENGTH);
        if (extOffset >= 0 && extra > 0) {
            ahs.getBytes(extOffset, cdb, Bhs.ScsiCommand.CDB_LENGTH, extra);
        }
        return cdb;
    }

    /** Copy a data segment to its buffer offset; bytes beyond the accepted buffer are discarded. */
    private static void storeData(IscsiTask task, int offset, ByteBuf data) {
        int length = data.readableBytes();
        if (offset < task.bufferLength) {
            int n = Math.min(length, task.bufferLength - offset);
            task.dataOut.setBytes(offset, data, data.readerIndex(), n);
        }
        task.received += length;
    }

    /** Issue R2Ts up to MaxOutstandingR2T, each at most MaxBurstLength (§13.13, §13.17). */
    private void sendR2ts(IscsiTask task) {
        while (task.outstandingR2ts < limits.maxOutstandingR2T() && task.nextR2tOffset < task.bufferLength) {
            int length = Math.min(limits.maxBurstLength(), task.bufferLength - task.nextR2tOffset);
            int ttt = allocateTtt();
            IscsiTask.Solicitation solicitation = new IscsiTask.Solicitation(task.nextR2tSn++, task.nextR2tOffset, length);
            task.solicit(ttt, solicitation);
            tasksByTtt.put(ttt, task);
            task.outstandingR2ts++;
            task.nextR2tOffset += length;
            write(HeaderBuilder.of(ctx.alloc(), Opcode.R2T, Bhs.FINAL_BIT)
                    .lun(task.lunField)
                    .itt(task.itt)
                    .int32(Bhs.R2t.TTT_OFFSET, ttt)
                    .int32(Bhs.R2t.STATSN_OFFSET, statSn) // §11.8.3: StatSN not advanced
                    .int32(Bhs.R2t.EXP_CMDSN_OFFSET, expCmdSn())
                    .int32(Bhs.R2t.MAX_CMDSN_OFFSET, maxCmdSn())
                    .int32(Bhs.R2t.R2TSN_OFFSET, solicitation.r2tSn)
                    .int32(Bhs.R2t.BUFFER_OFFSET_OFFSET, solicitation.offset)
                    .int32(Bhs.R2t.DESIRED_LENGTH_OFFSET, length)
                    .pdu(null));
        }
    }

    private int allocateTtt() {
        int ttt;
        do {
            ttt = nextTtt++;
            if (nextTtt == Bhs.RESERVED_TAG) {
                nextTtt = 1;
            }
        } while (ttt == Bhs.RESERVED_TAG || ttt == pingTtt || tasksByTtt.containsKey(ttt));
        return ttt;
    }

    // ---------------------------------------------------------------- SCSI Data-Out (§11.7)

    private void onDataOut(IscsiPdu pdu) {
        onDataOut(pdu, pdu.data().readableBytes(), false);
    }

    /**
     * @param length the data segment's length (taken from the header when the data was discarded)
     * @param digestFailed the data failed its digest and was discarded: account for it as received
     *     so the sequence stays in step, and end the task once all its data is in (RFC 7143 §7.8 b)
     */
    private void onDataOut(IscsiPdu pdu, int length, boolean digestFailed) {
        int itt = pdu.itt();
        int ttt = pdu.int32(Bhs.Data.TTT_OFFSET);
        int offset = pdu.int32(Bhs.Data.BUFFER_OFFSET_OFFSET);
        int dataSn = pdu.int32(Bhs.Data.DATASN_OFFSET);
        boolean finalBit = pdu.finalBit();
        IscsiTask task = tasks.get(itt);
        if (log.isTraceEnabled()) {
            log.trace("{}: Data-Out itt=0x{} ttt=0x{} offset={} length={} DataSN={} F={}", peer(),
                    Integer.toHexString(itt), Integer.toHexString(ttt), offset, length, dataSn, finalBit);
        }
        if (task == null || task.state != IscsiTask.State.RECEIVING_DATA) {
            // §11.7: data for a task that was aborted or already answered is discarded.
            log.debug("{}: Data-Out for unknown or finished itt=0x{} discarded", peer(), Integer.toHexString(itt));
            return;
        }
        if (offset < 0 || (long) offset + length > Integer.toUnsignedLong(task.expectedLength)) {
            protocolErrorInTask(pdu, task, TransportError.TOO_MUCH_WRITE_DATA, "Data-Out beyond the expected data transfer length");
            return;
        }
        if (ttt == Bhs.RESERVED_TAG) {
            // Unsolicited data (§13.10): within [immediate length, FirstBurstLength), F ends the sequence.
            if (!task.unsolicitedPending || offset + length > task.unsolicitedEnd) {
                protocolErrorInTask(pdu, task, TransportError.UNEXPECTED_UNSOLICITED_DATA, "unsolicited Data-Out not allowed here");
                return;
            }
            if (dataSn != task.unsolicitedDataSn++) {
                protocolErrorInTask(pdu, task, TransportError.DATA_PHASE_ERROR, "unsolicited Data-Out out of DataSN order");
                return;
            }
            storeOrDiscard(task, offset, length, pdu, digestFailed);
            if (finalBit) {
                task.unsolicitedPending = false;
            }
        } else {
            IscsiTask.Solicitation s = task.solicitation(ttt);
            if (s == null || tasksByTtt.get(ttt) != task) {
                protocolErrorInTask(pdu, task, TransportError.DATA_PHASE_ERROR, "Data-Out with an unknown Target Transfer Tag");
                return;
            }
            if (offset < s.offset || offset + length > s.offset + s.length || dataSn != s.nextDataSn++) {
                protocolErrorInTask(pdu, task, TransportError.DATA_OFFSET_ERROR, "Data-Out outside its R2T or out of DataSN order");
                return;
            }
            storeOrDiscard(task, offset, length, pdu, digestFailed);
            s.received += length;
            if (finalBit || s.received >= s.length) {
                if (s.received < s.length) {
                    protocolErrorInTask(pdu, task, TransportError.DATA_PHASE_ERROR, "solicited sequence ended short of the R2T's length");
                    return;
                }
                task.answered(ttt);
                tasksByTtt.remove(ttt);
                task.outstandingR2ts--;
                sendR2ts(task);
            }
        }
        if (task.allDataReceived()) {
            if (task.dataDigestFailed) {
                endWithDigestError(task);
            } else {
                submit(task);
            }
        }
    }

    private static void storeOrDiscard(IscsiTask task, int offset, int length, IscsiPdu pdu, boolean digestFailed) {
        if (digestFailed) {
            task.dataDigestFailed = true;
            task.received += length;
        } else {
            storeData(task, offset, pdu.data());
        }
    }

    /**
     * RFC 7143 §7.8 b): a task whose Data-Out failed a data digest ends, once all its data has
     * arrived, with CHECK CONDITION and ABORTED COMMAND / PROTOCOL SERVICE CRC ERROR (§13.5.1);
     * the initiator retries the command and the connection carries on.
     */
    private void endWithDigestError(IscsiTask task) {
        dropTaskData(task);
        task.state = IscsiTask.State.DONE;
        tasks.remove(task.itt);
        numberedDone(task.immediate);
        sendResponse(task, ScsiStatus.CHECK_CONDITION, TransportError.PROTOCOL_SERVICE_CRC_ERROR.sense(), 0, 0, 0);
    }

    /**
     * A Data-Out that breaks the rules of its task. Without error recovery (ErrorRecoveryLevel 0)
     * the task cannot be repaired, but the connection can go on: reject the PDU (§11.17), end the
     * task with CHECK CONDITION / ABORTED COMMAND (§11.4.7.2), and discard any Data-Out that
     * still arrives for it.
     */
    private void protocolErrorInTask(IscsiPdu pdu, IscsiTask task, TransportError error, String why) {
        log.warn("{}: {} (itt=0x{}); rejecting the PDU and ending the task", peer(), why, Integer.toHexString(task.itt));
        reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR);
        dropTaskData(task);
        task.state = IscsiTask.State.DONE;
        tasks.remove(task.itt);
        numberedDone(task.immediate);
        sendResponse(task, ScsiStatus.CHECK_CONDITION, error.sense(), 0, 0, 0);
    }

    private void dropTaskData(IscsiTask task) {
        task.clearSolicitations(forgetTtt);
        task.outstandingR2ts = 0;
        task.releaseData();
    }

    // ---------------------------------------------------------------- into the core and back

    private void submit(IscsiTask task) {
        task.state = IscsiTask.State.EXECUTING;
        task.clearSolicitations(forgetTtt);
        ByteBuf dataOut = task.dataOut;
        if (dataOut != null && task.received < task.bufferLength) {
            // The initiator ended its data early (F bit): pass only what arrived.
            dataOut.writerIndex(Math.min(task.received, task.bufferLength));
        }
        executing++;
        ScsiCommand command = new ScsiCommand(session.nexus(), task.lun, task.cdb, Integer.toUnsignedLong(task.itt),
                task.attribute, task.direction, task.expectedLength, dataOut, ctx.alloc());
        EventLoop loop = ctx.channel().eventLoop();
        Session owner = session;
        owner.target().core().submit(command, response -> {
            if (loop.inEventLoop()) {
                onCompletion(task, response);
            } else {
                task.response = response;
                completions.post(task);
            }
        });
    }

    private void onQueuedCompletion(IscsiTask task) {
        ScsiResponse response = task.response;
        task.response = null;
        if (!inReadRound) {
            // The batch's writes wait for endCompletionBatch's one flush.
            inReadRound = true;
            completionBatchOpen = true;
        }
        onCompletion(task, response);
    }

    private void endCompletionBatch() {
        if (completionBatchOpen) {
            completionBatchOpen = false;
            inReadRound = false;
            flushNow();
        }
    }

    private void onCompletion(IscsiTask task, ScsiResponse response) {
        executing--;
        task.releaseData();
        if (tasks.get(task.itt) == task) {
            tasks.remove(task.itt);
        }
        // Free the CmdSN slot first so the response already carries the advanced MaxCmdSN.
        numberedDone(task.immediate);
        boolean send = phase == Phase.FULL_FEATURE || phase == Phase.LOGGING_OUT;
        if (response.aborted() || task.state == IscsiTask.State.ABORTED || !send) {
            if (response.dataIn() != null) {
                response.dataIn().release();
            }
        } else {
            sendResult(task, response);
        }
        task.state = IscsiTask.State.DONE;
        afterTaskFinished();
    }

    private void afterTaskFinished() {
        if (phase == Phase.LOGGING_OUT && executing == 0 && pendingLogout != null) {
            IscsiPdu logout = pendingLogout;
            pendingLogout = null;
            try {
                answerLogout(logout);
            } finally {
                logout.release();
            }
        }
        if (session != null && session.state() == Session.State.DRAINING && executing == 0) {
            finishDraining();
        }
    }

    /**
     * Data-In PDUs and status (§11.7, §11.4). Each Data-In carries at most the initiator's
     * MaxRecvDataSegmentLength, each sequence at most MaxBurstLength (F ends a sequence); GOOD
     * status rides on the last Data-In (phase collapse, §11.7.3), anything with sense goes in a
     * SCSI Response. Residuals compare what the command produced with EDTL (§11.4.5).
     */
    private void sendResult(IscsiTask task, ScsiResponse response) {
        long edtl = Integer.toUnsignedLong(task.expectedLength);
        ByteBuf dataIn = response.dataIn();
        boolean readDirection = task.direction == ScsiCommand.DataDirection.READ
                || task.direction == ScsiCommand.DataDirection.BIDIRECTIONAL;
        // What the command would have transferred: Data-In it produced, else the CDB's Data-Out.
        long wanted;
        if (readDirection || (dataIn != null && dataIn.isReadable() && !task.writesData())) {
            wanted = dataIn == null ? 0 : dataIn.readableBytes();
        } else {
            wanted = Integer.toUnsignedLong(response.commandTransferLength());
        }
        int residualFlags = 0;
        long residual = 0;
        if (wanted > edtl) {
            residualFlags = Bhs.ScsiResponse.OVERFLOW_BIT;
            residual = wanted - edtl;
        } else if (wanted < edtl) {
            residualFlags = Bhs.ScsiResponse.UNDERFLOW_BIT;
            residual = edtl - wanted;
        }
        // Data-In only when the initiator declared a read (R bit, §11.3.1), at most EDTL of it.
        int toSend = dataIn == null || !readDirection ? 0 : (int) Math.min(dataIn.readableBytes(), edtl);
        boolean collapse = response.status() == ScsiStatus.GOOD && toSend > 0 && task.direction != ScsiCommand.DataDirection.BIDIRECTIONAL;
        int dataSn = 0;
        if (toSend > 0) {
            int maxSegment = limits.maxSendDataSegment();
            int burst = limits.maxBurstLength();
            int offset = 0;
            int base = dataIn.readerIndex();
            while (offset < toSend) {
                int inBurst = burst - (offset % burst);
                int length = Math.min(Math.min(maxSegment, toSend - offset), inBurst);
                boolean last = offset + length == toSend;
                boolean endOfSequence = last || length == inBurst;
                int flags = endOfSequence ? Bhs.FINAL_BIT : 0;
                HeaderBuilder h = HeaderBuilder.of(ctx.alloc(), Opcode.SCSI_DATA_IN, 0)
                        .lun(task.lunField)
                        .itt(task.itt)
                        .int32(Bhs.Data.TTT_OFFSET, Bhs.RESERVED_TAG)
                        .int32(Bhs.Data.EXP_CMDSN_OFFSET, expCmdSn())
                        .int32(Bhs.Data.MAX_CMDSN_OFFSET, maxCmdSn())
                        .int32(Bhs.Data.DATASN_OFFSET, dataSn++)
                        .int32(Bhs.Data.BUFFER_OFFSET_OFFSET, offset);
                if (last && collapse) {
                    flags |= Bhs.Data.STATUS_BIT | residualFlags;
                    h.u8(Bhs.Data.STATUS_OFFSET, response.status())
                            .int32(Bhs.Data.STATSN_OFFSET, nextStatSn())
                            .int32(Bhs.Data.RESIDUAL_OFFSET, (int) residual);
                }
                h.u8(Bhs.FLAGS_OFFSET, flags);
                ByteBuf segment;
                if (offset == 0 && length == dataIn.readableBytes()) {
                    segment = dataIn; // one PDU carries all of it: hand over our reference, no slice
                    dataIn = null;
                } else {
                    segment = dataIn.retainedSlice(base + offset, length);
                }
                write(h.pdu(segment));
                offset += length;
            }
        }
        if (dataIn != null) {
            dataIn.release();
        }
        if (!collapse) {
            sendResponse(task, response.status(), response.sense(), residualFlags, residual, dataSn);
        }
    }

    private void sendResponse(IscsiTask task, int status, byte[] sense, int residualFlags, long residual, int expDataSn) {
        ByteBuf data = Unpooled.EMPTY_BUFFER;
        if (sense != null && sense.length > 0) {
            // §11.4.7: SenseLength (2 bytes) then the sense data.
            data = ctx.alloc().ioBuffer(2 + sense.length);
            data.writeShort(sense.length);
            data.writeBytes(sense);
        }
        write(HeaderBuilder.of(ctx.alloc(), Opcode.SCSI_RESPONSE, Bhs.FINAL_BIT | residualFlags)
                .u8(Bhs.ScsiResponse.RESPONSE_OFFSET, Bhs.ScsiResponse.COMMAND_COMPLETED)
                .u8(Bhs.ScsiResponse.STATUS_OFFSET, status)
                .itt(task.itt)
                .int32(Bhs.ScsiResponse.STATSN_OFFSET, nextStatSn())
                .int32(Bhs.ScsiResponse.EXP_CMDSN_OFFSET, expCmdSn())
                .int32(Bhs.ScsiResponse.MAX_CMDSN_OFFSET, maxCmdSn())
                .int32(Bhs.ScsiResponse.EXP_DATASN_OFFSET, expDataSn)
                .int32(Bhs.ScsiResponse.RESIDUAL_OFFSET, (int) residual)
                .pdu(data));
    }

    // ---------------------------------------------------------------- task management (§11.5)

    private void onTaskManagement(IscsiPdu pdu, boolean immediate) {
        int function = pdu.flags() & Bhs.TaskManagement.FUNCTION_MASK;
        int itt = pdu.itt();
        int referencedTag = pdu.int32(Bhs.TaskManagement.REFERENCED_TASK_TAG_OFFSET);
        int refCmdSn = pdu.int32(Bhs.TaskManagement.REF_CMDSN_OFFSET);
        long lunField = pdu.lunField();
        int lun = LunAddressing.decode(lunField);
        int cmdSn = pdu.int32(Bhs.TaskManagement.CMDSN_OFFSET);

        if (session.type() != Session.Type.NORMAL) {
            reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR);
            numberedDone(immediate);
            return;
        }
        TaskManagementFunction fn = switch (function) {
            case Bhs.TaskManagement.ABORT_TASK -> TaskManagementFunction.ABORT_TASK;
            case Bhs.TaskManagement.ABORT_TASK_SET -> TaskManagementFunction.ABORT_TASK_SET;
            case Bhs.TaskManagement.CLEAR_ACA -> TaskManagementFunction.CLEAR_ACA;
            case Bhs.TaskManagement.CLEAR_TASK_SET -> TaskManagementFunction.CLEAR_TASK_SET;
            case Bhs.TaskManagement.LOGICAL_UNIT_RESET -> TaskManagementFunction.LOGICAL_UNIT_RESET;
            case Bhs.TaskManagement.TARGET_WARM_RESET -> TaskManagementFunction.TARGET_WARM_RESET;
            case Bhs.TaskManagement.TARGET_COLD_RESET -> TaskManagementFunction.TARGET_COLD_RESET;
            default -> null; // TASK REASSIGN needs ErrorRecoveryLevel 2 (§11.5.1)
        };
        if (fn == null) {
            int code = function == Bhs.TaskManagement.TASK_REASSIGN
                    ? Bhs.TaskManagement.REASSIGNMENT_NOT_SUPPORTED : Bhs.TaskManagement.FUNCTION_REJECTED;
            sendTmfResponse(itt, code);
            numberedDone(immediate);
            return;
        }
        if (fn == TaskManagementFunction.ABORT_TASK) {
            IscsiTask target = tasks.get(referencedTag);
            if (target == null) {
                // §11.5.1: a task not received (or held ahead of a CmdSN gap, not yet run) whose
                // RefCmdSN is within the window and before this TMF counts as received and aborted:
                // it never runs, the window stops waiting for it, and the answer is Function Complete.
                boolean notYetDelivered = SerialNumbers.inWindow(refCmdSn, expCmdSn(), maxCmdSn())
                        && SerialNumbers.lessThan(refCmdSn, cmdSn);
                Object held = notYetDelivered ? session.window.held(refCmdSn) : null;
                if (held != null && ((IscsiPdu) held).itt() != referencedTag) {
                    notYetDelivered = false; // that CmdSN holds another task: the referenced one does not exist
                }
                if (notYetDelivered) {
                    Object aborted = session.window.receivedAborted(refCmdSn);
                    if (aborted != null) {
                        ((IscsiPdu) aborted).release();
                    }
                }
                sendTmfResponse(itt, notYetDelivered ? Bhs.TaskManagement.FUNCTION_COMPLETE
                        : Bhs.TaskManagement.TASK_DOES_NOT_EXIST);
                numberedDone(immediate);
                if (notYetDelivered) {
                    dispatchHeldInOrder();
                }
                return;
            }
            if (target.state == IscsiTask.State.RECEIVING_DATA) {
                abortLocally(target);
                sendTmfResponse(itt, Bhs.TaskManagement.FUNCTION_COMPLETE);
                numberedDone(immediate);
                return;
            }
        } else if (fn != TaskManagementFunction.CLEAR_ACA) {
            // Tasks of this connection still collecting data never reached the core: abort them here.
            boolean allLuns = fn == TaskManagementFunction.TARGET_WARM_RESET || fn == TaskManagementFunction.TARGET_COLD_RESET;
            for (IscsiTask t : new ArrayList<>(tasks.values())) {
                if (t.state == IscsiTask.State.RECEIVING_DATA && (allLuns || t.lun == lun)) {
                    abortLocally(t);
                }
            }
        }
        EventLoop loop = ctx.channel().eventLoop();
        TaskManagementRequest request = new TaskManagementRequest(session.nexus(), lun, fn,
                Integer.toUnsignedLong(referencedTag));
        session.target().core().taskManagement(request, response -> {
            Runnable answer = () -> {
                if (phase == Phase.FULL_FEATURE || phase == Phase.LOGGING_OUT) {
                    sendTmfResponse(itt, tmfCode(response));
                    if (fn == TaskManagementFunction.TARGET_COLD_RESET) {
                        // §11.5.1: after a cold reset the target drops all connections.
                        ctx.flush();
                        ctx.close();
                    }
                }
                numberedDone(immediate);
            };
            if (loop.inEventLoop()) {
                answer.run();
            } else {
                loop.execute(answer);
            }
        });
    }

    private void abortLocally(IscsiTask task) {
        dropTaskData(task);
        task.state = IscsiTask.State.ABORTED;
        tasks.remove(task.itt);
        numberedDone(task.immediate);
    }

    private static int tmfCode(TaskManagementResponse response) {
        return switch (response) {
            case FUNCTION_COMPLETE, FUNCTION_SUCCEEDED -> Bhs.TaskManagement.FUNCTION_COMPLETE;
            case TASK_DOES_NOT_EXIST -> Bhs.TaskManagement.TASK_DOES_NOT_EXIST;
            case INCORRECT_LOGICAL_UNIT_NUMBER -> Bhs.TaskManagement.LUN_DOES_NOT_EXIST;
            case FUNCTION_REJECTED -> Bhs.TaskManagement.FUNCTION_NOT_SUPPORTED;
            case SERVICE_DELIVERY_OR_TARGET_FAILURE -> Bhs.TaskManagement.FUNCTION_REJECTED;
        };
    }

    private void sendTmfResponse(int itt, int code) {
        write(HeaderBuilder.of(ctx.alloc(), Opcode.TASK_MGMT_RESPONSE, Bhs.FINAL_BIT)
                .u8(Bhs.TaskManagement.RESPONSE_OFFSET, code)
                .itt(itt)
                .int32(Bhs.TaskManagement.STATSN_OFFSET, nextStatSn())
                .int32(Bhs.TaskManagement.EXP_CMDSN_OFFSET, expCmdSn())
                .int32(Bhs.TaskManagement.MAX_CMDSN_OFFSET, maxCmdSn())
                .pdu(null));
    }

    // ---------------------------------------------------------------- NOP (§11.18, §11.19)

    private void onNopOut(IscsiPdu pdu) {
        int itt = pdu.itt();
        int ttt = pdu.int32(Bhs.Nop.TTT_OFFSET);
        if (ttt != Bhs.RESERVED_TAG) {
            // The answer to our ping (§11.18.3).
            if (ttt == pingTtt) {
                pingTtt = Bhs.RESERVED_TAG;
            }
            return;
        }
        if (itt == Bhs.RESERVED_TAG) {
            return; // a NOP-Out that asks for no answer
        }
        // Echo the ping data, at most what the initiator can receive (§11.19.2).
        ByteBuf data = pdu.data();
        int n = Math.min(data.readableBytes(), limits.maxSendDataSegment());
        write(HeaderBuilder.of(ctx.alloc(), Opcode.NOP_IN, Bhs.FINAL_BIT)
                .lun(pdu.lunField())
                .itt(itt)
                .int32(Bhs.Nop.TTT_OFFSET, Bhs.RESERVED_TAG)
                .int32(Bhs.Nop.STATSN_OFFSET, nextStatSn())
                .int32(Bhs.Nop.EXP_CMDSN_OFFSET, expCmdSn())
                .int32(Bhs.Nop.MAX_CMDSN_OFFSET, maxCmdSn())
                .pdu(n == 0 ? null : data.retainedSlice(data.readerIndex(), n)));
    }

    /** Ping an idle initiator; drop the connection when a ping goes unanswered too long. */
    private void checkLiveness() {
        if (phase != Phase.FULL_FEATURE) {
            return;
        }
        long now = System.nanoTime();
        if (pingTtt != Bhs.RESERVED_TAG) {
            if (now - pingSentNanos > server.limits().nopInTimeout().toNanos()) {
                log.warn("{}: no answer to NOP-In for {}; closing {}", peer(), server.limits().nopInTimeout(),
                        session.describe());
                ctx.close();
            }
            return;
        }
        if (now - lastReceiveNanos >= server.limits().nopInInterval().toNanos()) {
            pingTtt = allocateTtt();
            pingSentNanos = now;
            write(HeaderBuilder.of(ctx.alloc(), Opcode.NOP_IN, Bhs.FINAL_BIT)
                    .itt(Bhs.RESERVED_TAG)
                    .int32(Bhs.Nop.TTT_OFFSET, pingTtt)
                    .int32(Bhs.Nop.STATSN_OFFSET, statSn) // §11.19.1: not advanced for a ping
                    .int32(Bhs.Nop.EXP_CMDSN_OFFSET, expCmdSn())
                    .int32(Bhs.Nop.MAX_CMDSN_OFFSET, maxCmdSn())
                    .pdu(null));
        }
    }

    // ---------------------------------------------------------------- Text (§11.10, §11.11)

    private final TextExchange text = new TextExchange();

    private void onTextRequest(IscsiPdu pdu) {
        text.onRequest(this, server, session, pdu);
    }

    void sendText(int itt, int ttt, boolean finalBit, boolean continueBit, long lunField, ByteBuf data) {
        int flags = (finalBit ? Bhs.FINAL_BIT : 0) | (continueBit ? Bhs.Text.CONTINUE_BIT : 0);
        write(HeaderBuilder.of(ctx.alloc(), Opcode.TEXT_RESPONSE, flags)
                .lun(lunField)
                .itt(itt)
                .int32(Bhs.Text.TTT_OFFSET, ttt)
                .int32(Bhs.Text.STATSN_OFFSET, nextStatSn())
                .int32(Bhs.Text.EXP_CMDSN_OFFSET, expCmdSn())
                .int32(Bhs.Text.MAX_CMDSN_OFFSET, maxCmdSn())
                .pdu(data));
    }

    TransferLimits limits() {
        return limits;
    }

    void updateParameters(io.jtarget.iscsi.login.NegotiatedParameters updated) {
        session.updateParameters(updated);
        limits = TransferLimits.from(updated);
    }

    // ---------------------------------------------------------------- Logout (§11.14, §11.15)

    private void onLogout(IscsiPdu pdu, boolean immediate) {
        int reason = pdu.flags() & Bhs.Logout.REASON_MASK;
        if (reason == Bhs.Logout.REASON_REMOVE_FOR_RECOVERY) {
            // Connection recovery needs ErrorRecoveryLevel 2 (§11.14.1).
            sendLogoutResponse(pdu.itt(), Bhs.Logout.RESPONSE_RECOVERY_NOT_SUPPORTED, immediate);
            return;
        }
        if (reason != Bhs.Logout.REASON_CLOSE_SESSION && reason != Bhs.Logout.REASON_CLOSE_CONNECTION) {
            reject(pdu.header(), Bhs.Reject.INVALID_PDU_FIELD);
            numberedDone(immediate);
            return;
        }
        phase = Phase.LOGGING_OUT;
        // Tasks still waiting for Data-Out will never get it once the initiator logs out.
        for (IscsiTask t : new ArrayList<>(tasks.values())) {
            if (t.state == IscsiTask.State.RECEIVING_DATA) {
                abortLocally(t);
            }
        }
        if (executing > 0) {
            pendingLogout = pdu.retain();
            return;
        }
        answerLogout(pdu);
    }

    private void answerLogout(IscsiPdu pdu) {
        boolean immediate = pdu.immediate();
        log.info("logout: {} from {}", session.describe(), peer());
        sendLogoutResponse(pdu.itt(), Bhs.Logout.RESPONSE_SUCCESS, immediate);
        startDraining("logout");
        ctx.flush();
        // §11.15: the initiator closes after the response; close our side once it is written.
        phase = Phase.CLOSED;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void sendLogoutResponse(int itt, int response, boolean immediate) {
        numberedDone(immediate);
        write(HeaderBuilder.of(ctx.alloc(), Opcode.LOGOUT_RESPONSE, Bhs.FINAL_BIT)
                .u8(Bhs.Logout.RESPONSE_OFFSET, response)
                .itt(itt)
                .int32(Bhs.Logout.STATSN_OFFSET, nextStatSn())
                .int32(Bhs.Logout.EXP_CMDSN_OFFSET, expCmdSn())
                .int32(Bhs.Logout.MAX_CMDSN_OFFSET, maxCmdSn())
                // Time2Wait/Time2Retain: 0 at ErrorRecoveryLevel 0 (§11.15.2, §11.15.3)
                .pdu(null));
    }

    /** Ask the initiator to log out (§11.9.1 AsyncEvent 1), used on server shutdown. */
    public void requestLogout(int time2WaitSeconds) {
        EventLoop loop = ctx.channel().eventLoop();
        loop.execute(() -> {
            if (phase != Phase.FULL_FEATURE) {
                return;
            }
            write(HeaderBuilder.of(ctx.alloc(), Opcode.ASYNC_MESSAGE, Bhs.FINAL_BIT)
                    .itt(Bhs.RESERVED_TAG)
                    .int32(Bhs.Async.STATSN_OFFSET, nextStatSn())
                    .int32(Bhs.Async.EXP_CMDSN_OFFSET, expCmdSn())
                    .int32(Bhs.Async.MAX_CMDSN_OFFSET, maxCmdSn())
                    .u8(Bhs.Async.EVENT_OFFSET, Bhs.Async.EVENT_TARGET_REQUESTS_LOGOUT)
                    .u16(Bhs.Async.PARAMETER3_OFFSET, time2WaitSeconds)
                    .pdu(null));
        });
    }

    // ---------------------------------------------------------------- draining (seed 004)

    private void startDraining(String why) {
        if (session == null || session.state() != Session.State.FULL_FEATURE) {
            return;
        }
        session.transition(Session.State.DRAINING, why);
        for (IscsiTask t : new ArrayList<>(tasks.values())) {
            if (t.state == IscsiTask.State.RECEIVING_DATA) {
                dropTaskData(t);
                t.state = IscsiTask.State.ABORTED;
                tasks.remove(t.itt);
            }
        }
        session.window.drainHeld(held -> ((IscsiPdu) held).release());
        session.releaseNexus();
        if (executing == 0) {
            finishDraining();
        }
    }

    private void finishDraining() {
        session.transition(Session.State.CLOSED, "drained");
        server.sessions().remove(session);
    }

    /** Session reinstatement (§6.3.5): another login replaces this session; close it on our loop. */
    void closeForReinstatement() {
        EventLoop loop = ctx.channel().eventLoop();
        loop.execute(() -> {
            if (phase != Phase.CLOSED) {
                log.info("session reinstated by a new login: closing {} from {}", session.describe(), peer());
                ctx.close();
            }
        });
    }

    boolean isIdle() {
        return executing == 0 && tasks.isEmpty();
    }

    // ---------------------------------------------------------------- Reject (§11.17)

    private void onDecodeError(PduDecoder.DecodeError error) {
        if (phase == Phase.LOGIN) {
            log.warn("{}: {} during login; closing", peer(), error.kind());
            ctx.close();
            return;
        }
        int opcode = error.header().getByte(error.header().readerIndex()) & Bhs.OPCODE_MASK;
        if (error.kind() == PduDecoder.DecodeError.Kind.DATA_DIGEST_ERROR && opcode == Opcode.SCSI_DATA_OUT
                && phase == Phase.FULL_FEATURE) {
            // RFC 7143 §7.8: Reject and discard the data; the header (its digest checked) still places
            // the PDU in its sequence, and the task ends with a retryable error once its data is in.
            log.warn("{}: data digest error on Data-Out itt=0x{}; rejecting it and ending that task", peer(),
                    Integer.toHexString(error.header().getInt(error.header().readerIndex() + Bhs.ITT_OFFSET)));
            reject(error.header(), Bhs.Reject.DATA_DIGEST_ERROR);
            IscsiPdu headerOnly = IscsiPdu.of(error.header().retain(), null);
            try {
                onDataOut(headerOnly, error.header().getUnsignedMedium(
                        error.header().readerIndex() + Bhs.DATA_SEGMENT_LENGTH_OFFSET), true);
            } finally {
                headerOnly.release();
            }
            return;
        }
        int reason = error.kind() == PduDecoder.DecodeError.Kind.DATA_DIGEST_ERROR
                ? Bhs.Reject.DATA_DIGEST_ERROR : Bhs.Reject.PROTOCOL_ERROR;
        log.warn("{}: {} on {}; rejecting", peer(), error.kind(), Opcode.name(opcode));
        reject(error.header(), reason);
        // A lost command (or a PDU we cannot place) is not recovered at ErrorRecoveryLevel 0
        // (§7.1.1): the session must be recovered, so drop the connection after the Reject.
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        phase = Phase.CLOSED;
    }

    /** Reject a PDU, returning its header as the data (§11.17). */
    void reject(ByteBuf rejectedHeader, int reason) {
        ByteBuf copy = ctx.alloc().ioBuffer(Bhs.LENGTH);
        copy.writeBytes(rejectedHeader, rejectedHeader.readerIndex(), Bhs.LENGTH);
        boolean haveSession = session != null;
        write(HeaderBuilder.of(ctx.alloc(), Opcode.REJECT, Bhs.FINAL_BIT)
                .u8(Bhs.Reject.REASON_OFFSET, reason)
                .itt(Bhs.RESERVED_TAG)
                .int32(Bhs.Reject.STATSN_OFFSET, nextStatSn())
                .int32(Bhs.Reject.EXP_CMDSN_OFFSET, haveSession ? expCmdSn() : 0)
                .int32(Bhs.Reject.MAX_CMDSN_OFFSET, haveSession ? maxCmdSn() : 0)
                .pdu(copy));
    }

    // ---------------------------------------------------------------- flushing

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.channel().eventLoop().execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        ctx.flush();
    }
}
