package io.jtarget.iscsi.transport.tcp;

import io.jtarget.iscsi.login.KeyRegistry;
import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.login.TransportKeyRules;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.PduDecoder;
import io.jtarget.iscsi.pdu.PduEncoder;
import io.jtarget.iscsi.pdu.PduFormatException;
import io.jtarget.iscsi.transport.ConnectionLoop;
import io.jtarget.iscsi.transport.EventLoopConnectionLoop;
import io.jtarget.iscsi.transport.IscsiTransport;
import io.jtarget.iscsi.transport.TransferTask;
import io.jtarget.iscsi.transport.TransportHandler;
import io.jtarget.scsi.TransportError;
import io.jtarget.net.CompletionQueue;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * iSCSI over TCP (RFC 7143) on a Netty channel: the pipeline's PDU decoder and encoder with their
 * digests, flush batching, the completion queue back to the loop, R2T/Data-Out
 * ({@link R2tSequencer}) and Data-In PDUs ({@link DataInSequencer}). The protocol itself is the
 * {@link TransportHandler}'s.
 *
 * <p>Batching (few wake-ups per I/O): PDUs sent while a read round is handled are flushed once when the round
 * ends ({@link #channelReadComplete}); completions from backend threads are handled in batches
 * with one flush each; anything else schedules a single flush on the loop.
 */
public final class TcpTransport extends ChannelInboundHandlerAdapter implements IscsiTransport {
    private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);

    private final PduDecoder decoder;
    private final PduEncoder.DigestSettings digests;
    private final Function<IscsiTransport, TransportHandler> protocol;

    private ChannelHandlerContext ctx;
    private ConnectionLoop loop;
    private TransportHandler handler;
    private R2tSequencer r2ts;
    private DataInSequencer dataIn;

    /** A batch (a read round or a completion drain) is running: its writes wait for its one flush. */
    private boolean inBatch;
    private boolean completionBatchOpen;
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushNow;

    private TcpTransport(PduDecoder decoder, PduEncoder.DigestSettings digests,
            Function<IscsiTransport, TransportHandler> protocol) {
        this.decoder = decoder;
        this.digests = digests;
        this.protocol = protocol;
    }

    /**
     * Sets up a new TCP connection's pipeline: decoder, encoder, and this transport driving the
     * protocol core {@code protocol} creates for it.
     */
    public static void install(ChannelPipeline pipeline, Function<IscsiTransport, TransportHandler> protocol) {
        PduDecoder decoder = new PduDecoder(KeyRegistry.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH);
        PduEncoder.DigestSettings digests = new PduEncoder.DigestSettings();
        pipeline.addLast("pdu-decoder", decoder);
        pipeline.addLast("pdu-encoder", new PduEncoder(digests));
        pipeline.addLast("iscsi", new TcpTransport(decoder, digests, protocol));
    }

    // ---------------------------------------------------------------- channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.loop = new EventLoopConnectionLoop(ctx.channel().eventLoop());
        this.handler = protocol.apply(this);
        this.r2ts = new R2tSequencer(handler, ctx.alloc(), this::send);
        this.dataIn = new DataInSequencer(handler, ctx.alloc(), this::send);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        handler.onConnected();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inBatch = true;
        if (msg instanceof PduDecoder.DecodeError error) {
            try {
                handler.onDecodeError(error);
            } finally {
                error.release();
            }
            return;
        }
        IscsiPdu pdu = (IscsiPdu) msg;
        try {
            handler.onPdu(pdu);
        } finally {
            pdu.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inBatch = false;
        flushNow();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof PduFormatException) {
            log.warn("{}: {}; closing the connection", peer(), root.getMessage());
        } else if (root instanceof IOException) {
            log.debug("{}: {}", peer(), root.toString());
        } else {
            log.warn("{}: unexpected error; closing the connection", peer(), root);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handler.onClosed();
        ctx.fireChannelInactive();
    }

    // ---------------------------------------------------------------- IscsiTransport

    @Override
    public ConnectionLoop loop() {
        return loop;
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public ByteBufAllocator dataAllocator() {
        return ctx.alloc();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) ctx.channel().localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) ctx.channel().remoteAddress();
    }

    @Override
    public String peer() {
        Channel ch = ctx == null ? null : ctx.channel();
        return ch == null ? "?" : String.valueOf(ch.remoteAddress());
    }

    @Override
    public TransportKeyRules loginKeys() {
        return TransportKeyRules.NONE;
    }

    @Override
    public void send(IscsiPdu pdu) {
        ctx.write(pdu, ctx.voidPromise());
        if (!inBatch) {
            scheduleFlush();
        }
    }

    @Override
    public void close() {
        ctx.close();
    }

    @Override
    public void closeAfterSending() {
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void enterFullFeature(NegotiatedParameters p) {
        // §13.1, §13.12: digests and our MaxRecvDataSegmentLength apply from the next PDU on.
        digests.set(p.headerDigest(), p.dataDigest());
        decoder.setDigests(p.headerDigest(), p.dataDigest());
        decoder.setMaxDataSegmentLength(p.targetMaxRecvDataSegmentLength());
        parametersChanged(p);
    }

    @Override
    public void parametersChanged(NegotiatedParameters p) {
        r2ts.limits(p);
        dataIn.limits(p);
    }

    @Override
    public void fetchDataOut(TransferTask task, int offset, int length) {
        r2ts.fetch(task, offset, length);
    }

    @Override
    public TransportError solicitedDataOut(TransferTask task, IscsiPdu pdu, int length, boolean digestFailed) {
        return r2ts.dataOut(task, pdu, length, digestFailed);
    }

    @Override
    public void cancelDataOut(TransferTask task) {
        r2ts.cancel(task);
    }

    @Override
    public int sendDataIn(TransferTask task, ByteBuf data, int length, boolean collapseStatus, int status,
            int residualFlags, int residual) {
        return dataIn.send(task, data, length, collapseStatus, status, residualFlags, residual);
    }

    @Override
    public <T> CompletionSink<T> completions(Consumer<T> completionHandler) {
        CompletionQueue<T> queue = new CompletionQueue<>(loop, completion -> {
            if (!inBatch) {
                // The batch's writes wait for endCompletionBatch's one flush.
                inBatch = true;
                completionBatchOpen = true;
            }
            completionHandler.accept(completion);
        }, this::endCompletionBatch);
        return queue::post;
    }

    private void endCompletionBatch() {
        if (completionBatchOpen) {
            completionBatchOpen = false;
            inBatch = false;
            flushNow();
        }
    }

    // ---------------------------------------------------------------- flushing

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            loop.execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        ctx.flush();
    }
}
