package io.jtarget.testinit;

import io.jtarget.testinit.IscsiWire.Bhs;
import io.jtarget.testinit.IscsiWire.Data;
import io.jtarget.testinit.IscsiWire.Opcode;
import io.jtarget.testinit.IscsiWire.R2t;
import io.jtarget.testinit.IscsiWire.ScsiResponse;
import io.jtarget.testinit.IscsiWire.ScsiStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One outstanding SCSI command: checks every Data-In, R2T and the SCSI Response the target sends
 * for it against RFC 7143 §11.4, §11.7, §11.8 and the negotiated limits, builds the Data-Out
 * PDUs an R2T asks for, and collects the outcome.
 */
public final class ScsiTask {
    private final ScsiRequest request;
    private final int itt;
    private final int cmdSn;
    private final SessionParameters params;

    private final byte[] readBuffer;
    private int readHighWater;
    private int nextDataSn;
    private int nextReadOffset;
    private int bytesInSequence;
    private int dataInPdus;
    private int largestDataIn;

    private int immediateBytes;
    private int unsolicitedBytes;
    private int unsolicitedEnd;
    private int solicitedBytes;
    private int nextR2tSn;
    private int r2ts;
    private int largestR2t;

    private ScsiResult result;
    private PduRejectedException rejection;
    private boolean aborted;

    ScsiTask(ScsiRequest request, int itt, int cmdSn, SessionParameters params) {
        this.request = request;
        this.itt = itt;
        this.cmdSn = cmdSn;
        this.params = params;
        this.readBuffer = request.direction() == ScsiRequest.Direction.READ ? new byte[request.expectedLength()] : null;
    }

    public int itt() {
        return itt;
    }

    public int cmdSn() {
        return cmdSn;
    }

    public int lun() {
        return request.lun();
    }

    public ScsiRequest request() {
        return request;
    }

    /** Completed (status received), rejected, or aborted by a task management function. */
    public boolean isDone() {
        return result != null || rejection != null || aborted;
    }

    public boolean isAborted() {
        return aborted;
    }

    /** The outcome, or null while the command is outstanding. */
    public ScsiResult result() {
        return result;
    }

    PduRejectedException rejection() {
        return rejection;
    }

    /**
     * Builds the command PDU and the unsolicited Data-Out PDUs that follow it. Immediate data is
     * limited by FirstBurstLength and the target's MaxRecvDataSegmentLength; with InitialR2T=No
     * the first burst continues in unsolicited Data-Out PDUs up to min(FirstBurstLength, EDTL)
     * (RFC 7143 §13.10, §13.11, §13.14). ExpStatSN is filled in by the caller.
     */
    List<Pdu> commandPdus() {
        int edtl = request.expectedLength();
        byte[] cdb = request.cdb();
        Pdu command = Pdu.create(Opcode.SCSI_COMMAND)
                .immediate(request.immediate())
                .lunField(Luns.encode(request.lun()))
                .itt(itt)
                .cmdSn(cmdSn)
                .intAt(IscsiWire.ScsiCommand.EXPECTED_DATA_TRANSFER_LENGTH, edtl);
        System.arraycopy(cdb, 0, command.bhs(), IscsiWire.ScsiCommand.CDB,
                Math.min(cdb.length, IscsiWire.ScsiCommand.CDB_LENGTH_IN_BHS));
        if (cdb.length > IscsiWire.ScsiCommand.CDB_LENGTH_IN_BHS) {
            command.ahs(extendedCdbAhs(cdb));
        }
        int flags = request.taskAttribute() & IscsiWire.ScsiCommand.ATTRIBUTE_MASK;
        List<Pdu> pdus = new ArrayList<>();
        pdus.add(command);
        switch (request.direction()) {
            case READ -> flags |= IscsiWire.ScsiCommand.FLAG_READ | Bhs.FINAL_FLAG;
            case NONE -> flags |= Bhs.FINAL_FLAG;
            case WRITE -> {
                flags |= IscsiWire.ScsiCommand.FLAG_WRITE;
                int firstBurst = Math.min(edtl, params.unsolicitedLimit());
                if (params.immediateData()) {
                    immediateBytes = Math.min(firstBurst, params.targetMaxRecvDataSegmentLength());
                    command.data(Arrays.copyOfRange(request.writeData(), 0, immediateBytes));
                }
                unsolicitedEnd = params.initialR2T() ? immediateBytes : firstBurst;
                if (unsolicitedEnd == immediateBytes) {
                    flags |= Bhs.FINAL_FLAG; // §11.3.1: F=1 when no unsolicited Data-Out follows
                }
                pdus.addAll(dataOutSequence(IscsiWire.RESERVED_TAG, immediateBytes, unsolicitedEnd - immediateBytes));
                unsolicitedBytes = unsolicitedEnd - immediateBytes;
            }
        }
        command.flags(flags);
        return pdus;
    }

