package io.jtarget.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.iscsi.login.KeyDefinition;
import io.jtarget.iscsi.login.KeyScope;
import io.jtarget.iscsi.login.KeySender;
import io.jtarget.iscsi.login.KeyType;
import io.jtarget.iscsi.login.KeyUse;
import io.jtarget.iscsi.login.KeyValue;
import io.jtarget.iscsi.login.SessionType;
import io.jtarget.iscsi.login.TransportKeyRules;
import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.iscsi.transport.MemoryTransport;
import io.jtarget.scsi.ScsiStatus;
import io.jtarget.testinit.Cdbs;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The full feature phase of the protocol core through the in-memory transport: CmdSN window,
 * task management against held and queued commands, logout and draining, NOP-In pings on a
 * manual clock, TSIH on login, transport login keys.
 */
class SessionProtocolTest {

    private static int status(ProtocolHarness h, int itt) {
        return h.expectStatus(itt);
    }

    // ---------------------------------------------------------------- CmdSN window (§4.2.2.1)

    @Test
    void commandsAheadOfAGapWaitAndRunInCmdSnOrder() {
        try (ProtocolHarness h = new ProtocolHarness(ProtocolHarness.limits(Duration.ofSeconds(5), Duration.ofSeconds(30), 4))) {
            h.login();
            int first = h.cmdSn;
            h.receive(h.command(0x2, first + 1, Cdbs.testUnitReady(), false, false, 0, null, true));
            h.receive(h.command(0x3, first + 2, Cdbs.testUnitReady(), false, false, 0, null, true));
            h.expectNothing(); // held behind the gap at CmdSN first
            h.receive(h.command(0x9, first + 40, Cdbs.testUnitReady(), false, false, 0, null, true));
            h.expectNothing(); // outside the window: silently ignored
            h.receive(h.command(0x1, first, Cdbs.testUnitReady(), false, false, 0, null, true));
            IscsiPdu r1 = h.expect(Opcode.SCSI_RESPONSE);
            IscsiPdu r2 = h.expect(Opcode.SCSI_RESPONSE);
            IscsiPdu r3 = h.expect(Opcode.SCSI_RESPONSE);
            try {
                assertThat(List.of(r1.itt(), r2.itt(), r3.itt())).containsExactly(0x1, 0x2, 0x3);
                assertThat(r3.int32(Bhs.ScsiResponse.EXP_CMDSN_OFFSET)).isEqualTo(first + 3);
                assertThat(r3.int32(Bhs.ScsiResponse.MAX_CMDSN_OFFSET)).as("window of 4, all free").isEqualTo(first + 6);
                assertThat(r2.int32(Bhs.ScsiResponse.STATSN_OFFSET)).isEqualTo(r1.int32(Bhs.ScsiResponse.STATSN_OFFSET) + 1);
            } finally {
                r1.release();
                r2.release();
                r3.release();
            }
            h.expectNothing();
        }
    }

    @Test
    void theWindowClosesWhileCommandsAreOutstanding() {
        try (ProtocolHarness h = new ProtocolHarness(ProtocolHarness.limits(Duration.ofSeconds(5), Duration.ofSeconds(30), 2))) {
            h.login();
            h.device.hold = true;
            h.receive(h.command(0x1, Cdbs.read10(0, 1), true, false, 512, null, true));
            h.receive(h.command(0x2, Cdbs.read10(0, 1), true, false, 512, null, true));
            h.receive(h.command(0x3, Cdbs.read10(0, 1), true, false, 512, null, true)); // beyond MaxCmdSN
            assertThat(h.device.heldCount()).as("the third command is outside the window").isEqualTo(2);
            h.device.hold = false;
            h.device.release();
            h.transport.loop.runPending();
            IscsiPdu last = null;
            for (int i = 0; i < 2; i++) {
                IscsiPdu in = h.expect(Opcode.SCSI_DATA_IN);
                if (last != null) {
                    last.release();
                }
                last = in;
            }
            assertThat(last.int32(Bhs.Data.MAX_CMDSN_OFFSET) - last.int32(Bhs.Data.EXP_CMDSN_OFFSET))
                    .as("both slots free again").isEqualTo(1);
            last.release();
            h.expectNothing();
        }
    }

