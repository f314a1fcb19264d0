package io.jtarget.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.Cdbs;
import io.jtarget.testinit.ConnectionClosedException;
import io.jtarget.testinit.IscsiWire;
import io.jtarget.testinit.IscsiWire.Opcode;
import io.jtarget.testinit.IscsiWire.Reject;
import io.jtarget.testinit.IscsiWire.SenseKey;
import io.jtarget.testinit.IscsiWire.TaskManagement;
import io.jtarget.testinit.Pdu;
import io.jtarget.testinit.ScsiRequest;
import io.jtarget.testinit.ScsiResult;
import io.jtarget.testinit.ScsiTask;
import io.jtarget.testinit.SerialNumbers;
import io.jtarget.testinit.TestInitiator;
import io.jtarget.testinit.TmfResult;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Session-level behaviour: NOP ping, the CmdSN window, task management, and bad input that must
 * get the standard's answer without disturbing other sessions (RFC 7143 §4.2.2, §11.5/§11.6,
 * §11.17-§11.19).
 */
class SessionE2ETest {
    @RegisterExtension
    static final E2eTarget target = E2eTarget.withDefaults();

    @Test
    void shouldEchoPingDataWhenNopOutCarriesData() throws Exception {
        try (TestInitiator initiator = target.login()) {
            byte[] data = Bytes.random(1000, 1);
            Pdu nopIn = initiator.ping(data);
            assertThat(nopIn.data()).isEqualTo(data);
            assertThat(initiator.ping().data()).isEmpty();
        }
    }

    @Test
    void shouldAdvanceExpCmdSnWhenNonImmediateNopOutIsAnswered() throws Exception {
        try (TestInitiator initiator = target.login()) {
            int before = initiator.nextCmdSn();
            initiator.ping(new byte[] {1, 2, 3}, false);
            assertThat(initiator.nextCmdSn()).isEqualTo(before + 1);
            assertThat(initiator.expCmdSn()).as("ExpCmdSN after the non-immediate NOP-Out").isEqualTo(before + 1);
            initiator.ping(new byte[] {4}, true);
            assertThat(initiator.expCmdSn()).as("an immediate NOP-Out does not consume a CmdSN").isEqualTo(before + 1);
        }
    }

    @Test
    void shouldAdvanceMaxCmdSnWhenCommandsComplete() throws Exception {
        try (TestInitiator initiator = target.login()) {
            int window = initiator.maxCmdSn() - initiator.expCmdSn() + 1;
            assertThat(window).as("CmdSN window after login (MaxCmdSN - ExpCmdSN + 1)").isPositive();
            int firstMax = initiator.maxCmdSn();
            int commands = 3 * window + 5;
            for (int i = 0; i < commands; i++) {
                initiator.inquiry(E2eTarget.RAM_LUN).requireGood();
                assertThat(initiator.expCmdSn()).as("ExpCmdSN after command %d", i).isEqualTo(initiator.nextCmdSn());
            }
            assertThat(initiator.maxCmdSn() - firstMax).as("MaxCmdSN moved with the completed commands")
                    .isGreaterThanOrEqualTo(commands);
        }
    }

