package io.jtarget.iser;

import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.login.TransportKeyRules;
import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.iscsi.transport.ConnectionLoop;
import io.jtarget.iscsi.transport.EventLoopConnectionLoop;
import io.jtarget.iscsi.transport.IscsiTransport;
import io.jtarget.iscsi.transport.TransferTask;
import io.jtarget.iscsi.transport.TransportHandler;
import io.jtarget.net.CompletionQueue;
import io.jtarget.rdma.RdmaBufferPool;
import io.jtarget.rdma.RdmaConnection;
import io.jtarget.rdma.RegisteredBuffer;
import io.jtarget.rdma.SendChain;
import io.jtarget.scsi.TransportError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.collection.IntObjectHashMap;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * iSCSI over one RDMA reliable connection (iSER, RFC 7145): the {@link IscsiTransport} of the
 * protocol core on top of an {@link RdmaConnection}.
 *
 * <p>In: each RDMA Send carries an iSER header and one iSCSI control-type PDU; the STags a SCSI
 * command advertises are kept by ITT until the task ends. The PDU is copied out of the receive
 * buffer (header, and immediate data of at most TargetRecvDataSegmentLength) so the receive goes
 * back to the initiator at once and no receive buffer outlives the connection.
 *
 * <p>Out: PDUs are copied into registered send buffers behind an iSER header; Data-In is an
 * RDMA Write from the SCSI core's own (registered) buffer to the initiator's read STag, and
 * solicited Data-Out an RDMA Read from its write STag into the task's registered buffer, so
 * neither R2T, Data-Out nor Data-In PDUs appear (RFC 7145 §7). Everything queued in one loop
 * round leaves in one chain of work requests, one {@code ibv_post_send}, in order: a SCSI
 * Response always follows the RDMA Write of its data on the same queue pair, which the
 * reliable connection delivers first.
 *
 * <p>Send completions arrive in posting order, so one FIFO of posted operations is retired up to
 * each signaled completion: only the last request of a chain and every RDMA Read are signaled.
 *
 * <p>Threads: everything runs on the connection's loop but {@code completions().post}.
 */
final class IserTransport implements IscsiTransport, RdmaConnection.Handler {
    private static final Logger log = LoggerFactory.getLogger(IserTransport.class);

    private static final int CONTROL_HEADERS = IserHeader.LENGTH + Bhs.LENGTH;
    /** Retry delay when every shared send buffer is in use (rare: the pool covers the command windows). */
    private static final long SEND_BUFFER_RETRY_MICROS = 200;

    private enum Kind { SEND, RDMA_WRITE, RDMA_READ }

    /** One work request, queued then posted. */
    private static final class Op {
        final Kind kind;
        long seq;
        IscsiPdu pdu;
        RegisteredBuffer sendChunk;
        int sendLength;
        ByteBuf data;
        RegisteredDataAllocator.Placement at;
        int length;
        long remoteAddress;
        int rkey;
        TransferTask task;
        int taskOffset;
        /** An RDMA Read into a bounce chunk: copied into the task's buffer on completion. */
        boolean bounced;
        boolean cancelled;

        Op(Kind kind) {
            this.kind = kind;
        }
    }

    /** What a SCSI command's iSER header advertised. */
    private record Stags(RemoteBuffer write, RemoteBuffer read) {}

    private final EventLoop eventLoop;
    private final ConnectionLoop loop;
    private final RegisteredDataAllocator data;
    private final RdmaBufferPool sendPool;
    private final IserKeyRules keys;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final IntObjectHashMap<Stags> stags = new IntObjectHashMap<>();
    private final ArrayDeque<Op> queued = new ArrayDeque<>();
    private final ArrayDeque<Op> posted = new ArrayDeque<>();
    private final Runnable flushTask = this::flush;

    private RdmaConnection connection;
    private TransportHandler handler;
    private long nextSeq;
    private boolean flushScheduled;
    private boolean closeWhenSent;
    private boolean closed;
    private long commands;

