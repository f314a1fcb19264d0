package io.jtarget.iscsi.transport.tcp;

import io.jtarget.iscsi.login.KeyRegistry;
import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.HeaderBuilder;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.iscsi.transport.IscsiTransport;
import io.jtarget.iscsi.transport.TransferTask;
import io.jtarget.iscsi.transport.TransportHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;

/**
 * Data-In on iSCSI/TCP (RFC 7143 §11.7): a read task's data cut into Data-In PDUs within the
 * initiator's limits, GOOD status riding on the last one when allowed (phase collapse). Loop-confined.
 */
public final class DataInSequencer {
    private final TransportHandler handler;
    private final ByteBufAllocator alloc;
    private final Consumer<IscsiPdu> send;
    /** The initiator's MaxRecvDataSegmentLength: the largest Data-In segment (§13.12). */
    private int maxSendDataSegment = KeyRegistry.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
    private int maxBurstLength = 262144;

    /** @param send queues one PDU on the connection */
    public DataInSequencer(TransportHandler handler, ByteBufAllocator alloc, Consumer<IscsiPdu> send) {
        this.handler = handler;
        this.alloc = alloc;
        this.send = send;
    }

    /** The limits in force: at login's end and after a Text re-declaration. */
    public void limits(NegotiatedParameters p) {
        this.maxSendDataSegment = p.initiatorMaxRecvDataSegmentLength();
        this.maxBurstLength = p.maxBurstLength();
    }

    /**
     * Data-In PDUs (§11.7): each at most the initiator's MaxRecvDataSegmentLength, F at the end of
     * each MaxBurstLength sequence; with {@code collapseStatus} the last one carries the status and
     * residual (§11.7.3). Written as [header][data slice] buffers, never concatenated.
     *
     * @return {@link IscsiTransport#STATUS_SENT} when the status went out, else the Data-In PDUs sent
     */
    public int send(TransferTask task, ByteBuf data, int length, boolean collapseStatus, int status,
            int residualFlags, int residual) {
        int maxSegment = maxSendDataSegment;
        int burst = maxBurstLength;
        int dataSn = 0;
        int offset = 0;
        int base = data.readerIndex();
        ByteBuf whole = data;
        while (offset < length) {
            int inBurst = burst - (offset % burst);
            int segmentLength = Math.min(Math.min(maxSegment, length - offset), inBurst);
            boolean last = offset + segmentLength == length;
            boolean endOfSequence = last || segmentLength == inBurst;
            int flags = endOfSequence ? Bhs.FINAL_BIT : 0;
            HeaderBuilder h = HeaderBuilder.of(alloc, Opcode.SCSI_DATA_IN, 0)
                    .lun(task.lunField())
                    .itt(task.itt())
                    .int32(Bhs.Data.TTT_OFFSET, Bhs.RESERVED_TAG)
                    .int32(Bhs.Data.EXP_CMDSN_OFFSET, handler.expCmdSn())
                    .int32(Bhs.Data.MAX_CMDSN_OFFSET, handler.maxCmdSn())
                    .int32(Bhs.Data.DATASN_OFFSET, dataSn++)
                    .int32(Bhs.Data.BUFFER_OFFSET_OFFSET, offset);
            if (last && collapseStatus) {
                flags |= Bhs.Data.STATUS_BIT | residualFlags;
                h.u8(Bhs.Data.STATUS_OFFSET, status)
                        .int32(Bhs.Data.STATSN_OFFSET, handler.nextStatSn())
                        .int32(Bhs.Data.RESIDUAL_OFFSET, residual);
            }
            h.u8(Bhs.FLAGS_OFFSET, flags);
            ByteBuf segment;
            if (offset == 0 && segmentLength == whole.readableBytes()) {
                segment = whole; // one PDU carries all of it: hand over our reference, no slice
                whole = null;
            } else {
                segment = whole.retainedSlice(base + offset, segmentLength);
            }
            send.accept(h.pdu(segment));
            offset += segmentLength;
        }
        if (whole != null) {
            whole.release();
        }
        return collapseStatus ? IscsiTransport.STATUS_SENT : dataSn;
    }
}
