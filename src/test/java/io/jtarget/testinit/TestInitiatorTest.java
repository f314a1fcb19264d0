package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.testinit.IscsiWire.Bhs;
import io.jtarget.testinit.IscsiWire.Keys;
import io.jtarget.testinit.IscsiWire.Login;
import io.jtarget.testinit.IscsiWire.Opcode;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The initiator's own checks, against a scripted fake target. */
class TestInitiatorTest {
    private static final int STAT_SN = 1000;

    private static LoginOptions straight() {
        return LoginOptions.normal("iqn.2026-01.test:t").securityStage(false).initialCmdSn(50);
    }

    private static Pdu nopIn(Pdu nopOut, int statSn, int expCmdSn, int maxCmdSn) {
        return Pdu.create(Opcode.NOP_IN).flags(Bhs.FINAL_FLAG).itt(nopOut.itt()).ttt(IscsiWire.RESERVED_TAG)
                .intAt(Bhs.STAT_SN, statSn).intAt(Bhs.EXP_CMD_SN, expCmdSn).intAt(Bhs.MAX_CMD_SN, maxCmdSn)
                .data(nopOut.data());
    }

    @Test
    void shouldSendLeadingKeysAndReachFullFeatureWhenTargetAccepts() throws Exception {
        AtomicReference<Pdu> login = new AtomicReference<>();
        try (ScriptedTarget target = new ScriptedTarget(ch -> login.set(ScriptedTarget.acceptLogin(ch, STAT_SN, 9)));
                TestInitiator initiator = TestInitiator.connect(target.address())) {
            SessionParameters p = initiator.login(straight());
            target.awaitScript();
            Pdu request = login.get();
            assertThat(request.immediate()).isTrue();
            assertThat(request.flags()).isEqualTo(Login.FLAG_TRANSIT | (1 << Login.CSG_SHIFT) | 3);
            assertThat(request.cmdSn()).isEqualTo(50);
            TextParameters keys = TextParameters.decode(request.data());
            assertThat(keys.first(Keys.INITIATOR_NAME)).contains(LoginOptions.DEFAULT_INITIATOR_NAME);
            assertThat(keys.first(Keys.SESSION_TYPE)).contains("Normal");
            assertThat(keys.first(Keys.TARGET_NAME)).contains("iqn.2026-01.test:t");
            assertThat(initiator.phase()).isEqualTo(TestInitiator.Phase.FULL_FEATURE);
            assertThat(initiator.tsih()).isEqualTo(0x1234);
            assertThat(initiator.expStatSn()).isEqualTo(STAT_SN + 1);
            assertThat(initiator.maxCmdSn()).isEqualTo(59);
            assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(8192);
        }
    }

    @Test
    void shouldThrowLoginRejectedWhenStatusClassIsNotZero() throws Exception {
        try (ScriptedTarget target = new ScriptedTarget(ch -> {
                    Pdu req = ch.read();
                    ch.write(Pdu.create(Opcode.LOGIN_RESPONSE).itt(req.itt())
                            .byteAt(Login.STATUS_CLASS, 2).byteAt(Login.STATUS_DETAIL, 3));
                });
                TestInitiator initiator = TestInitiator.connect(target.address())) {
            assertThatThrownBy(() -> initiator.login(straight()))
                    .isInstanceOfSatisfying(LoginRejectedException.class, e -> assertThat(e.status()).isEqualTo(0x0203));
        }
    }

    @Test
    void shouldReportViolationWhenStatSnSkips() throws Exception {
        try (ScriptedTarget target = new ScriptedTarget(ch -> {
                    ScriptedTarget.acceptLogin(ch, STAT_SN, 9);
                    Pdu ping = ch.read();
                    ch.write(nopIn(ping, STAT_SN + 2, 50, 59));
                });
                TestInitiator initiator = TestInitiator.connect(target.address())) {
            initiator.login(straight());
            assertThatThrownBy(initiator::ping).isInstanceOf(ProtocolViolationException.class)
                    .hasMessageContaining("StatSN 1002, expected 1001");
        }
    }

    @Test
    void shouldReportViolationWhenMaxCmdSnIsBelowExpCmdSnMinusOne() throws Exception {
        try (ScriptedTarget target = new ScriptedTarget(ch -> {
                    ScriptedTarget.acceptLogin(ch, STAT_SN, 9);
                    Pdu ping = ch.read();
                    ch.write(nopIn(ping, STAT_SN + 1, 50, 40));
                });
                TestInitiator initiator = TestInitiator.connect(target.address())) {
            initiator.login(straight());
            assertThatThrownBy(initiator::ping).isInstanceOf(ProtocolViolationException.class)
                    .hasMessageContaining("MaxCmdSN");
        }
    }

