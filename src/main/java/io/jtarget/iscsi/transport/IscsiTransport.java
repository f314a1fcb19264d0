package io.jtarget.iscsi.transport;

import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.login.TransportKeyRules;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.scsi.TransportError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * What the transport-free iSCSI protocol core ({@link TransportHandler}, implemented by
 * {@code io.jtarget.iscsi.session.IscsiConnection}) needs from the fabric one connection runs on:
 * TCP (RFC 7143, {@code TcpTransport}) or iSER (RFC 7145). The split follows LIO's
 * {@code iscsit_transport}: PDUs in and out, and the two data movements that differ between
 * fabrics. On TCP, R2T, Data-Out and Data-In are PDUs; on iSER they are RDMA Read and RDMA Write
 * and never appear on the wire, so the core asks for them as operations, never as PDUs.
 *
 * <p>Threads: every method is called on {@link #loop()} and every {@link TransportHandler}
 * call comes from it, except {@link CompletionSink#post}, which any thread may call.
 *
 * <p>Buffers: a PDU passed to {@link #send} belongs to the transport from then on; a PDU passed
 * to {@link TransportHandler#onPdu} stays the transport's (the handler retains what it keeps).
 */
public interface IscsiTransport {

    /** {@link #sendDataIn}'s answer when GOOD status went out with the data (phase collapse). */
    int STATUS_SENT = -1;

    /** The event loop this connection lives on for its whole life, with its clock and timers. */
    ConnectionLoop loop();

    /** For PDU headers and small protocol buffers. */
    ByteBufAllocator alloc();

    /**
     * The buffer hook for task data: Data-Out buffers and the SCSI core's Data-In buffers come from
     * here (TCP: the channel's pooled allocator; iSER: memory registered with the device, so an
     * RDMA Read or Write moves it without a copy).
     */
    ByteBufAllocator dataAllocator();

    InetSocketAddress localAddress();

    InetSocketAddress remoteAddress();

    /** For logs: the initiator's address. */
    String peer();

    /**
     * Login keys this transport adds to RFC 7143's (RFC 7145 §6: RDMAExtensions,
     * InitiatorRecvDataSegmentLength, TargetRecvDataSegmentLength, MaxOutstandingUnexpectedPDUs
     * on iSER); {@link TransportKeyRules#NONE} on TCP.
     */
    TransportKeyRules loginKeys();

    /**
     * Queue a PDU. It goes out with the current batch (a read round, or a batch of completions),
     * flushed once at its end; outside a batch the transport schedules one flush on the loop.
     */
    void send(IscsiPdu pdu);

    /** Close now; PDUs not yet flushed may be lost (hostile input, timeouts, reinstatement). */
    void close();

    /** Send everything queued so far, then close (login failure, logout, target cold reset). */
    void closeAfterSending();

    /**
     * The login completed; called right after the final Login Response was passed to {@link #send}
     * (which still goes out under login rules). From the next PDU on, the negotiated values rule this connection
     * (TCP: digests and MaxRecvDataSegmentLength, RFC 7143 §13.1, §13.12; iSER: RDMAExtensions
     * and the iSER data segment lengths, from {@link NegotiatedParameters#transportKeys()}).
     */
    void enterFullFeature(NegotiatedParameters parameters);

    /** A full-feature Text exchange re-declared a value (MaxRecvDataSegmentLength, §13.12). */
    void parametersChanged(NegotiatedParameters parameters);

    /**
     * Fetch bytes [offset, offset + length) of a write task's Data-Out into
     * {@link TransferTask#dataOutBuffer()} at those offsets, then call
     * {@link TransportHandler#dataOutFetched} on the loop. Immediate and unsolicited data arrive
     * with the command and are the core's; this is only the solicited part. TCP sends R2Ts (at
     * most MaxOutstandingR2T at once, each at most MaxBurstLength) and takes the Data-Out PDUs
     * that answer them through {@link #solicitedDataOut}; iSER issues RDMA Reads from the
     * initiator's read STag.
     */
    void fetchDataOut(TransferTask task, int offset, int length);

    /**
     * A Data-Out PDU with a Target Transfer Tag (an answer to an R2T, RFC 7143 §11.7), already
     * matched to its task by ITT and checked against its EDTL by the core.
     *
     * @param length the data segment's length (the PDU's data is empty when it failed its digest)
     * @param digestFailed the data failed its digest and was discarded (RFC 7143 §7.8)
     * @return null when accepted, else the error that ends the task (the core rejects the PDU)
     */
    TransportError solicitedDataOut(TransferTask task, IscsiPdu pdu, int length, boolean digestFailed);

    /** The task ends before its fetch completed: forget its outstanding R2Ts / transfers. */
    void cancelDataOut(TransferTask task);

    /**
     * The task has left the core (answered, aborted or refused): drop what was kept for it (iSER:
     * the STags its command carried). Its ITT may be reused from now on.
     */
    default void taskEnded(TransferTask task) {
    }

    /**
     * Deliver a read task's Data-In: {@code length} bytes from {@code data}'s reader index. Takes
     * over the reference to {@code data}. TCP sends Data-In PDUs (each at most the initiator's
     * MaxRecvDataSegmentLength, F at each MaxBurstLength, RFC 7143 §11.7) and, when
     * {@code collapseStatus}, puts {@code status} and the residual on the last one (§11.7.3);
     * iSER RDMA-Writes the data to the initiator's write STag, and the core then sends the SCSI
     * Response (RFC 7145 §7.3.5).
     *
     * @return {@link #STATUS_SENT}, or the number of Data-In PDUs sent (the SCSI Response's ExpDataSN)
     */
    int sendDataIn(TransferTask task, ByteBuf data, int length, boolean collapseStatus, int status,
            int residualFlags, int residual);

    /**
     * A queue through which completions from other threads (backend I/O) come back to the loop:
     * {@code handler} runs on the loop for each posted item, batched, and what it sends is
     * flushed once per batch (one wake-up and one write for many completions).
     */
    <T> CompletionSink<T> completions(Consumer<T> handler);

    /** A thread-safe entry into {@link IscsiTransport#completions}. */
    interface CompletionSink<T> {
        void post(T completion);
    }
}