    IserTransport(EventLoop eventLoop, RegisteredDataAllocator data, RdmaBufferPool sendPool, IserKeyRules keys,
            InetSocketAddress local, InetSocketAddress remote) {
        this.eventLoop = eventLoop;
        this.loop = new EventLoopConnectionLoop(eventLoop);
        this.data = data;
        this.sendPool = sendPool;
        this.keys = keys;
        this.local = local;
        this.remote = remote;
    }

    /** Wires the protocol core and the accepted connection; on the loop, before any event. */
    void attach(TransportHandler protocol, RdmaConnection accepted) {
        this.handler = protocol;
        this.connection = accepted;
        protocol.onConnected();
    }

    /** SCSI commands received (for per-I/O counts). */
    long commands() {
        return commands;
    }

    // ---------------------------------------------------------------- RDMA events

    @Override
    public void onEstablished(RdmaConnection c) {
        log.info("iSER connection from {} established", remote);
        flush();
    }

    @Override
    public void onReceive(RdmaConnection c, RdmaConnection.Received message) {
        if (closed) {
            return;
        }
        ByteBuf in = message.byteBuf();
        int length = message.length();
        if (length < CONTROL_HEADERS) {
            protocolError("a Send of " + length + " bytes is shorter than the iSER and iSCSI headers");
            return;
        }
        int opcode = IserHeader.opcode(in, 0);
        if (opcode != IserHeader.OPCODE_ISCSI_CONTROL) {
            // Hello/HelloReply belong to fabrics without CM private data (iWARP); this target
            // settles the iSER parameters in the CM exchange.
            protocolError(String.format("iSER opcode 0x%02x is not an iSCSI control PDU", opcode));
            return;
        }
        int bhs = IserHeader.LENGTH;
        int ahsLength = in.getUnsignedByte(bhs + Bhs.TOTAL_AHS_LENGTH_OFFSET) * 4;
        int dataLength = in.getUnsignedMedium(bhs + Bhs.DATA_SEGMENT_LENGTH_OFFSET);
        if ((long) CONTROL_HEADERS + ahsLength + dataLength > length) {
            protocolError("PDU of " + (CONTROL_HEADERS + ahsLength + dataLength) + " bytes in a Send of " + length);
            return;
        }
        ByteBuf header = alloc.ioBuffer(Bhs.LENGTH).writeBytes(in, bhs, Bhs.LENGTH);
        ByteBuf ahs = ahsLength == 0 ? io.netty.buffer.Unpooled.EMPTY_BUFFER
                : alloc.ioBuffer(ahsLength).writeBytes(in, CONTROL_HEADERS, ahsLength);
        ByteBuf segment = dataLength == 0 ? io.netty.buffer.Unpooled.EMPTY_BUFFER
                : alloc.ioBuffer(dataLength).writeBytes(in, CONTROL_HEADERS + ahsLength, dataLength);
        IscsiPdu pdu = new IscsiPdu(header, ahs, segment);
        try {
            if (pdu.opcode() == Opcode.SCSI_COMMAND) {
                commands++;
                RemoteBuffer write = IserHeader.writeValid(in, 0) ? IserHeader.writeBuffer(in, 0) : null;
                RemoteBuffer read = IserHeader.readValid(in, 0) ? IserHeader.readBuffer(in, 0) : null;
                if (write != null || read != null) {
                    stags.put(pdu.itt(), new Stags(write, read));
                }
            }
            handler.onPdu(pdu);
        } finally {
            pdu.release();
        }
    }

    @Override
    public void onSendCompleted(RdmaConnection c, long cookie, int status) {
        while (!posted.isEmpty() && posted.peek().seq <= cookie) {
            retire(posted.poll(), status);
        }
        if (!queued.isEmpty()) {
            flush();
        }
        closeIfSent();
    }

    @Override
    public void onWritable(RdmaConnection c) {
        flush();
    }

