package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.testinit.IscsiWire.Data;
import io.jtarget.testinit.IscsiWire.Opcode;
import io.jtarget.testinit.IscsiWire.R2t;
import io.jtarget.testinit.IscsiWire.ScsiResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScsiTaskTest {

    private static SessionParameters params(boolean immediate, boolean initialR2T, int firstBurst, int maxBurst,
            int targetMaxRecv) {
        return new SessionParameters(false, false, initialR2T, immediate, maxBurst, firstBurst, 1, true, true, 0, 1, 2, 0,
                8192, targetMaxRecv, Map.of());
    }

    private static Pdu dataIn(int itt, int dataSn, int offset, int length, int flags) {
        return Pdu.create(Opcode.DATA_IN).flags(flags).itt(itt).ttt(IscsiWire.RESERVED_TAG)
                .intAt(Data.DATA_SN, dataSn).intAt(Data.BUFFER_OFFSET, offset).data(new byte[length]);
    }

    @Test
    void shouldSplitFirstBurstIntoImmediateAndUnsolicitedWhenBothAreAllowed() {
        byte[] data = new byte[20000];
        ScsiTask task = new ScsiTask(ScsiRequest.write(0, Cdbs.write10(0, 1, false), data), 7, 100,
                params(true, false, 16384, 65536, 4096));
        List<Pdu> pdus = task.commandPdus();
        Pdu command = pdus.getFirst();
        assertThat(command.data()).as("immediate data limited by the target's MaxRecvDataSegmentLength").hasSize(4096);
        assertThat(command.isFinal()).as("F=0: unsolicited Data-Out follows").isFalse();
        List<Pdu> dataOut = pdus.subList(1, pdus.size());
        assertThat(dataOut).extracting(p -> p.data().length).containsExactly(4096, 4096, 4096);
        assertThat(dataOut).extracting(p -> p.intAt(Data.BUFFER_OFFSET)).containsExactly(4096, 8192, 12288);
        assertThat(dataOut).extracting(p -> p.intAt(Data.DATA_SN)).containsExactly(0, 1, 2);
        assertThat(dataOut).extracting(Pdu::ttt).containsOnly(IscsiWire.RESERVED_TAG);
        assertThat(dataOut.getLast().isFinal()).isTrue();
    }

    @Test
    void shouldSendOnlyCommandWhenInitialR2TAndNoImmediateData() {
        ScsiTask task = new ScsiTask(ScsiRequest.write(0, Cdbs.write10(0, 1, false), new byte[512]), 7, 100,
                params(false, true, 65536, 262144, 8192));
        List<Pdu> pdus = task.commandPdus();
        assertThat(pdus).hasSize(1);
        assertThat(pdus.getFirst().data()).isEmpty();
        assertThat(pdus.getFirst().isFinal()).isTrue();
        assertThat(pdus.getFirst().flags() & IscsiWire.ScsiCommand.FLAG_WRITE).isNotZero();
    }

    @Test
    void shouldAnswerR2tWithDataOutSequenceWhenAsked() throws Exception {
        ScsiTask task = new ScsiTask(ScsiRequest.write(0, Cdbs.write10(0, 1, false), new byte[10000]), 7, 100,
                params(false, true, 65536, 262144, 4096));
        task.commandPdus();
        Pdu r2t = Pdu.create(Opcode.R2T).itt(7).ttt(0x55).intAt(R2t.R2T_SN, 0).intAt(R2t.BUFFER_OFFSET, 1000)
                .intAt(R2t.DESIRED_DATA_TRANSFER_LENGTH, 9000);
        List<Pdu> out = task.onR2t(r2t);
        assertThat(out).extracting(p -> p.data().length).containsExactly(4096, 4096, 808);
        assertThat(out).extracting(Pdu::ttt).containsOnly(0x55);
        assertThat(out).extracting(p -> p.intAt(Data.DATA_SN)).containsExactly(0, 1, 2);
        assertThat(out.getLast().isFinal()).isTrue();
    }

    @Test
    void shouldReportViolationWhenR2tExceedsMaxBurstOrEdtl() {
        ScsiTask task = new ScsiTask(ScsiRequest.write(0, Cdbs.write10(0, 1, false), new byte[10000]), 7, 100,
                params(false, true, 65536, 4096, 4096));
        task.commandPdus();
        Pdu tooLong = Pdu.create(Opcode.R2T).itt(7).ttt(1).intAt(R2t.R2T_SN, 0).intAt(R2t.DESIRED_DATA_TRANSFER_LENGTH, 8192);
        assertThatThrownBy(() -> task.onR2t(tooLong)).isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("MaxBurstLength");
        ScsiTask other = new ScsiTask(ScsiRequest.write(0, Cdbs.write10(0, 1, false), new byte[1000]), 8, 100,
                params(false, true, 65536, 4096, 4096));
        Pdu beyond = Pdu.create(Opcode.R2T).itt(8).ttt(1).intAt(R2t.R2T_SN, 0).intAt(R2t.BUFFER_OFFSET, 512)
                .intAt(R2t.DESIRED_DATA_TRANSFER_LENGTH, 1000);
        assertThatThrownBy(() -> other.onR2t(beyond)).isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("beyond");
    }

    @Test
    void shouldCollectDataInAndStatusWhenInOrder() throws Exception {
        ScsiTask task = new ScsiTask(ScsiRequest.read(0, Cdbs.read10(0, 2), 1024), 9, 1, params(true, true, 65536, 262144, 8192));
        task.onDataIn(dataIn(9, 0, 0, 512, 0));
        task.onDataIn(dataIn(9, 1, 512, 512, IscsiWire.Bhs.FINAL_FLAG | Data.FLAG_STATUS));
        assertThat(task.isDone()).isTrue();
        assertThat(task.result().isGood()).isTrue();
        assertThat(task.result().statusInDataIn()).isTrue();
        assertThat(task.result().dataInPdus()).isEqualTo(2);
    }

    @Test
    void shouldReportViolationWhenDataSnSkips() throws Exception {
        ScsiTask task = new ScsiTask(ScsiRequest.read(0, Cdbs.read10(0, 2), 1024), 9, 1, params(true, true, 65536, 262144, 8192));
        task.onDataIn(dataIn(9, 0, 0, 512, 0));
        assertThatThrownBy(() -> task.onDataIn(dataIn(9, 2, 512, 512, 0)))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("DataSN");
    }

    @Test
    void shouldReportViolationWhenBufferOffsetLeavesAGap() {
        ScsiTask task = new ScsiTask(ScsiRequest.read(0, Cdbs.read10(0, 2), 1024), 9, 1, params(true, true, 65536, 262144, 8192));
        assertThatThrownBy(() -> task.onDataIn(dataIn(9, 0, 512, 512, 0)))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("Buffer Offset");
    }

    @Test
    void shouldReportViolationWhenSequenceExceedsMaxBurstWithoutFinalBit() throws Exception {
        ScsiTask task = new ScsiTask(ScsiRequest.read(0, Cdbs.read10(0, 4), 2048), 9, 1, params(true, true, 512, 1024, 8192));
        task.onDataIn(dataIn(9, 0, 0, 512, 0));
        task.onDataIn(dataIn(9, 1, 512, 512, IscsiWire.Bhs.FINAL_FLAG));
        task.onDataIn(dataIn(9, 2, 1024, 512, 0));
        task.onDataIn(dataIn(9, 3, 1536, 512, 0)); // 1024 bytes in this sequence: still allowed
        ScsiTask over = new ScsiTask(ScsiRequest.read(0, Cdbs.read10(0, 4), 2048), 10, 1, params(true, true, 512, 1024, 8192));
        over.onDataIn(dataIn(10, 0, 0, 1024, 0));
        assertThatThrownBy(() -> over.onDataIn(dataIn(10, 1, 1024, 512, 0)))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("MaxBurstLength");
    }

    @Test
    void shouldReportViolationWhenGoodReadIsShortWithoutUnderflow() {
        ScsiTask task = new ScsiTask(ScsiRequest.read(0, Cdbs.read10(0, 2), 1024), 9, 1, params(true, true, 65536, 262144, 8192));
        assertThatThrownBy(() -> task.onDataIn(dataIn(9, 0, 0, 512, IscsiWire.Bhs.FINAL_FLAG | Data.FLAG_STATUS)))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("GOOD read delivered 512");
    }

    @Test
    void shouldParseSenseWhenResponseCarriesCheckCondition() throws Exception {
        ScsiTask task = new ScsiTask(ScsiRequest.noData(0, Cdbs.testUnitReady()), 3, 1, params(true, true, 65536, 262144, 8192));
        byte[] segment = new byte[2 + 18];
        segment[1] = 18;
        segment[2] = 0x70;
        segment[4] = 0x06;
        segment[9] = 10;
        segment[14] = 0x29;
        Pdu response = Pdu.create(Opcode.SCSI_RESPONSE).flags(IscsiWire.Bhs.FINAL_FLAG).itt(3)
                .byteAt(ScsiResponse.STATUS, IscsiWire.ScsiStatus.CHECK_CONDITION).data(segment);
        task.onResponse(response);
        assertThat(task.result().sense().is(6, 0x29, 0)).isTrue();
    }

    @Test
    void shouldReportViolationWhenCheckConditionHasNoSense() {
        ScsiTask task = new ScsiTask(ScsiRequest.noData(0, Cdbs.testUnitReady()), 3, 1, params(true, true, 65536, 262144, 8192));
        Pdu response = Pdu.create(Opcode.SCSI_RESPONSE).flags(IscsiWire.Bhs.FINAL_FLAG).itt(3)
                .byteAt(ScsiResponse.STATUS, IscsiWire.ScsiStatus.CHECK_CONDITION);
        assertThatThrownBy(() -> task.onResponse(response)).isInstanceOf(ProtocolViolationException.class);
    }

    @Test
    void shouldPutExtraCdbBytesInAhsWhenCdbIsLong() {
        byte[] cdb = new byte[32];
        cdb[0] = 0x7F;
        cdb[31] = 0x33;
        ScsiTask task = new ScsiTask(ScsiRequest.noData(0, cdb), 3, 1, params(true, true, 65536, 262144, 8192));
        Pdu command = task.commandPdus().getFirst();
        assertThat(command.ahs()).hasSize(20);
        assertThat(Bytes.getShort(command.ahs(), 0)).as("AHSLength: 16 CDB bytes + reserved byte").isEqualTo(17);
        assertThat(command.ahs()[2]).isEqualTo((byte) 1);
        assertThat(command.ahs()[19]).isEqualTo((byte) 0x33);
    }
}
