package io.jtarget.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.iscsi.login.TransportKeyRules;
import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.iscsi.pdu.PduDecoder;
import io.jtarget.iscsi.transport.MemoryTransport;
import io.jtarget.scsi.ScsiStatus;
import io.jtarget.testinit.Cdbs;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Data-Out rules of the protocol core (RFC 7143 §11.7, §11.8, §13.10-§13.17) through the in-memory transport. */
class DataOutProtocolTest {
    private final ProtocolHarness h = new ProtocolHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** READ(10) back through Data-In PDUs. */
    private byte[] readBack(long lba, int blocks) {
        int itt = 0x900 + h.nextItt++;
        h.receive(h.command(itt, Cdbs.read10(lba, blocks), true, false, blocks * ProtocolHarness.BLOCK, null, true));
        byte[] out = new byte[blocks * ProtocolHarness.BLOCK];
        int got = 0;
        while (got < out.length) {
            IscsiPdu in = h.expect(Opcode.SCSI_DATA_IN);
            try {
                int offset = in.int32(Bhs.Data.BUFFER_OFFSET_OFFSET);
                in.data().getBytes(in.data().readerIndex(), out, offset, in.data().readableBytes());
                got += in.data().readableBytes();
            } finally {
                in.release();
            }
        }
        return out;
    }