    @Test
    void shouldCompleteEveryCommandWhenWindowIsFilled() throws Exception {
        try (TestInitiator initiator = target.login()) {
            int window = initiator.maxCmdSn() - initiator.expCmdSn() + 1;
            int n = Math.min(window, 256);
            List<ScsiTask> tasks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                tasks.add(initiator.submit(ScsiRequest.read(E2eTarget.RAM_LUN, Cdbs.inquiry(false, 0, 96), 96)));
            }
            for (ScsiTask t : tasks) {
                assertThat(initiator.await(t).requireGood().data()).hasSize(96);
            }
        }
    }

    @Test
    void shouldIgnoreCommandWhenCmdSnIsBeyondTheWindow() throws Exception {
        try (TestInitiator initiator = target.login()) {
            int outside = initiator.maxCmdSn() + 1;
            ScsiTask ghost = initiator.submitWithCmdSn(
                    ScsiRequest.read(E2eTarget.RAM_LUN, Cdbs.inquiry(false, 0, 96), 96), outside);
            assertThat(initiator.awaitDone(ghost, Duration.ofSeconds(1)))
                    .as("RFC 7143 §3.2.2.1: a non-immediate command outside [ExpCmdSN, MaxCmdSN] is silently ignored")
                    .isFalse();
            // A target that held the ghost (instead of dropping it) would run it once the window reaches
            // its CmdSN: walk the session's own commands past it.
            while (SerialNumbers.lessOrEqual(initiator.nextCmdSn(), outside)) {
                assertThat(initiator.inquiry(E2eTarget.RAM_LUN).requireGood().data()).isNotEmpty();
            }
            assertThat(initiator.awaitDone(ghost, Duration.ofMillis(300)))
                    .as("the command sent outside the window ran after all (held, not ignored)").isFalse();
        }
    }

    @Test
    void shouldAnswerTaskDoesNotExistWhenAbortingUnknownTask() throws Exception {
        try (TestInitiator initiator = target.login()) {
            initiator.clearUnitAttentions(E2eTarget.RAM_LUN);
            int oldCmdSn = initiator.nextCmdSn();
            initiator.testUnitReady(E2eTarget.RAM_LUN).requireGood();
            // RefCmdSN of a completed command is outside the window: RFC 7143 §11.5.1 → "Task does not exist".
            TmfResult result = initiator.taskManagement(TaskManagement.ABORT_TASK, E2eTarget.RAM_LUN, 0x7777, oldCmdSn);
            assertThat(result.response()).as("TMF response").isEqualTo(TaskManagement.TASK_DOES_NOT_EXIST);
            assertThat(initiator.testUnitReady(E2eTarget.RAM_LUN).isGood()).isTrue();
        }
    }

    @Test
    void shouldNeverRunACommandAbortedWhileHeldAheadOfACmdSnGap() throws Exception {
        try (TestInitiator initiator = target.login()) {
            initiator.clearUnitAttentions(E2eTarget.RAM_LUN);
            int blockSize = initiator.capacity(E2eTarget.RAM_LUN).blockSize();
            int gap = initiator.takeCmdSn();
            int heldSn = initiator.takeCmdSn();
            int laterSn = initiator.takeCmdSn();
            byte[] ones = new byte[blockSize];
            java.util.Arrays.fill(ones, (byte) 0x11);
            ScsiTask held = initiator.submitWithCmdSn(
                    ScsiRequest.write(E2eTarget.RAM_LUN, Cdbs.write10(300, 1, false), ones), heldSn);
            ScsiTask later = initiator.submitWithCmdSn(
                    ScsiRequest.read(E2eTarget.RAM_LUN, Cdbs.read10(300, 1), blockSize), laterSn);

            // RFC 7143 §11.5.1: not yet run, RefCmdSN inside the window and before the TMF's CmdSN.
            assertThat(initiator.abortTask(held).response()).isEqualTo(TaskManagement.FUNCTION_COMPLETE);

            ScsiTask first = initiator.submitWithCmdSn(ScsiRequest.noData(E2eTarget.RAM_LUN, Cdbs.testUnitReady()), gap);
            assertThat(initiator.await(first).isGood()).isTrue();
            assertThat(initiator.await(later).requireGood().data())
                    .as("the aborted WRITE before it never ran").isEqualTo(new byte[blockSize]);
            assertThat(initiator.pollPdu(Duration.ofMillis(300)))
                    .as("no response for the aborted command").isEmpty();
            assertThat(initiator.testUnitReady(E2eTarget.RAM_LUN).isGood())
                    .as("the window moved past the aborted CmdSN").isTrue();
        }
    }

    @Test
    void shouldReportUnitAttentionOnceWhenLunWasReset() throws Exception {
        try (TestInitiator initiator = target.login()) {
            initiator.clearUnitAttentions(E2eTarget.FILE_LUN);
            assertThat(initiator.testUnitReady(E2eTarget.FILE_LUN).isGood()).isTrue();
            TmfResult reset = initiator.lunReset(E2eTarget.FILE_LUN);
            assertThat(reset.response()).isEqualTo(TaskManagement.FUNCTION_COMPLETE);
            ScsiResult first = initiator.testUnitReady(E2eTarget.FILE_LUN);
            assertThat(first.isCheckCondition()).as("first command after LUN RESET: %s", first).isTrue();
            assertThat(first.senseKey()).isEqualTo(SenseKey.UNIT_ATTENTION);
            // SAM-5 §6.3.3: the reset is reported with ASC 29h (POWER ON, RESET, OR BUS DEVICE RESET OCCURRED family).
            assertThat(first.sense().asc()).isEqualTo(0x29);
            assertThat(initiator.clearUnitAttentions(E2eTarget.FILE_LUN)).as("further UAs").isEmpty();
            assertThat(initiator.testUnitReady(E2eTarget.FILE_LUN).isGood()).isTrue();
        }
    }

    @Test
    void shouldReportLunDoesNotExistWhenResettingMissingLun() throws Exception {
        try (TestInitiator initiator = target.login()) {
            TmfResult reset = initiator.lunReset(200);
            assertThat(reset.response()).as("RFC 7143 §11.6.1").isEqualTo(TaskManagement.LUN_DOES_NOT_EXIST);
        }
    }

    @Test
    void shouldAnswerLogicalUnitNotSupportedWhenLunIsMissing() throws Exception {
        try (TestInitiator initiator = target.login()) {
            ScsiResult r = initiator.testUnitReady(200);
            assertThat(r.isCheckCondition()).as("%s", r).isTrue();
            // SPC-5 §4.4: LOGICAL UNIT NOT SUPPORTED, ILLEGAL REQUEST 25h/00h
            assertThat(r.sense().is(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00)).as("%s", r.sense()).isTrue();
        }
    }

    @Test
    void shouldRejectUnknownOpcodeWithoutDisturbingOtherSessions() throws Exception {
        try (TestInitiator bystander = target.loginReady(); TestInitiator offender = target.login()) {
            byte[] before = Bytes.random(8 * bystander.blockSize(E2eTarget.RAM_LUN), 21);
            bystander.write10(E2eTarget.RAM_LUN, 40000, before, false).requireGood();

            Pdu bogus = Pdu.create(0x0F).immediate(true).flags(IscsiWire.Bhs.FINAL_FLAG)
                    .itt(offender.newItt()).ttt(IscsiWire.RESERVED_TAG)
                    .cmdSn(offender.nextCmdSn()).expStatSn(offender.expStatSn());
            offender.sendPdu(bogus);
            // RFC 7143 §11.17.1: an opcode the target does not know is "Command not supported".
            assertRejectedOrClosed(offender, bogus, false, Reject.COMMAND_NOT_SUPPORTED, Reject.PROTOCOL_ERROR);

            assertThat(bystander.read10(E2eTarget.RAM_LUN, 40000, 8).requireGood().data()).isEqualTo(before);
            byte[] after = Bytes.random(8 * bystander.blockSize(E2eTarget.RAM_LUN), 22);
            bystander.write10(E2eTarget.RAM_LUN, 40000, after, true).requireGood();
            assertThat(bystander.read10(E2eTarget.RAM_LUN, 40000, 8).requireGood().data()).isEqualTo(after);
        }
    }

    @Test
    void shouldSurviveDataOutForNoCommand() throws Exception {
        try (TestInitiator bystander = target.login(); TestInitiator offender = target.login()) {
            Pdu stray = Pdu.create(Opcode.DATA_OUT).flags(IscsiWire.Bhs.FINAL_FLAG)
                    .itt(0x5A5A).ttt(IscsiWire.RESERVED_TAG).expStatSn(offender.expStatSn())
                    .data(new byte[512]);
            offender.sendPdu(stray);
            // No rule names one answer: a Reject, dropping the connection, or discarding the PDU are all
            // defensible at ErrorRecoveryLevel 0. Crashing, hanging or disturbing others is not.
            assertRejectedOrClosed(offender, stray, true, Reject.PROTOCOL_ERROR, Reject.INVALID_PDU_FIELD);
            assertThat(bystander.ping(new byte[] {9}).data()).containsExactly(9);
        }
    }

    @Test
    void shouldCloseConnectionWhenHeaderDigestIsWrong() throws Exception {
        try (TestInitiator bystander = target.login(E2eTarget.options().crc32cDigests());
                TestInitiator offender = target.login(E2eTarget.options().crc32cDigests())) {
            Pdu nop = Pdu.create(Opcode.NOP_OUT).immediate(true).flags(IscsiWire.Bhs.FINAL_FLAG)
                    .itt(offender.newItt()).ttt(IscsiWire.RESERVED_TAG).cmdSn(offender.nextCmdSn())
                    .expStatSn(offender.expStatSn());
            byte[] wire = nop.encode(true, true);
            wire[IscsiWire.BHS_LENGTH] ^= 0x01; // corrupt the header digest
            offender.sendRaw(wire);
            // RFC 7143 §7.8: at ErrorRecoveryLevel 0 a header digest error leaves no way to find the next PDU:
            // the target drops the connection (it must never act on the corrupt header).
            assertThat(offender.awaitClosedByTarget(Duration.ofSeconds(10))).isTrue();
            assertThat(bystander.ping(new byte[] {5}).data()).containsExactly(5);
        }
    }

    @Test
    void shouldEndOnlyTheTaskWhenDataOutDigestIsWrong() throws Exception {
        try (TestInitiator bystander = target.loginReady();
                TestInitiator writer = target.login(E2eTarget.options().crc32cDigests().immediateData(false).initialR2T(true))) {
            int bs = bystander.blockSize(E2eTarget.RAM_LUN);
            byte[] before = bystander.read10(E2eTarget.RAM_LUN, 42000, 1).requireGood().data();
            writer.clearUnitAttentions(E2eTarget.RAM_LUN);
            writer.useBlockSize(E2eTarget.RAM_LUN, bs);
            int itt = writer.newItt();
            Pdu write = Pdu.create(Opcode.SCSI_COMMAND)
                    .flags(IscsiWire.Bhs.FINAL_FLAG | IscsiWire.ScsiCommand.FLAG_WRITE | IscsiWire.TaskAttribute.SIMPLE)
                    .lunField(0).itt(itt).intAt(IscsiWire.ScsiCommand.EXPECTED_DATA_TRANSFER_LENGTH, bs)
                    .cmdSn(writer.takeCmdSn()).expStatSn(writer.expStatSn());
            byte[] cdb = Cdbs.write10(42000, 1, false);
            System.arraycopy(cdb, 0, write.bhs(), IscsiWire.ScsiCommand.CDB, cdb.length);
            writer.sendPdu(write);
            Pdu r2t = writer.receiveRawPdu();
            assertThat(r2t.opcode()).as("reply %s", r2t).isEqualTo(Opcode.R2T);
            byte[] data = new byte[bs];
            Arrays.fill(data, (byte) 0x5A);
            Pdu dataOut = Pdu.create(Opcode.DATA_OUT).flags(IscsiWire.Bhs.FINAL_FLAG).lunField(0).itt(itt)
                    .ttt(r2t.ttt()).expStatSn(writer.expStatSn()).intAt(IscsiWire.Data.DATA_SN, 0)
                    .intAt(IscsiWire.Data.BUFFER_OFFSET, 0).data(data);
            byte[] wire = dataOut.encode(true, true);
            wire[wire.length - 1] ^= 0x01; // corrupt the data digest
            writer.sendRaw(wire);
            // RFC 7143 §7.8: Reject "Data (payload) digest error", then (option b) the task ends with
            // CHECK CONDITION, ABORTED COMMAND / PROTOCOL SERVICE CRC ERROR; the connection stays.
            Pdu reject = writer.receiveRawPdu();
            assertThat(reject.opcode()).as("reply %s", reject).isEqualTo(Opcode.REJECT);
            assertThat(reject.byteAt(Reject.REASON)).isEqualTo(Reject.DATA_DIGEST_ERROR);
            Pdu response = writer.receiveRawPdu();
            assertThat(response.opcode()).as("reply %s", response).isEqualTo(Opcode.SCSI_RESPONSE);
            assertThat(response.itt()).isEqualTo(itt);
            assertThat(response.byteAt(IscsiWire.ScsiResponse.STATUS)).isEqualTo(0x02);
            byte[] segment = response.data();
            int senseLength = ((segment[0] & 0xff) << 8) | (segment[1] & 0xff);
            io.jtarget.testinit.SenseData sense = io.jtarget.testinit.SenseData.parse(
                    Arrays.copyOfRange(segment, 2, 2 + senseLength));
            assertThat(sense.is(SenseKey.ABORTED_COMMAND, 0x47, 0x05)).as("sense %s", sense).isTrue();
            assertThat(bystander.read10(E2eTarget.RAM_LUN, 42000, 1).requireGood().data())
                    .as("the corrupt data never reached the disk").isEqualTo(before);
            // The connection carries on: a ping on it is answered.
            int pingItt = writer.newItt();
            writer.sendPdu(Pdu.create(Opcode.NOP_OUT).immediate(true).flags(IscsiWire.Bhs.FINAL_FLAG).itt(pingItt)
                    .ttt(IscsiWire.RESERVED_TAG).cmdSn(writer.nextCmdSn()).expStatSn(writer.expStatSn()));
            Pdu pong = writer.receiveRawPdu();
            assertThat(pong.opcode()).as("reply %s", pong).isEqualTo(Opcode.NOP_IN);
            assertThat(pong.itt()).isEqualTo(pingItt);
        }
    }

    @Test
    void shouldRejectCommandWhenDataDigestIsWrong() throws Exception {
        try (TestInitiator bystander = target.loginReady();
                TestInitiator offender = target.login(E2eTarget.options().crc32cDigests().immediateData(true))) {
            int bs = bystander.blockSize(E2eTarget.RAM_LUN);
            byte[] before = bystander.read10(E2eTarget.RAM_LUN, 41000, 1).requireGood().data();
            int itt = offender.newItt();
            Pdu write = Pdu.create(Opcode.SCSI_COMMAND)
                    .flags(IscsiWire.Bhs.FINAL_FLAG | IscsiWire.ScsiCommand.FLAG_WRITE | IscsiWire.TaskAttribute.SIMPLE)
                    .lunField(0).itt(itt).intAt(IscsiWire.ScsiCommand.EXPECTED_DATA_TRANSFER_LENGTH, bs)
                    .cmdSn(offender.nextCmdSn()).expStatSn(offender.expStatSn())
                    .data(new byte[bs]);
            byte[] cdb = Cdbs.write10(41000, 1, false);
            System.arraycopy(cdb, 0, write.bhs(), IscsiWire.ScsiCommand.CDB, cdb.length);
            Arrays.fill(write.data(), (byte) 0x6B);
            byte[] wire = write.encode(true, true);
            wire[wire.length - 1] ^= 0x01; // corrupt the data digest
            offender.sendRaw(wire);
            // RFC 7143 §7.8: a payload digest error is answered with Reject "Data (payload) digest error"
            // and the PDU is discarded: the command must not run. (Dropping the connection instead is
            // session recovery, always allowed at ErrorRecoveryLevel 0.)
            try {
                Pdu reply = offender.receivePdu();
                assertThat(reply.opcode()).as("reply %s", reply).isEqualTo(Opcode.REJECT);
                assertThat(reply.byteAt(Reject.REASON)).isEqualTo(Reject.DATA_DIGEST_ERROR);
                assertThat(Bytes.getInt(reply.data(), IscsiWire.Bhs.ITT)).isEqualTo(itt);
                // §7.8/§7.2.1: if the connection stays, the initiator's next command plugs the discarded CmdSN.
                offender.clearUnitAttentions(E2eTarget.RAM_LUN);
                offender.useBlockSize(E2eTarget.RAM_LUN, bs);
                assertThat(offender.read10(E2eTarget.RAM_LUN, 41000, 1).requireGood().data()).isEqualTo(before);
            } catch (ConnectionClosedException closed) {
                // session recovery by the target: acceptable
            }
            assertThat(bystander.read10(E2eTarget.RAM_LUN, 41000, 1).requireGood().data())
                    .as("the command with the corrupt data segment never ran").isEqualTo(before);
        }
    }

    /**
     * The target answered a bad PDU either with a Reject (reason in {@code reasons}) echoing its
     * header, after which the connection keeps working, or by closing the connection (RFC 7143
     * §11.17). With {@code silenceAllowed} it may also discard the PDU without a word, as long as
     * the connection then still works.
     */
    private static void assertRejectedOrClosed(TestInitiator initiator, Pdu sent, boolean silenceAllowed,
            int... reasons) throws IOException {
        Pdu reply;
        try {
            if (silenceAllowed) {
                java.util.Optional<Pdu> maybe = initiator.pollPdu(Duration.ofSeconds(2));
                if (maybe.isEmpty()) {
                    assertThat(initiator.ping(new byte[] {1}).data()).as("connection works after the discarded PDU")
                            .containsExactly(1);
                    return;
                }
                reply = maybe.get();
            } else {
                reply = initiator.receivePdu();
            }
        } catch (ConnectionClosedException closed) {
            return;
        }
        assertThat(reply.opcode()).as("answer to %s", sent).isEqualTo(Opcode.REJECT);
        assertThat(reply.byteAt(Reject.REASON)).as("Reject reason").isIn(Arrays.stream(reasons).boxed().toArray());
        assertThat(Arrays.copyOf(reply.data(), IscsiWire.BHS_LENGTH))
                .as("Reject carries the complete header of the bad PDU (§11.17.1)").isEqualTo(sent.bhs());
        assertThat(initiator.ping(new byte[] {1}).data()).as("connection still works after the Reject").containsExactly(1);
    }
}