    @Override
    public void onDisconnecting(RdmaConnection c, String reason) {
        log.info("iSER connection from {} closing: {}", remote, reason);
        closeProtocol();
    }

    @Override
    public void onReleased(RdmaConnection c) {
        closeProtocol();
        // No work request can touch memory any more: give back what the posted ones held.
        while (!posted.isEmpty()) {
            retire(posted.poll(), -1);
        }
        stags.clear();
        log.debug("iSER connection from {} released: {} SCSI commands; {}", remote, commands, c.counters().snapshot());
    }

    private void closeProtocol() {
        if (closed) {
            return;
        }
        closed = true;
        for (Op op : queued) {
            drop(op);
        }
        queued.clear();
        handler.onClosed();
    }

    // ---------------------------------------------------------------- IscsiTransport

    @Override
    public ConnectionLoop loop() {
        return loop;
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    public ByteBufAllocator dataAllocator() {
        return data;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public String peer() {
        return remote == null ? "(unknown)" : remote.getAddress().getHostAddress() + ":" + remote.getPort() + " (iSER)";
    }

    @Override
    public TransportKeyRules loginKeys() {
        return keys;
    }

    @Override
    public void send(IscsiPdu pdu) {
        if (closed) {
            pdu.release();
            return;
        }
        Op op = new Op(Kind.SEND);
        op.pdu = pdu;
        enqueue(op);
    }

    @Override
    public void close() {
        RdmaConnection c = connection;
        if (c != null) {
            c.disconnect("closed by the target");
        }
    }

    @Override
    public void closeAfterSending() {
        closeWhenSent = true;
        flush();
        closeIfSent();
    }

    @Override
    public void enterFullFeature(NegotiatedParameters parameters) {
        if (!IserKeyRules.rdmaExtensionsAgreed(parameters.sessionType(), parameters.transportKeys())) {
            // RFC 7145 §5.1: a queue pair carries no TCP streaming mode to fall back to.
            log.warn("{}: login ended without RDMAExtensions=Yes; closing the iSER connection", peer());
            close();
        }
    }

    @Override
    public void parametersChanged(NegotiatedParameters parameters) {
        // Control-type PDU lengths are fixed at login (RFC 7145 §6.4, §6.5: initialize only).
    }

    @Override
    public void fetchDataOut(TransferTask task, int offset, int length) {
        if (closed) {
            return;
        }
        Stags s = stagsOf(task);
        if (s == null || s.write() == null) {
            // RFC 7145 §7: solicited data is read from the buffer the command advertised (WSV).
            protocolError(String.format("itt=0x%08x needs %d solicited bytes but advertised no write STag",
                    task.itt(), length));
            return;
        }
        Op op = new Op(Kind.RDMA_READ);
        op.task = task;
        op.taskOffset = offset;
        op.length = length;
        // Linux ib_iser advertises the address of the first solicited byte (its buffer + the
        // unsolicited length), and the core fetches exactly from there.
        op.remoteAddress = s.write().baseOffset();
        op.rkey = s.write().stag();
        op.data = task.dataOutBuffer().retain();
        op.at = RegisteredDataAllocator.placement(op.data, offset, length);
        if (op.at == null) {
            ByteBuf bounce = data.registered(length);
            if (bounce == null) {
                op.data.release();
                memoryExhausted(length);
                return;
            }
            data.countBounce();
            op.bounced = true;
            op.data.release();
            op.data = bounce;
            op.at = RegisteredDataAllocator.placement(bounce, 0, length);
        }
        enqueue(op);
    }

    @Override
    public TransportError solicitedDataOut(TransferTask task, IscsiPdu pdu, int length, boolean digestFailed) {
        // RFC 7145 §7: the target never sends R2Ts, so no Data-Out may answer one.
        return TransportError.DATA_OFFSET_ERROR;
    }

    @Override
    public void cancelDataOut(TransferTask task) {
        for (Iterator<Op> it = queued.iterator(); it.hasNext(); ) {
            Op op = it.next();
            if (op.kind == Kind.RDMA_READ && op.task == task) {
                it.remove();
                drop(op);
            }
        }
        // One in flight still lands in the buffer it retains; its completion is ignored.
        for (Op op : posted) {
            if (op.kind == Kind.RDMA_READ && op.task == task) {
                op.cancelled = true;
            }
        }
    }

    @Override
    public void taskEnded(TransferTask task) {
        // The core forgets a task just before it answers it: the STags move to the task itself,
        // where sendDataIn still finds them, and the ITT is free for the initiator to reuse.
        Stags s = stags.remove(task.itt());
        if (s != null) {
            task.transportState(s);
        }
    }

    private Stags stagsOf(TransferTask task) {
        return task.transportState() instanceof Stags s ? s : stags.get(task.itt());
    }

    @Override
    public int sendDataIn(TransferTask task, ByteBuf buf, int length, boolean collapseStatus, int status,
            int residualFlags, int residual) {
        if (closed) {
            buf.release();
            return 0;
        }
        Stags s = stagsOf(task);
        if (s == null || s.read() == null) {
            buf.release();
            protocolError(String.format("itt=0x%08x has %d bytes of Data-In but advertised no read STag",
                    task.itt(), length));
            return 0;
        }
        Op op = new Op(Kind.RDMA_WRITE);
        op.length = length;
        op.remoteAddress = s.read().baseOffset();
        op.rkey = s.read().stag();
        op.data = buf;
        op.at = RegisteredDataAllocator.placement(buf, buf.readerIndex(), length);
        if (op.at == null) {
            ByteBuf bounce = data.registered(length);
            if (bounce == null) {
                buf.release();
                memoryExhausted(length);
                return 0;
            }
            data.countBounce();
            bounce.writeBytes(buf, buf.readerIndex(), length);
            buf.release();
            op.data = bounce;
            op.at = RegisteredDataAllocator.placement(bounce, 0, length);
        }
        enqueue(op);
        // RFC 7145 §7: the SCSI Response follows the RDMA Write; no Data-In PDU was numbered.
        return 0;
    }

    @Override
    public <T> CompletionSink<T> completions(Consumer<T> completionHandler) {
        CompletionQueue<T> queue = new CompletionQueue<>(loop, completionHandler, this::flush);
        return queue::post;
    }

    // ---------------------------------------------------------------- posting

    private void enqueue(Op op) {
        queued.add(op);
        if (!flushScheduled) {
            // Everything this loop round queues leaves in one chain.
            flushScheduled = true;
            eventLoop.execute(flushTask);
        }
    }

    /** Posts queued work in chains of at most {@link SendChain#MAX_WRS}, as send slots allow. */
    private void flush() {
        flushScheduled = false;
        RdmaConnection c = connection;
        if (c == null || closed || c.state() != RdmaConnection.State.LIVE) {
            return;
        }
        while (!queued.isEmpty()) {
            int count = Math.min(Math.min(queued.size(), SendChain.MAX_WRS), c.sendSlotsFree());
            if (count == 0) {
                return; // onWritable follows
            }
            // PDUs get their send buffers first, so the chain's last request is known and signaled.
            int ready = 0;
            for (Op op : queued) {
                if (ready == count) {
                    break;
                }
                if (op.kind == Kind.SEND && op.sendChunk == null) {
                    if (controlLength(op.pdu) > sendPool.chunkSize()) {
                        // The core sizes data segments by the negotiated lengths; a larger one is a bug.
                        log.error("{}: a {} of {} bytes exceeds the iSER send buffer ({} bytes)", peer(),
                                Opcode.name(op.pdu.opcode()), controlLength(op.pdu), sendPool.chunkSize());
                        close();
                        return;
                    }
                    if (!serialize(op)) {
                        break;
                    }
                }
                ready++;
            }
            if (ready == 0) {
                // Every shared send buffer of the device is in use: try again shortly.
                eventLoop.schedule(flushTask, SEND_BUFFER_RETRY_MICROS, TimeUnit.MICROSECONDS);
                return;
            }
            SendChain chain = c.chain();
            Iterator<Op> it = queued.iterator();
            for (int i = 0; i < ready; i++) {
                Op op = it.next();
                op.seq = nextSeq + i;
                int flags = i == ready - 1 || op.kind == Kind.RDMA_READ ? SendChain.SIGNALED : 0;
                switch (op.kind) {
                    case SEND -> chain.add(op.sendChunk, 0, op.sendLength).send(op.seq, flags);
                    case RDMA_WRITE -> chain.add(op.at.chunk(), op.at.offset(), op.length)
                            .rdmaWrite(op.remoteAddress, op.rkey, op.seq, flags);
                    case RDMA_READ -> chain.add(op.at.chunk(), op.at.offset(), op.length)
                            .rdmaRead(op.remoteAddress, op.rkey, op.seq, flags);
                }
            }
            if (!chain.post()) {
                return; // not LIVE any more, or slots vanished: onWritable / onDisconnecting follow
            }
            nextSeq += ready;
            for (int i = 0; i < ready; i++) {
                posted.add(queued.poll());
            }
        }
    }

    private static int controlLength(IscsiPdu pdu) {
        return CONTROL_HEADERS + pdu.ahs().readableBytes() + pdu.data().readableBytes();
    }

    /** Copies a PDU behind an iSER header into a registered send buffer; false when none is free. */
    private boolean serialize(Op op) {
        IscsiPdu pdu = op.pdu;
        ByteBuf header = pdu.header();
        ByteBuf pduData = pdu.data();
        int dataLength = pduData.readableBytes();
        int ahsLength = pdu.ahs().readableBytes();
        RegisteredBuffer chunk = sendPool.allocate();
        if (chunk == null) {
            return false;
        }
        ByteBuf out = chunk.byteBuf();
        IserHeader.writeTargetControl(out, 0);
        out.writerIndex(IserHeader.LENGTH);
        out.writeBytes(header, header.readerIndex(), Bhs.LENGTH);
        out.setMedium(IserHeader.LENGTH + Bhs.DATA_SEGMENT_LENGTH_OFFSET, dataLength);
        out.writeBytes(pdu.ahs(), pdu.ahs().readerIndex(), ahsLength);
        // Like LIO's isert, no padding: the Send's length delimits the PDU.
        out.writeBytes(pduData, pduData.readerIndex(), dataLength);
        op.sendChunk = chunk;
        op.sendLength = controlLength(pdu);
        pdu.release();
        op.pdu = null;
        return true;
    }

    /** A posted request is done (status 0), failed, or flushed (the connection is going). */
    private void retire(Op op, int status) {
        switch (op.kind) {
            case SEND -> op.sendChunk.release();
            case RDMA_WRITE -> op.data.release();
            case RDMA_READ -> {
                if (status == 0 && !op.cancelled && !closed) {
                    if (op.bounced) {
                        op.task.dataOutBuffer().setBytes(op.taskOffset, op.data, 0, op.length);
                    }
                    op.data.release();
                    handler.dataOutFetched(op.task);
                } else {
                    op.data.release();
                }
            }
        }
    }

    /** A queued request that will never be posted. */
    private void drop(Op op) {
        if (op.pdu != null) {
            op.pdu.release();
        }
        if (op.sendChunk != null) {
            op.sendChunk.release();
        }
        if (op.data != null) {
            op.data.release();
        }
    }

    private void closeIfSent() {
        if (closeWhenSent && queued.isEmpty() && posted.isEmpty()) {
            RdmaConnection c = connection;
            if (c != null) {
                c.disconnect("closed after the last response");
            }
        }
    }

    private void protocolError(String what) {
        log.warn("{}: {}; closing the connection", peer(), what);
        close();
    }

    private void memoryExhausted(int length) {
        log.error("{}: no registered memory for a transfer of {} bytes; closing the connection", peer(), length);
        close();
    }
}
