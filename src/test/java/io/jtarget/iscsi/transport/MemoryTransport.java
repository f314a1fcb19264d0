package io.jtarget.iscsi.transport;

import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.login.TransportKeyRules;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.PduDecoder;
import io.jtarget.iscsi.transport.tcp.DataInSequencer;
import io.jtarget.iscsi.transport.tcp.R2tSequencer;
import io.jtarget.scsi.TransportError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An {@link IscsiTransport} in memory, for unit tests of the protocol core: PDUs go in as objects
 * and come out into {@link #sent}; no socket, codec or digests. Time and timers are a
 * {@link ManualLoop}'s.
 *
 * <p>Two data movers: {@link Mode#PDU} moves task data as iSCSI/TCP does, with R2T, Data-Out and
 * Data-In PDUs (the TCP transport's own {@link R2tSequencer} and {@link DataInSequencer});
 * {@link Mode#RDMA} moves it as iSER does, outside the PDU stream: fetches wait in
 * {@link #fetches} until the test completes them, Data-In is kept in {@link #rdmaWrites} and
 * the status always comes as a SCSI Response.
 */
public final class MemoryTransport implements IscsiTransport {
    public enum Mode { PDU, RDMA }

    /** A solicited Data-Out fetch an RDMA-mode transport has been asked for. */
    public record Fetch(TransferTask task, int offset, int length) {}

    /** Data-In an RDMA-mode transport wrote: ITT and bytes. */
    public record RdmaWrite(int itt, byte[] data) {}

    public final ManualLoop loop = new ManualLoop();
    public final Deque<IscsiPdu> sent = new ArrayDeque<>();
    public final List<Fetch> fetches = new ArrayList<>();
    public final List<RdmaWrite> rdmaWrites = new ArrayList<>();
    public final List<Integer> endedTasks = new ArrayList<>();
    private final ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
    private final Mode mode;
    private final TransportKeyRules keys;
    private final TransportHandler handler;
    private final R2tSequencer r2ts;
    private final DataInSequencer dataIn;
    private boolean closed;
    /** closeAfterSending was called: the connection ends once what was sent is out. */
    public boolean closedAfterSending;
    public NegotiatedParameters fullFeatureParameters;

    public MemoryTransport(Mode mode, TransportKeyRules keys, Function<IscsiTransport, TransportHandler> protocol) {
        this.mode = mode;
        this.keys = keys;
        this.handler = protocol.apply(this);
        this.r2ts = new R2tSequencer(handler, alloc, this::send);
        this.dataIn = new DataInSequencer(handler, alloc, this::send);
        handler.onConnected();
    }

    /** Delivers one PDU as a transport does (it is released afterwards), then runs what it queued. */
    public void receive(IscsiPdu pdu) {
        try {
            handler.onPdu(pdu);
        } finally {
            pdu.release();
        }
        loop.runPending();
    }

    public void receiveDecodeError(PduDecoder.DecodeError error) {
        try {
            handler.onDecodeError(error);
        } finally {
            error.release();
        }
        loop.runPending();
    }

    /** The next PDU sent, or null. The caller releases it. */
    public IscsiPdu take() {
        return sent.poll();
    }

    public boolean isClosed() {
        return closed;
    }

    /** The peer went away. */
    public void disconnect() {
        if (!closed) {
            closed = true;
            handler.onClosed();
        }
        loop.runPending();
    }

    /** Completes an RDMA-mode fetch: copies {@code data} into the task's buffer at the fetch's offset. */
    public void completeFetch(Fetch fetch, byte[] data) {
        fetches.remove(fetch);
        fetch.task().dataOutBuffer().setBytes(fetch.offset(), data, 0, fetch.length());
        handler.dataOutFetched(fetch.task());
        loop.runPending();
    }

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
        return alloc;
    }

    @Override
    public InetSocketAddress localAddress() {
        return new InetSocketAddress("127.0.0.1", 3260);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return new InetSocketAddress("127.0.0.2", 40000);
    }

    @Override
    public String peer() {
        return "memory";
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
        sent.add(pdu);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            loop.execute(handler::onClosed);
        }
    }

    @Override
    public void closeAfterSending() {
        closedAfterSending = true;
        close();
    }

    @Override
    public void enterFullFeature(NegotiatedParameters parameters) {
        fullFeatureParameters = parameters;
        parametersChanged(parameters);
    }

    @Override
    public void parametersChanged(NegotiatedParameters parameters) {
        r2ts.limits(parameters);
        dataIn.limits(parameters);
    }

    @Override
    public void fetchDataOut(TransferTask task, int offset, int length) {
        if (mode == Mode.PDU) {
            r2ts.fetch(task, offset, length);
        } else {
            fetches.add(new Fetch(task, offset, length));
        }
    }

    @Override
    public TransportError solicitedDataOut(TransferTask task, IscsiPdu pdu, int length, boolean digestFailed) {
        // On iSER no Data-Out PDU answers a fetch: a tagged one is a protocol error.
        return mode == Mode.PDU ? r2ts.dataOut(task, pdu, length, digestFailed) : TransportError.DATA_PHASE_ERROR;
    }

    @Override
    public void cancelDataOut(TransferTask task) {
        if (mode == Mode.PDU) {
            r2ts.cancel(task);
        } else {
            fetches.removeIf(f -> f.task() == task);
        }
    }

    @Override
    public void taskEnded(TransferTask task) {
        endedTasks.add(task.itt());
    }

    @Override
    public int sendDataIn(TransferTask task, ByteBuf data, int length, boolean collapseStatus, int status,
            int residualFlags, int residual) {
        if (mode == Mode.PDU) {
            return dataIn.send(task, data, length, collapseStatus, status, residualFlags, residual);
        }
        byte[] bytes = new byte[length];
        data.getBytes(data.readerIndex(), bytes);
        data.release();
        rdmaWrites.add(new RdmaWrite(task.itt(), bytes));
        return 0;
    }

    @Override
    public <T> CompletionSink<T> completions(Consumer<T> completionHandler) {
        return completion -> loop.execute(() -> completionHandler.accept(completion));
    }

    /** Releases every PDU not taken. */
    public void releaseSent() {
        IscsiPdu p;
        while ((p = sent.poll()) != null) {
            p.release();
        }
    }
}
