package io.jtarget.iscsi.transport;

import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.PduDecoder;

/**
 * The iSCSI protocol core of one connection as its transport sees it: every call is made on the
 * connection's loop. Also the source of the numbers a transport puts into the PDUs it builds
 * itself (R2T, Data-In: RFC 7143 §11.7.4, §11.8) and of the connection's Target Transfer Tags.
 */
public interface TransportHandler {

    /** The transport is connected and ready (for TCP: the channel became active). */
    void onConnected();

    /** One received PDU; the transport releases it when this returns (retain what you keep). */
    void onPdu(IscsiPdu pdu);

    /** A PDU the transport could not decode (digest or format error, RFC 7143 §7.8); released after. */
    void onDecodeError(PduDecoder.DecodeError error);

    /** The connection is gone (closed by either side); called once. */
    void onClosed();

    /** The data asked for by {@link IscsiTransport#fetchDataOut} is all in the task's buffer. */
    void dataOutFetched(TransferTask task);

    /** StatSN of the next status, without advancing it (R2T, §11.8.3). */
    int statSn();

    /** StatSN for a PDU that carries status; advances it. */
    int nextStatSn();

    int expCmdSn();

    int maxCmdSn();

    /** The connection's one allocator of Target Transfer Tags (R2Ts, NOP-In pings, Text continuation). */
    TargetTransferTags transferTags();
}