    /** RFC 7143 §11.2.2.3: AHSLength counts the reserved byte plus the CDB bytes beyond 16; padded to 4. */
    private static byte[] extendedCdbAhs(byte[] cdb) {
        int extra = cdb.length - IscsiWire.ScsiCommand.CDB_LENGTH_IN_BHS;
        byte[] ahs = new byte[Pdu.padded(3 + 1 + extra)];
        Bytes.putShort(ahs, 0, extra + 1);
        ahs[2] = (byte) IscsiWire.ScsiCommand.AHS_TYPE_EXTENDED_CDB;
        System.arraycopy(cdb, IscsiWire.ScsiCommand.CDB_LENGTH_IN_BHS, ahs, 4, extra);
        return ahs;
    }

    /** Data-Out PDUs for one sequence, each within the target's MaxRecvDataSegmentLength, DataSN from 0 (§11.7.5). */
    private List<Pdu> dataOutSequence(int ttt, int offset, int length) {
        List<Pdu> pdus = new ArrayList<>();
        int dataSn = 0;
        int done = 0;
        while (done < length) {
            int n = Math.min(length - done, params.targetMaxRecvDataSegmentLength());
            Pdu out = Pdu.create(Opcode.DATA_OUT)
                    .lunField(Luns.encode(request.lun()))
                    .itt(itt)
                    .ttt(ttt)
                    .intAt(Data.DATA_SN, dataSn++)
                    .intAt(Data.BUFFER_OFFSET, offset + done)
                    .data(Arrays.copyOfRange(request.writeData(), offset + done, offset + done + n));
            done += n;
            if (done == length) {
                out.flags(Bhs.FINAL_FLAG);
            }
            pdus.add(out);
        }
        return pdus;
    }

    void onDataIn(Pdu pdu) throws ProtocolViolationException {
        requireOutstanding(pdu);
        if (request.direction() != ScsiRequest.Direction.READ) {
            throw violation("Data-In for a command without the R bit (RFC 7143 §11.7)", pdu);
        }
        if (pdu.flag(Data.FLAG_ACKNOWLEDGE) && params.errorRecoveryLevel() == 0) {
            throw violation("Data-In with the A bit at ErrorRecoveryLevel=0 (RFC 7143 §11.7.2)", pdu);
        }
        if (pdu.ttt() != IscsiWire.RESERVED_TAG && !pdu.flag(Data.FLAG_ACKNOWLEDGE)) {
            throw violation("Data-In with a Target Transfer Tag but no A bit (RFC 7143 §11.7.4)", pdu);
        }
        int dataSn = pdu.intAt(Data.DATA_SN);
        if (dataSn != nextDataSn) {
            throw violation("DataSN " + SerialNumbers.str(dataSn) + ", expected " + nextDataSn
                    + " (RFC 7143 §11.7.5: Data-In numbered from 0 per command)", pdu);
        }
        nextDataSn++;
        int offset = pdu.intAt(Data.BUFFER_OFFSET);
        int length = pdu.data().length;
        if (params.dataPduInOrder() && params.dataSequenceInOrder() && offset != nextReadOffset) {
            throw violation("Buffer Offset " + Integer.toUnsignedString(offset) + ", expected " + nextReadOffset
                    + " (DataPDUInOrder=Yes and DataSequenceInOrder=Yes, RFC 7143 §13.19/§13.20)", pdu);
        }
        if (offset < 0 || (long) offset + length > readBuffer.length) {
            throw violation("Data-In bytes " + Integer.toUnsignedString(offset) + ".." + ((long) offset + length)
                    + " beyond the Expected Data Transfer Length " + readBuffer.length + " (RFC 7143 §11.7.6)", pdu);
        }
        System.arraycopy(pdu.data(), 0, readBuffer, offset, length);
        nextReadOffset = offset + length;
        readHighWater = Math.max(readHighWater, nextReadOffset);
        dataInPdus++;
        largestDataIn = Math.max(largestDataIn, length);
        bytesInSequence += length;
        if (bytesInSequence > params.maxBurstLength()) {
            throw violation("Data-In sequence of " + bytesInSequence + " bytes exceeds MaxBurstLength "
                    + params.maxBurstLength() + " (RFC 7143 §13.13; the F bit ends a sequence)", pdu);
        }
        if (pdu.isFinal()) {
            bytesInSequence = 0;
        }
        if (pdu.flag(Data.FLAG_STATUS)) {
            if (!pdu.isFinal()) {
                throw violation("Data-In with the S bit but not the F bit (RFC 7143 §11.7.1)", pdu);
            }
            int status = pdu.byteAt(Data.STATUS);
            if (status != ScsiStatus.GOOD && status != ScsiStatus.CONDITION_MET) {
                throw violation(String.format("status 0x%02x sent in a Data-In; only status without sense may be "
                        + "(RFC 7143 §11.7.4)", status), pdu);
            }
            boolean overflow = pdu.flag(Data.FLAG_OVERFLOW);
            boolean underflow = pdu.flag(Data.FLAG_UNDERFLOW);
            checkResiduals(pdu, overflow, underflow, pdu.intAt(Data.RESIDUAL_COUNT), status);
            complete(0, status, null, overflow, underflow, pdu.intAt(Data.RESIDUAL_COUNT), true);
        }
    }