    @Test
    void r2tsStayWithinMaxOutstandingR2TAndMaxBurstLength() {
        h.login("InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=2048", "FirstBurstLength=2048",
                "MaxOutstandingR2T=2");
        byte[] data = pattern(8192, 7);
        h.receive(h.command(0x10, Cdbs.write10(0, 16, false), false, true, 8192, null, true));
        IscsiPdu r1 = h.expect(Opcode.R2T);
        IscsiPdu r2 = h.expect(Opcode.R2T);
        h.expectNothing(); // MaxOutstandingR2T=2
        List<IscsiPdu> r2ts = new ArrayList<>(List.of(r1, r2));
        Set<Integer> tags = new HashSet<>();
        int answered = 0;
        while (answered < 4) {
            IscsiPdu r2t = r2ts.remove(0);
            int ttt = r2t.int32(Bhs.R2t.TTT_OFFSET);
            int offset = r2t.int32(Bhs.R2t.BUFFER_OFFSET_OFFSET);
            int length = r2t.int32(Bhs.R2t.DESIRED_LENGTH_OFFSET);
            assertThat(r2t.int32(Bhs.R2t.R2TSN_OFFSET)).isEqualTo(answered);
            assertThat(offset).isEqualTo(answered * 2048);
            assertThat(length).as("each R2T at most MaxBurstLength").isEqualTo(2048);
            assertThat(tags.add(ttt)).as("TTTs of outstanding R2Ts differ").isTrue();
            r2t.release();
            // Two Data-Out PDUs per burst, DataSN from 0 in each sequence.
            h.receive(h.dataOut(0x10, ttt, 0, offset, java.util.Arrays.copyOfRange(data, offset, offset + 1024), false));
            h.receive(h.dataOut(0x10, ttt, 1, offset + 1024, java.util.Arrays.copyOfRange(data, offset + 1024, offset + 2048), true));
            answered++;
            if (answered <= 2) {
                r2ts.add(h.expect(Opcode.R2T)); // the answered R2T frees a slot
            }
        }
        assertThat(h.expectStatus(0x10)).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.connection.transferTags().outstanding()).as("every R2T tag released").isZero();
        assertThat(readBack(0, 16)).isEqualTo(data);
    }

    @Test
    void dataOutOutsideItsR2tIsRejectedAndEndsOnlyThatTask() {
        h.login("InitialR2T=Yes", "ImmediateData=No");
        h.receive(h.command(0x11, Cdbs.write10(0, 2, false), false, true, 1024, null, true));
        IscsiPdu r2t = h.expect(Opcode.R2T);
        int ttt = r2t.int32(Bhs.R2t.TTT_OFFSET);
        r2t.release();
        h.receive(h.dataOut(0x11, ttt, 0, 512, pattern(1024, 1), true)); // runs past EDTL
        h.expect(Opcode.REJECT).release();
        IscsiPdu response = h.expect(Opcode.SCSI_RESPONSE);
        assertThat(response.u8(Bhs.ScsiResponse.STATUS_OFFSET)).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(ProtocolHarness.sense(response)[2] & 0x0f).as("ABORTED COMMAND").isEqualTo(0x0b);
        response.release();
        assertThat(h.connection.transferTags().outstanding()).isZero();
        // Late Data-Out for the ended task is discarded; the connection goes on.
        h.receive(h.dataOut(0x11, ttt, 1, 0, pattern(512, 1), true));
        h.expectNothing();
        h.receive(h.command(0x12, Cdbs.testUnitReady(), false, false, 0, null, true));
        assertThat(h.expectStatus(0x12)).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.writes).isZero();
    }

    @Test
    void dataOutWithAnUnknownTagIsRejected() {
        h.login("InitialR2T=Yes", "ImmediateData=No");
        h.receive(h.command(0x13, Cdbs.write10(0, 1, false), false, true, 512, null, true));
        h.expect(Opcode.R2T).release();
        h.receive(h.dataOut(0x13, 0x7777, 0, 0, pattern(512, 2), true));
        h.expect(Opcode.REJECT).release();
        assertThat(h.expectStatus(0x13)).isEqualTo(ScsiStatus.CHECK_CONDITION);
    }

    @Test
    void unsolicitedDataUpToFirstBurstThenR2tsForTheRest() {
        h.login("InitialR2T=No", "ImmediateData=Yes", "FirstBurstLength=1024", "MaxBurstLength=4096");
        byte[] data = pattern(4096, 3);
        // 512 bytes immediate, 512 unsolicited Data-Out, the rest solicited.
        h.receive(h.command(0x20, Cdbs.write10(0, 8, false), false, true, 4096,
                java.util.Arrays.copyOf(data, 512), false));
        IscsiPdu r2t = h.expect(Opcode.R2T);
        assertThat(r2t.int32(Bhs.R2t.BUFFER_OFFSET_OFFSET)).as("R2T starts after FirstBurstLength").isEqualTo(1024);
        assertThat(r2t.int32(Bhs.R2t.DESIRED_LENGTH_OFFSET)).isEqualTo(3072);
        int ttt = r2t.int32(Bhs.R2t.TTT_OFFSET);
        r2t.release();
        h.receive(h.dataOut(0x20, Bhs.RESERVED_TAG, 0, 512, java.util.Arrays.copyOfRange(data, 512, 1024), true));
        h.expectNothing();
        h.receive(h.dataOut(0x20, ttt, 0, 1024, java.util.Arrays.copyOfRange(data, 1024, 4096), true));
        assertThat(h.expectStatus(0x20)).isEqualTo(ScsiStatus.GOOD);
        assertThat(readBack(0, 8)).isEqualTo(data);
    }

    @Test
    void unsolicitedDataBeyondFirstBurstIsRejected() {
        h.login("InitialR2T=No", "ImmediateData=No", "FirstBurstLength=512");
        h.receive(h.command(0x21, Cdbs.write10(0, 4, false), false, true, 2048, null, false));
        h.expect(Opcode.R2T).release();
        h.receive(h.dataOut(0x21, Bhs.RESERVED_TAG, 0, 0, pattern(1024, 4), true));
        h.expect(Opcode.REJECT).release();
        assertThat(h.expectStatus(0x21)).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(h.connection.transferTags().outstanding()).as("the R2T's tag released with the task").isZero();
    }

    /** RFC 7143 §7.8 b): a solicited Data-Out failing its data digest is rejected; the task ends once its data is in. */
    @Test
    void aDataDigestErrorOnSolicitedDataEndsTheTaskWithARetryableError() {
        h.login("InitialR2T=Yes", "ImmediateData=No");
        h.receive(h.command(0x14, Cdbs.write10(0, 2, false), false, true, 1024, null, true));
        IscsiPdu r2t = h.expect(Opcode.R2T);
        int ttt = r2t.int32(Bhs.R2t.TTT_OFFSET);
        r2t.release();
        // The first half arrives with a bad digest: the decoder hands over its header only.
        IscsiPdu bad = h.dataOut(0x14, ttt, 0, 0, pattern(512, 5), false);
        ByteBuf header = bad.header().retain();
        header.setMedium(header.readerIndex() + Bhs.DATA_SEGMENT_LENGTH_OFFSET, 512);
        bad.release();
        h.transport.receiveDecodeError(new PduDecoder.DecodeError(header, PduDecoder.DecodeError.Kind.DATA_DIGEST_ERROR));
        IscsiPdu reject = h.expect(Opcode.REJECT);
        assertThat(reject.u8(Bhs.Reject.REASON_OFFSET)).isEqualTo(Bhs.Reject.DATA_DIGEST_ERROR);
        reject.release();
        h.expectNothing(); // the sequence is still in step: the task waits for the rest
        h.receive(h.dataOut(0x14, ttt, 1, 512, pattern(512, 6), true));
        IscsiPdu response = h.expect(Opcode.SCSI_RESPONSE);
        try {
            assertThat(response.u8(Bhs.ScsiResponse.STATUS_OFFSET)).isEqualTo(ScsiStatus.CHECK_CONDITION);
            byte[] sense = ProtocolHarness.sense(response);
            assertThat(sense[2] & 0x0f).as("ABORTED COMMAND").isEqualTo(0x0b);
            assertThat(sense[12] & 0xff).as("PROTOCOL SERVICE CRC ERROR").isEqualTo(0x47);
        } finally {
            response.release();
        }
        assertThat(h.device.writes).isZero();
        assertThat(h.connection.transferTags().outstanding()).isZero();
    }

    @Test
    void overRdmaTheCoreAsksForTheDataAndNoR2tOrDataInIsSent() {
        h.connect(MemoryTransport.Mode.RDMA, TransportKeyRules.NONE);
        h.login("InitialR2T=Yes", "ImmediateData=Yes", "FirstBurstLength=512");
        byte[] data = pattern(2048, 9);
        h.receive(h.command(0x30, Cdbs.write10(4, 4, false), false, true, 2048, java.util.Arrays.copyOf(data, 512), true));
        h.expectNothing(); // no R2T on the wire
        assertThat(h.transport.fetches).singleElement().satisfies(f -> {
            assertThat(f.offset()).isEqualTo(512);
            assertThat(f.length()).isEqualTo(1536);
        });
        h.transport.completeFetch(h.transport.fetches.get(0), java.util.Arrays.copyOfRange(data, 512, 2048));
        assertThat(h.expectStatus(0x30)).isEqualTo(ScsiStatus.GOOD);

        h.receive(h.command(0x31, Cdbs.read10(4, 4), true, false, 2048, null, true));
        // Data by RDMA Write, then the status in a SCSI Response (RFC 7145 §7.3.5).
        assertThat(h.expectStatus(0x31)).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.transport.rdmaWrites).singleElement().satisfies(w -> {
            assertThat(w.itt()).isEqualTo(0x31);
            assertThat(w.data()).isEqualTo(data);
        });
        assertThat(h.transport.endedTasks).endsWith(0x30, 0x31);
    }

    @Test
    void anAbortedRdmaFetchIsCancelled() {
        h.connect(MemoryTransport.Mode.RDMA, TransportKeyRules.NONE);
        h.login("InitialR2T=Yes", "ImmediateData=No");
        h.receive(h.command(0x32, Cdbs.write10(0, 1, false), false, true, 512, null, true));
        assertThat(h.transport.fetches).hasSize(1);
        h.receive(h.taskManagement(0x33, Bhs.TaskManagement.ABORT_TASK, 0x32, h.cmdSn - 1, true));
        IscsiPdu tmf = h.expect(Opcode.TASK_MGMT_RESPONSE);
        assertThat(tmf.u8(Bhs.TaskManagement.RESPONSE_OFFSET)).isEqualTo(Bhs.TaskManagement.FUNCTION_COMPLETE);
        tmf.release();
        assertThat(h.transport.fetches).as("fetch cancelled").isEmpty();
        assertThat(h.device.writes).isZero();
    }
}