    @Test
    void shouldAnswerTargetPingWhenNopInCarriesTargetTransferTag() throws Exception {
        AtomicReference<Pdu> answer = new AtomicReference<>();
        try (ScriptedTarget target = new ScriptedTarget(ch -> {
                    ScriptedTarget.acceptLogin(ch, STAT_SN, 9);
                    ch.write(Pdu.create(Opcode.NOP_IN).flags(Bhs.FINAL_FLAG).itt(IscsiWire.RESERVED_TAG).ttt(0xABCD)
                            .intAt(Bhs.STAT_SN, STAT_SN + 1).intAt(Bhs.EXP_CMD_SN, 50).intAt(Bhs.MAX_CMD_SN, 59));
                    // The initiator's own ping goes out first; it answers ours when it reads.
                    Pdu first = ch.read();
                    Pdu second = ch.read();
                    Pdu ping = first.itt() == IscsiWire.RESERVED_TAG ? second : first;
                    answer.set(ping == first ? second : first);
                    ch.write(nopIn(ping, STAT_SN + 1, 50, 59));
                });
                TestInitiator initiator = TestInitiator.connect(target.address())) {
            initiator.login(straight());
            assertThat(initiator.ping(new byte[] {1, 2}).data()).containsExactly(1, 2);
            target.awaitScript();
            assertThat(answer.get().opcode()).isEqualTo(Opcode.NOP_OUT);
            assertThat(answer.get().ttt()).isEqualTo(0xABCD);
            assertThat(answer.get().itt()).isEqualTo(IscsiWire.RESERVED_TAG);
            assertThat(initiator.targetPingsAnswered()).isEqualTo(1);
        }
    }

    @Test
    void shouldReportViolationWhenPingIsNotEchoed() throws Exception {
        try (ScriptedTarget target = new ScriptedTarget(ch -> {
                    ScriptedTarget.acceptLogin(ch, STAT_SN, 9);
                    Pdu ping = ch.read();
                    ch.write(nopIn(ping, STAT_SN + 1, 50, 59).data(new byte[] {9}));
                });
                TestInitiator initiator = TestInitiator.connect(target.address())) {
            initiator.login(straight());
            assertThatThrownBy(() -> initiator.ping(new byte[] {1})).isInstanceOf(ProtocolViolationException.class)
                    .hasMessageContaining("echo");
        }
    }

    @Test
    void shouldTimeOutWhenTargetStaysSilent() throws Exception {
        try (ScriptedTarget target = new ScriptedTarget(ch -> {
                    ScriptedTarget.acceptLogin(ch, STAT_SN, 9);
                    ch.read();
                    Thread.sleep(3000);
                });
                TestInitiator initiator = TestInitiator.connect(target.address(), Duration.ofMillis(500))) {
            initiator.login(straight());
            assertThatThrownBy(initiator::ping).isInstanceOf(TargetTimeoutException.class);
        }
    }

    @Test
    void shouldReportClosedConnectionWhenTargetHangsUp() throws Exception {
        try (ScriptedTarget target = new ScriptedTarget(ch -> ScriptedTarget.acceptLogin(ch, STAT_SN, 9));
                TestInitiator initiator = TestInitiator.connect(target.address())) {
            initiator.login(straight());
            target.awaitScript();
            assertThat(initiator.awaitClosedByTarget(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void shouldWaitForWindowWhenMaxCmdSnIsReached() throws Exception {
        AtomicReference<Optional<Pdu>> sentWhileClosed = new AtomicReference<>();
        try (ScriptedTarget target = new ScriptedTarget(ch -> {
                    ScriptedTarget.acceptLogin(ch, STAT_SN, 0); // window of one command
                    Pdu first = ch.read();
                    // Closes the window: CmdSN 51 is expected but MaxCmdSN stays 50 (RFC 7143 §4.2.2.1).
                    ch.write(nopIn(first, STAT_SN + 1, 51, 50));
                    Optional<Pdu> early = ch.poll(Duration.ofMillis(500));
                    sentWhileClosed.set(early);
                    // Opens it with a one-way NOP-In: no reply wanted, StatSN not advanced (RFC 7143 §11.19).
                    ch.write(Pdu.create(Opcode.NOP_IN).flags(Bhs.FINAL_FLAG).itt(IscsiWire.RESERVED_TAG)
                            .ttt(IscsiWire.RESERVED_TAG).intAt(Bhs.STAT_SN, STAT_SN + 2)
                            .intAt(Bhs.EXP_CMD_SN, 51).intAt(Bhs.MAX_CMD_SN, 51));
                    Pdu second = early.isPresent() ? early.get() : ch.read();
                    if (second.cmdSn() != 51) {
                        throw new AssertionError("second command CmdSN " + second.cmdSn());
                    }
                    ch.write(nopIn(second, STAT_SN + 2, 52, 52));
                });
                TestInitiator initiator = TestInitiator.connect(target.address())) {
            initiator.login(straight());
            initiator.ping(new byte[0], false);
            assertThat(initiator.maxCmdSn()).isEqualTo(50);
            initiator.ping(new byte[0], false);
            target.awaitScript();
            assertThat(sentWhileClosed.get()).as("command sent while the window was closed").isEmpty();
            assertThat(initiator.expCmdSn()).isEqualTo(52);
        }
    }
}