    /** Answers an R2T with the Data-Out sequence it asks for (RFC 7143 §11.8, §11.7). ExpStatSN is filled in by the caller. */
    List<Pdu> onR2t(Pdu pdu) throws ProtocolViolationException {
        requireOutstanding(pdu);
        if (request.direction() != ScsiRequest.Direction.WRITE) {
            throw violation("R2T for a command without the W bit (RFC 7143 §11.8)", pdu);
        }
        int r2tSn = pdu.intAt(R2t.R2T_SN);
        if (r2tSn != nextR2tSn) {
            throw violation("R2TSN " + SerialNumbers.str(r2tSn) + ", expected " + nextR2tSn + " (RFC 7143 §11.8.2)", pdu);
        }
        nextR2tSn++;
        if (pdu.ttt() == IscsiWire.RESERVED_TAG) {
            throw violation("R2T with the reserved Target Transfer Tag 0xffffffff (RFC 7143 §11.8.4)", pdu);
        }
        long offset = Integer.toUnsignedLong(pdu.intAt(R2t.BUFFER_OFFSET));
        long length = Integer.toUnsignedLong(pdu.intAt(R2t.DESIRED_DATA_TRANSFER_LENGTH));
        if (length == 0) {
            throw violation("R2T with Desired Data Transfer Length 0 (RFC 7143 §11.8.3)", pdu);
        }
        if (length > params.maxBurstLength()) {
            throw violation("R2T asks for " + length + " bytes, more than MaxBurstLength " + params.maxBurstLength()
                    + " (RFC 7143 §11.8.3)", pdu);
        }
        if (offset + length > request.expectedLength()) {
            throw violation("R2T asks for bytes " + offset + ".." + (offset + length)
                    + " beyond the Expected Data Transfer Length " + request.expectedLength() + " (RFC 7143 §11.8.3)", pdu);
        }
        if (offset < unsolicitedEnd) {
            throw violation("R2T asks again for bytes from offset " + offset + " already sent unsolicited (up to "
                    + unsolicitedEnd + ") (RFC 7143 §13.10)", pdu);
        }
        r2ts++;
        largestR2t = (int) Math.max(largestR2t, length);
        solicitedBytes += (int) length;
        return dataOutSequence(pdu.ttt(), (int) offset, (int) length);
    }

