package io.jtarget.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandWindowTest {

    @Test
    void shouldDeliverInOrderAndHoldCommandsAheadOfAGap() {
        CommandWindow w = new CommandWindow(10, 4);
        assertThat(w.maxCmdSn()).isEqualTo(13);
        assertThat(w.admit(12, "c12")).isEqualTo(CommandWindow.Admission.HELD);
        assertThat(w.admit(11, "c11")).isEqualTo(CommandWindow.Admission.HELD);
        assertThat(w.admit(10, "c10")).isEqualTo(CommandWindow.Admission.DELIVER);
        List<Object> delivered = new ArrayList<>();
        w.drainInOrder(delivered::add);
        assertThat(delivered).containsExactly("c11", "c12");
        assertThat(w.expCmdSn()).isEqualTo(13);
        assertThat(w.outstanding()).isEqualTo(3);
    }

    @Test
    void shouldIgnoreCommandsOutsideTheWindowAndDuplicates() {
        CommandWindow w = new CommandWindow(100, 2);
        assertThat(w.admit(99, "old")).isEqualTo(CommandWindow.Admission.IGNORED);
        assertThat(w.admit(102, "too far")).isEqualTo(CommandWindow.Admission.IGNORED);
        assertThat(w.admit(101, "a")).isEqualTo(CommandWindow.Admission.HELD);
        assertThat(w.admit(101, "again")).isEqualTo(CommandWindow.Admission.IGNORED);
    }

    @Test
    void shouldOnlyAdvanceMaxCmdSnWhenCommandsComplete() {
        CommandWindow w = new CommandWindow(0, 2);
        assertThat(w.admit(0, "a")).isEqualTo(CommandWindow.Admission.DELIVER);
        assertThat(w.admit(1, "b")).isEqualTo(CommandWindow.Admission.DELIVER);
        // Window closed: MaxCmdSN = ExpCmdSN - 1 (RFC 7143 §4.2.2.1).
        assertThat(w.maxCmdSn()).isEqualTo(w.expCmdSn() - 1);
        assertThat(w.admit(2, "c")).isEqualTo(CommandWindow.Admission.IGNORED);
        w.completed();
        assertThat(w.maxCmdSn()).isEqualTo(2);
        assertThat(w.admit(2, "c")).isEqualTo(CommandWindow.Admission.DELIVER);
    }

    @Test
    void shouldWrapAroundTheSerialNumberSpace() {
        CommandWindow w = new CommandWindow(-2, 8); // 0xfffffffe
        assertThat(w.admit(-2, "a")).isEqualTo(CommandWindow.Admission.DELIVER);
        assertThat(w.admit(0, "c")).isEqualTo(CommandWindow.Admission.HELD);
        assertThat(w.admit(-1, "b")).isEqualTo(CommandWindow.Admission.DELIVER);
        List<Object> delivered = new ArrayList<>();
        w.drainInOrder(delivered::add);
        assertThat(delivered).containsExactly("c");
        assertThat(w.expCmdSn()).isEqualTo(1);
    }

    @Test
    void serialArithmeticFollowsRfc1982() {
        assertThat(SerialNumbers.lessThan(0xffffffff, 0)).isTrue();
        assertThat(SerialNumbers.lessThan(0, 0xffffffff)).isFalse();
        assertThat(SerialNumbers.inWindow(1, 0xfffffff0, 5)).isTrue();
        assertThat(SerialNumbers.inWindow(6, 0xfffffff0, 5)).isFalse();
    }

    @Test
    void lunAddressingDecodesPeripheralAndFlatForms() {
        assertThat(LunAddressing.decode(0L)).isZero();
        assertThat(LunAddressing.decode(LunAddressing.encode(5))).isEqualTo(5);
        assertThat(LunAddressing.decode(LunAddressing.encode(300))).isEqualTo(300);
        assertThat(LunAddressing.encode(300) >>> 56).isEqualTo(0x41);
        assertThat(LunAddressing.decode(0x0000_0000_0000_0001L)).isEqualTo(LunAddressing.UNSUPPORTED);
        assertThat(LunAddressing.decode(0x8000_0000_0000_0000L)).isEqualTo(LunAddressing.UNSUPPORTED);
    }

    @Test
    void shouldSkipAnAbortedHeldCommandAndIgnoreItIfItArrivesAgain() {
        CommandWindow window = new CommandWindow(10, 8);
        assertThat(window.admit(11, "c11")).isEqualTo(CommandWindow.Admission.HELD);
        assertThat(window.admit(12, "c12")).isEqualTo(CommandWindow.Admission.HELD);
        assertThat(window.held(11)).isEqualTo("c11");
        assertThat(window.receivedAborted(11)).isEqualTo("c11");
        assertThat(window.held(11)).isNull();
        assertThat(window.admit(11, "c11 again")).as("already received").isEqualTo(CommandWindow.Admission.IGNORED);

        assertThat(window.admit(10, "c10")).isEqualTo(CommandWindow.Admission.DELIVER);
        java.util.List<Object> delivered = new java.util.ArrayList<>();
        window.drainInOrder(delivered::add);
        assertThat(delivered).containsExactly("c12");
        assertThat(window.expCmdSn()).isEqualTo(13);
        assertThat(window.outstanding()).as("c10 and c12; the aborted one is finished").isEqualTo(2);
    }

    @Test
    void shouldCountANeverReceivedCommandAsReceivedSoTheWindowDoesNotWaitForIt() {
        CommandWindow window = new CommandWindow(10, 8);
        assertThat(window.admit(11, "c11")).isEqualTo(CommandWindow.Admission.HELD);
        assertThat(window.receivedAborted(10)).isNull();
        java.util.List<Object> delivered = new java.util.ArrayList<>();
        window.drainInOrder(delivered::add);
        assertThat(delivered).containsExactly("c11");
        assertThat(window.expCmdSn()).isEqualTo(12);
        assertThat(window.admit(10, "late c10")).isEqualTo(CommandWindow.Admission.IGNORED);
        assertThat(window.receivedAborted(40)).as("outside the window").isNull();
        assertThat(window.expCmdSn()).isEqualTo(12);
    }
}
