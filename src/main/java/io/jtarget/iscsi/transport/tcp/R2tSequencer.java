package io.jtarget.iscsi.transport.tcp;

import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.HeaderBuilder;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.iscsi.transport.TargetTransferTags;
import io.jtarget.iscsi.transport.TransferTask;
import io.jtarget.iscsi.transport.TransportHandler;
import io.jtarget.scsi.TransportError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.collection.IntObjectHashMap;
import java.util.function.Consumer;

/**
 * Solicited Data-Out on TCP (RFC 7143 §11.7, §11.8): R2Ts for a task's solicited range, at most
 * MaxOutstandingR2T at once and each at most MaxBurstLength (§13.13, §13.17), and the Data-Out
 * PDUs answering them checked by Target Transfer Tag, offset range and DataSN order, then copied to
 * their buffer offset. When the range is all in, the protocol core hears
 * {@link TransportHandler#dataOutFetched}. Loop-confined.
 */
public final class R2tSequencer {
    private final TransportHandler handler;
    private final ByteBufAllocator alloc;
    private final Consumer<IscsiPdu> send;
    private int maxOutstandingR2T = 1;
    private int maxBurstLength = 262144;

    /** @param send queues one PDU on the connection */
    public R2tSequencer(TransportHandler handler, ByteBufAllocator alloc, Consumer<IscsiPdu> send) {
        this.handler = handler;
        this.alloc = alloc;
        this.send = send;
    }

    /** The limits in force: at login's end and after a Text re-declaration. */
    public void limits(NegotiatedParameters p) {
        this.maxOutstandingR2T = p.maxOutstandingR2T();
        this.maxBurstLength = p.maxBurstLength();
    }

    /** One task's solicited range and its outstanding R2Ts, kept in the task's transport slot. */
    private static final class Transfer {
        int nextOffset;
        final int end;
        int nextR2tSn;
        int outstanding;
        final IntObjectHashMap<Solicitation> byTtt = new IntObjectHashMap<>(4);

        Transfer(int offset, int end) {
            this.nextOffset = offset;
            this.end = end;
        }
    }

    /** One R2T the initiator is answering (§11.8): the range it asked for and how much arrived. */
    private static final class Solicitation {
        final int offset;
        final int length;
        int received;
        int nextDataSn;

        Solicitation(int offset, int length) {
            this.offset = offset;
            this.length = length;
        }
    }

    /** Solicit bytes [offset, offset + length) of the task's Data-Out. */
    public void fetch(TransferTask task, int offset, int length) {
        Transfer transfer = new Transfer(offset, offset + length);
        task.transportState(transfer);
        sendR2ts(task, transfer);
    }

    private void sendR2ts(TransferTask task, Transfer transfer) {
        TargetTransferTags tags = handler.transferTags();
        while (transfer.outstanding < maxOutstandingR2T && transfer.nextOffset < transfer.end) {
            int length = Math.min(maxBurstLength, transfer.end - transfer.nextOffset);
            int ttt = tags.allocate(task);
            int r2tSn = transfer.nextR2tSn++;
            transfer.byTtt.put(ttt, new Solicitation(transfer.nextOffset, length));
            transfer.outstanding++;
            send.accept(HeaderBuilder.of(alloc, Opcode.R2T, Bhs.FINAL_BIT)
                    .lun(task.lunField())
                    .itt(task.itt())
                    .int32(Bhs.R2t.TTT_OFFSET, ttt)
                    .int32(Bhs.R2t.STATSN_OFFSET, handler.statSn()) // §11.8.3: StatSN not advanced
                    .int32(Bhs.R2t.EXP_CMDSN_OFFSET, handler.expCmdSn())
                    .int32(Bhs.R2t.MAX_CMDSN_OFFSET, handler.maxCmdSn())
                    .int32(Bhs.R2t.R2TSN_OFFSET, r2tSn)
                    .int32(Bhs.R2t.BUFFER_OFFSET_OFFSET, transfer.nextOffset)
                    .int32(Bhs.R2t.DESIRED_LENGTH_OFFSET, length)
                    .pdu(null));
            transfer.nextOffset += length;
        }
    }

    /** A Data-Out answering one of our R2Ts; null when accepted. */
    public TransportError dataOut(TransferTask task, IscsiPdu pdu, int length, boolean digestFailed) {
        int ttt = pdu.int32(Bhs.Data.TTT_OFFSET);
        int offset = pdu.int32(Bhs.Data.BUFFER_OFFSET_OFFSET);
        int dataSn = pdu.int32(Bhs.Data.DATASN_OFFSET);
        Transfer transfer = task.transportState() instanceof Transfer t ? t : null;
        Solicitation s = transfer == null ? null : transfer.byTtt.get(ttt);
        if (s == null || handler.transferTags().owner(ttt) != task) {
            return TransportError.DATA_PHASE_ERROR; // an unknown Target Transfer Tag
        }
        if (offset < s.offset || offset + length > s.offset + s.length || dataSn != s.nextDataSn++) {
            return TransportError.DATA_OFFSET_ERROR; // outside its R2T or out of DataSN order
        }
        if (digestFailed) {
            task.dataDigestFailed();
        } else {
            ByteBuf data = pdu.data();
            task.dataOutBuffer().setBytes(offset, data, data.readerIndex(), length);
        }
        s.received += length;
        if (pdu.finalBit() || s.received >= s.length) {
            if (s.received < s.length) {
                return TransportError.DATA_PHASE_ERROR; // the sequence ended short of the R2T's length
            }
            transfer.byTtt.remove(ttt);
            handler.transferTags().release(ttt);
            transfer.outstanding--;
            sendR2ts(task, transfer);
            if (transfer.outstanding == 0 && transfer.nextOffset >= transfer.end) {
                task.transportState(null);
                handler.dataOutFetched(task);
            }
        }
        return null;
    }

    /** Forget the task's outstanding R2Ts: later Data-Out for them finds no tag. */
    public void cancel(TransferTask task) {
        if (task.transportState() instanceof Transfer transfer) {
            for (int ttt : transfer.byTtt.keySet()) {
                handler.transferTags().release(ttt);
            }
            transfer.byTtt.clear();
            task.transportState(null);
        }
    }
}