    void onResponse(Pdu pdu) throws ProtocolViolationException {
        requireOutstanding(pdu);
        int response = pdu.byteAt(ScsiResponse.RESPONSE);
        int status = pdu.byteAt(ScsiResponse.STATUS);
        boolean overflow = pdu.flag(ScsiResponse.FLAG_OVERFLOW);
        boolean underflow = pdu.flag(ScsiResponse.FLAG_UNDERFLOW);
        int residual = pdu.intAt(ScsiResponse.RESIDUAL_COUNT);
        if (!pdu.isFinal()) {
            throw violation("SCSI Response without the F bit (RFC 7143 §11.4)", pdu);
        }
        if (response != ScsiResponse.RESPONSE_COMPLETED && response != ScsiResponse.RESPONSE_TARGET_FAILURE
                && (response < 0x80)) {
            throw violation(String.format("SCSI Response code 0x%02x is reserved (RFC 7143 §11.4.3)", response), pdu);
        }
        int expDataSn = pdu.intAt(ScsiResponse.EXP_DATA_SN);
        if (response == ScsiResponse.RESPONSE_COMPLETED) {
            boolean ok = request.direction() == ScsiRequest.Direction.WRITE
                    ? expDataSn == 0 || expDataSn == r2ts // §11.4.8 counts Data-In; R2T-counting readings tolerated
                    : expDataSn == dataInPdus;
            if (!ok) {
                throw violation("ExpDataSN " + SerialNumbers.str(expDataSn) + " but " + dataInPdus
                        + " Data-In PDUs were sent for the command (RFC 7143 §11.4.8)", pdu);
            }
        }
        SenseData sense = null;
        byte[] segment = pdu.data();
        if (segment.length > 0) {
            if (segment.length < ScsiResponse.SENSE_LENGTH_FIELD) {
                throw violation("SCSI Response data segment shorter than its SenseLength field (RFC 7143 §11.4.7.2)", pdu);
            }
            int senseLength = Bytes.getShort(segment, 0);
            if (ScsiResponse.SENSE_LENGTH_FIELD + senseLength > segment.length) {
                throw violation("SenseLength " + senseLength + " runs past the data segment of " + segment.length
                        + " bytes (RFC 7143 §11.4.7.2)", pdu);
            }
            if (senseLength > 0) {
                sense = SenseData.parse(Arrays.copyOfRange(segment, 2, 2 + senseLength));
            }
        }
        if (response == ScsiResponse.RESPONSE_COMPLETED && status == ScsiStatus.CHECK_CONDITION && sense == null) {
            throw violation("CHECK CONDITION without sense data (RFC 7143 §11.4.7; SAM-5 autosense)", pdu);
        }
        if (response == ScsiResponse.RESPONSE_COMPLETED) {
            checkResiduals(pdu, overflow, underflow, residual, status);
        }
        complete(response, status, sense, overflow, underflow, residual, false);
    }

    /** RFC 7143 §11.4.5: O and U exclusive; the count says by how much; a GOOD read got EDTL minus the underflow. */
    private void checkResiduals(Pdu pdu, boolean overflow, boolean underflow, int residual, int status)
            throws ProtocolViolationException {
        if (overflow && underflow) {
            throw violation("both residual overflow and underflow set (RFC 7143 §11.4.5.1)", pdu);
        }
        if (!overflow && !underflow && residual != 0) {
            throw violation("residual count " + Integer.toUnsignedString(residual)
                    + " without the O or U bit (RFC 7143 §11.4.5.2: must be 0)", pdu);
        }
        if ((overflow || underflow) && residual == 0) {
            throw violation("O or U bit with a zero residual count (RFC 7143 §11.4.5)", pdu);
        }
        if (underflow && Integer.toUnsignedLong(residual) > request.expectedLength()) {
            throw violation("underflow residual " + Integer.toUnsignedString(residual)
                    + " larger than the Expected Data Transfer Length " + request.expectedLength(), pdu);
        }
        if (request.direction() == ScsiRequest.Direction.READ && status == ScsiStatus.GOOD) {
            long expected = request.expectedLength() - (underflow ? Integer.toUnsignedLong(residual) : 0);
            if (readHighWater != expected) {
                throw violation("GOOD read delivered " + readHighWater + " bytes, but EDTL " + request.expectedLength()
                        + (underflow ? " minus underflow " + Integer.toUnsignedString(residual) : "")
                        + " is " + expected + " (RFC 7143 §11.4.5)", pdu);
            }
        }
    }

    private void complete(int response, int status, SenseData sense, boolean overflow, boolean underflow,
            int residual, boolean inDataIn) {
        byte[] data = readBuffer == null ? new byte[0] : Arrays.copyOf(readBuffer, readHighWater);
        result = new ScsiResult(response, status, sense, data, overflow, underflow, residual, inDataIn,
                dataInPdus, largestDataIn, immediateBytes, unsolicitedBytes, solicitedBytes, r2ts, largestR2t);
    }

    void onReject(Pdu reject) {
        rejection = new PduRejectedException(reject);
    }

    void markAborted() {
        aborted = true;
    }

    private void requireOutstanding(Pdu pdu) throws ProtocolViolationException {
        if (aborted) {
            throw violation("PDU for a task the target already reported aborted by a task management function "
                    + "(RFC 7143 §11.6.2: responses for affected tasks precede the TMF response)", pdu);
        }
        if (result != null) {
            throw violation("PDU for a task whose status was already delivered", pdu);
        }
    }

    private ProtocolViolationException violation(String what, Pdu pdu) {
        return new ProtocolViolationException(String.format("task itt=0x%08x (CDB op 0x%02x): %s; PDU %s",
                itt, request.cdb()[0] & 0xFF, what, pdu));
    }
}