    // ---------------------------------------------------------------- task management (§11.5)

    @Test
    void abortTaskOfACommandHeldAheadOfAGapRemovesItFromTheWindow() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            h.login();
            int gap = h.cmdSn;
            h.receive(h.command(0x21, gap + 1, Cdbs.write10(0, 1, false), false, true, 512, new byte[512], true));
            h.expectNothing();
            h.cmdSn = gap + 2;
            h.receive(h.taskManagement(0x22, Bhs.TaskManagement.ABORT_TASK, 0x21, gap + 1, true));
            IscsiPdu tmf = h.expect(Opcode.TASK_MGMT_RESPONSE);
            assertThat(tmf.u8(Bhs.TaskManagement.RESPONSE_OFFSET)).isEqualTo(Bhs.TaskManagement.FUNCTION_COMPLETE);
            tmf.release();
            // The gap fills: its command runs, the aborted one never does, and the window moves past both.
            h.receive(h.command(0x20, gap, Cdbs.testUnitReady(), false, false, 0, null, true));
            assertThat(status(h, 0x20)).isEqualTo(ScsiStatus.GOOD);
            h.expectNothing();
            assertThat(h.device.writes).isZero();
            h.receive(h.command(0x23, gap + 2, Cdbs.testUnitReady(), false, false, 0, null, true));
            IscsiPdu r = h.expect(Opcode.SCSI_RESPONSE);
            assertThat(r.itt()).isEqualTo(0x23);
            assertThat(r.int32(Bhs.ScsiResponse.EXP_CMDSN_OFFSET)).as("the window moved past the aborted CmdSN").isEqualTo(gap + 3);
            r.release();
        }
    }

    @Test
    void abortTaskOfAQueuedCommandAnswersAfterItAndSendsNoStatusForIt() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            h.login();
            h.device.hold = true;
            h.receive(h.command(0x31, Cdbs.read10(0, 1), true, false, 512, null, true));
            assertThat(h.device.heldCount()).isEqualTo(1);
            h.receive(h.taskManagement(0x32, Bhs.TaskManagement.ABORT_TASK, 0x31, h.cmdSn - 1, true));
            h.expectNothing(); // the TMF waits for the aborted task to come back from the device
            h.device.release();
            h.transport.loop.runPending();
            IscsiPdu tmf = h.expect(Opcode.TASK_MGMT_RESPONSE);
            assertThat(tmf.itt()).isEqualTo(0x32);
            assertThat(tmf.u8(Bhs.TaskManagement.RESPONSE_OFFSET)).isEqualTo(Bhs.TaskManagement.FUNCTION_COMPLETE);
            tmf.release();
            h.expectNothing(); // no Data-In or status for the aborted READ
        }
    }

    @Test
    void lunResetEndsATaskStillCollectingDataOut() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            h.login("InitialR2T=Yes", "ImmediateData=No");
            h.receive(h.command(0x41, Cdbs.write10(0, 1, false), false, true, 512, null, true));
            IscsiPdu r2t = h.expect(Opcode.R2T);
            int ttt = r2t.int32(Bhs.R2t.TTT_OFFSET);
            r2t.release();
            h.receive(h.taskManagement(0x42, Bhs.TaskManagement.LOGICAL_UNIT_RESET, Bhs.RESERVED_TAG, 0, true));
            h.expect(Opcode.TASK_MGMT_RESPONSE).release();
            assertThat(h.connection.transferTags().outstanding()).as("the R2T's tag is released").isZero();
            h.receive(h.dataOut(0x41, ttt, 0, 0, new byte[512], true));
            h.expectNothing(); // Data-Out for the aborted task is discarded
            assertThat(h.device.writes).isZero();
        }
    }

    // ---------------------------------------------------------------- logout and draining (§11.14)

    @Test
    void logoutIsAnsweredAfterOutstandingTasksAndEndsTheSession() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            h.login();
            assertThat(h.server.sessions().size()).isEqualTo(1);
            h.device.hold = true;
            h.receive(h.command(0x51, Cdbs.read10(0, 1), true, false, 512, null, true));
            h.receive(h.logout(0x52));
            h.expectNothing();
            h.receive(h.command(0x53, Cdbs.testUnitReady(), false, false, 0, null, true));
            h.expect(Opcode.REJECT).release(); // waiting for logout (§11.17.1)
            h.device.release();
            h.transport.loop.runPending();
            IscsiPdu in = h.expect(Opcode.SCSI_DATA_IN);
            assertThat(in.itt()).isEqualTo(0x51);
            in.release();
            IscsiPdu logout = h.expect(Opcode.LOGOUT_RESPONSE);
            assertThat(logout.u8(Bhs.Logout.RESPONSE_OFFSET)).isEqualTo(Bhs.Logout.RESPONSE_SUCCESS);
            logout.release();
            assertThat(h.transport.closedAfterSending).isTrue();
            h.transport.loop.runPending();
            assertThat(h.server.sessions().size()).as("session drained and unregistered").isZero();
        }
    }

    @Test
    void aLostConnectionDrainsUntilTheLastCompletionComesBack() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            h.login();
            h.device.hold = true;
            h.receive(h.command(0x61, Cdbs.write10(0, 1, false), false, true, 512, new byte[512], true));
            h.transport.disconnect();
            assertThat(h.server.sessions().size()).as("draining: the write is still in the device").isEqualTo(1);
            h.device.release();
            h.transport.loop.runPending();
            assertThat(h.server.sessions().size()).isZero();
            h.expectNothing();
        }
    }

    // ---------------------------------------------------------------- NOP-In ping (§11.19)

    @Test
    void anIdleInitiatorIsPingedAndTheAnsweredPingTagIsReleased() {
        try (ProtocolHarness h = new ProtocolHarness(ProtocolHarness.limits(Duration.ofSeconds(5), Duration.ofSeconds(30), 16))) {
            h.login();
            h.transport.loop.advance(TimeUnit.SECONDS.toNanos(4));
            h.expectNothing();
            h.transport.loop.advance(TimeUnit.SECONDS.toNanos(2));
            IscsiPdu ping = h.expect(Opcode.NOP_IN);
            int ttt = ping.int32(Bhs.Nop.TTT_OFFSET);
            assertThat(ping.itt()).isEqualTo(Bhs.RESERVED_TAG);
            assertThat(ttt).isNotEqualTo(Bhs.RESERVED_TAG);
            ping.release();
            assertThat(h.connection.transferTags().owner(ttt)).isNotNull();
            h.receive(h.nopOut(Bhs.RESERVED_TAG, ttt, true));
            h.expectNothing();
            assertThat(h.connection.transferTags().outstanding()).as("answered ping's tag released").isZero();
            // Still idle: the next ping comes an interval after the answer, with a tag of its own.
            h.transport.loop.advance(TimeUnit.SECONDS.toNanos(4));
            h.expectNothing();
            h.transport.loop.advance(TimeUnit.SECONDS.toNanos(3));
            IscsiPdu again = h.expect(Opcode.NOP_IN);
            again.release();
            assertThat(h.transport.isClosed()).isFalse();
        }
    }

    @Test
    void anUnansweredPingClosesTheConnectionAfterTheTimeout() {
        try (ProtocolHarness h = new ProtocolHarness(ProtocolHarness.limits(Duration.ofSeconds(5), Duration.ofSeconds(30), 16))) {
            h.login();
            h.transport.loop.advance(TimeUnit.SECONDS.toNanos(6));
            h.expect(Opcode.NOP_IN).release();
            h.transport.loop.advance(TimeUnit.SECONDS.toNanos(29));
            assertThat(h.transport.isClosed()).isFalse();
            h.transport.loop.advance(TimeUnit.SECONDS.toNanos(3));
            assertThat(h.transport.isClosed()).isTrue();
            assertThat(h.server.sessions().size()).isZero();
            assertThat(h.transport.loop.timers()).as("liveness timer cancelled").isZero();
        }
    }

    @Test
    void aLoginNotCompletedInTimeIsDropped() {
        try (ProtocolHarness h = new ProtocolHarness(ProtocolHarness.limits(Duration.ofSeconds(5), Duration.ofSeconds(30), 16))) {
            h.transport.loop.advance(TimeUnit.SECONDS.toNanos(16));
            assertThat(h.transport.isClosed()).isTrue();
        }
    }

    // ---------------------------------------------------------------- TSIH (§6.3.4, §11.13.5)

    @Test
    void aLoginWithTheTsihOfASessionThatJustEndedIsToldItDoesNotExist() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            IscsiPdu first = h.loginPdu(0x23D000000001L, 0);
            int tsih = first.u16(Bhs.Login.TSIH_OFFSET);
            first.release();
            assertThat(tsih).isNotZero();
            h.receive(h.logout(0x71));
            h.expect(Opcode.LOGOUT_RESPONSE).release();
            h.transport.loop.runPending();
            assertThat(h.server.sessions().size()).isZero();

            // Another session now lives; the old TSIH must not reach it, nor be handed out again.
            h.connect(MemoryTransport.Mode.PDU, TransportKeyRules.NONE);
            IscsiPdu other = h.loginPdu(0x23D000000002L, 0);
            int otherTsih = other.u16(Bhs.Login.TSIH_OFFSET);
            other.release();
            assertThat(otherTsih).isNotEqualTo(tsih);
            MemoryTransport otherTransport = h.transport;

            h.connect(MemoryTransport.Mode.PDU, TransportKeyRules.NONE);
            IscsiPdu refused = h.loginPdu(0x23D000000001L, tsih);
            assertThat(refused.u8(Bhs.Login.STATUS_CLASS_OFFSET)).isEqualTo(2);
            assertThat(refused.u8(Bhs.Login.STATUS_DETAIL_OFFSET)).as("session does not exist").isEqualTo(0x0A);
            refused.release();
            assertThat(h.transport.closedAfterSending).isTrue();
            assertThat(otherTransport.isClosed()).isFalse();
            assertThat(h.server.sessions().size()).isEqualTo(1);
        }
    }

    @Test
    void aSessionStillDrainingIsNeitherJoinedByItsTsihNorInTheWayOfItsReinstatement() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            IscsiPdu first = h.loginPdu(0x23D000000001L, 0);
            int tsih = first.u16(Bhs.Login.TSIH_OFFSET);
            first.release();
            h.receive(h.command(0x7000_0001, Cdbs.testUnitReady(), false, false, 0, null, true));
            h.expect(Opcode.SCSI_RESPONSE).release(); // the unit attention
            h.device.hold = true;
            h.receive(h.command(0x72, Cdbs.write10(0, 1, false), false, true, 512, new byte[512], true));
            h.transport.disconnect(); // connection lost with a write in the device: the session drains

            h.connect(MemoryTransport.Mode.PDU, TransportKeyRules.NONE);
            IscsiPdu refused = h.loginPdu(0x23D000000001L, tsih);
            assertThat(refused.u8(Bhs.Login.STATUS_DETAIL_OFFSET)).as("session does not exist").isEqualTo(0x0A);
            refused.release();

            // The initiator starts over with TSIH 0 and the same ISID: session reinstatement (§6.3.5).
            h.connect(MemoryTransport.Mode.PDU, TransportKeyRules.NONE);
            IscsiPdu reinstated = h.loginPdu(0x23D000000001L, 0);
            assertThat(reinstated.u8(Bhs.Login.STATUS_CLASS_OFFSET)).isZero();
            int newTsih = reinstated.u16(Bhs.Login.TSIH_OFFSET);
            reinstated.release();
            assertThat(newTsih).isNotEqualTo(tsih);
            h.device.hold = false;
            h.device.release(); // the old write comes back: the old session finishes draining
            h.transport.loop.runPending();
            assertThat(h.server.sessions().all()).singleElement().satisfies(s -> assertThat(s.tsih()).isEqualTo(newTsih));
            h.receive(h.command(0x73, Cdbs.testUnitReady(), false, false, 0, null, true));
            IscsiPdu r = h.expect(Opcode.SCSI_RESPONSE);
            assertThat(r.itt()).isEqualTo(0x73);
            r.release();
        }
    }

    // ---------------------------------------------------------------- transport login keys (RFC 7145 §6)

    /** iSER-like rules: RDMAExtensions (AND, target Yes) and the initiator's declared receive length. */
    private static final TransportKeyRules ISER_LIKE = new TransportKeyRules() {
        @Override
        public List<KeyDefinition> keys() {
            return List.of(
                    new KeyDefinition("RDMAExtensions", KeyType.BOOLEAN_AND, KeyUse.LEADING_ONLY, KeyScope.SESSION_WIDE,
                            KeySender.BOTH, false, true, Optional.of("No"), 0, 0),
                    new KeyDefinition("InitiatorRecvDataSegmentLength", KeyType.DECLARATIVE, KeyUse.ALL,
                            KeyScope.CONNECTION_ONLY, KeySender.INITIATOR, false, false, Optional.of("8192"), 512, (1 << 24) - 1));
        }

        @Override
        public boolean targetBoolean(String key) {
            return true;
        }

        @Override
        public long targetNumber(String key) {
            throw new IllegalArgumentException(key);
        }

        @Override
        public List<KeyValue> targetDeclarations(SessionType sessionType) {
            return List.of(KeyValue.of("TargetRecvDataSegmentLength", 65536));
        }
    };

    @Test
    void transportKeysAreNegotiatedAndReachTheTransport() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            h.connect(MemoryTransport.Mode.RDMA, ISER_LIKE);
            List<KeyValue> answer = h.login("RDMAExtensions=Yes", "InitiatorRecvDataSegmentLength=131072");
            assertThat(answer).contains(KeyValue.of("RDMAExtensions", "Yes"), KeyValue.of("TargetRecvDataSegmentLength", "65536"));
            assertThat(h.transport.fullFeatureParameters.transportKeys())
                    .containsEntry("RDMAExtensions", "Yes")
                    .containsEntry("InitiatorRecvDataSegmentLength", "131072");
        }
    }

    @Test
    void overTcpTheSameKeysAreNotUnderstood() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            List<KeyValue> answer = h.login("RDMAExtensions=Yes");
            assertThat(answer).contains(KeyValue.of("RDMAExtensions", "NotUnderstood"));
            assertThat(h.transport.fullFeatureParameters.transportKeys()).isEmpty();
        }
    }

    // ---------------------------------------------------------------- Text continuation (§11.10, §11.11)

    @Test
    void aContinuedTextRequestIsAcknowledgedWithATagFromTheConnectionsAllocator() {
        try (ProtocolHarness h = new ProtocolHarness()) {
            h.login();
            h.receive(h.text(0x81, Bhs.RESERVED_TAG, false, true, "SendTarg"));
            IscsiPdu ack = h.expect(Opcode.TEXT_RESPONSE);
            int ttt = ack.int32(Bhs.Text.TTT_OFFSET);
            assertThat(ttt).isNotEqualTo(Bhs.RESERVED_TAG);
            assertThat(ack.data().readableBytes()).isZero();
            ack.release();
            assertThat(h.connection.transferTags().owner(ttt)).isNotNull();
            // A normal session may ask for its own target (§13.3); the key is split across the two PDUs.
            h.receive(h.text(0x81, ttt, true, false, "ets=" + ProtocolHarness.TARGET + "\0"));
            IscsiPdu answer = h.expect(Opcode.TEXT_RESPONSE);
            assertThat(answer.data().toString(java.nio.charset.StandardCharsets.UTF_8)).contains("TargetName=" + ProtocolHarness.TARGET);
            answer.release();
            assertThat(h.connection.transferTags().outstanding()).isZero();
        }
    }
}
