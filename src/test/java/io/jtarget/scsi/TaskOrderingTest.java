package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-LU ordered queue (SAM-5 §8.6, §8.9): task attributes, and task management
 * functions ordered against the commands queued before and after them. The fake device holds every
 * operation until the test releases it, so the order is observed without sleeping.
 */
class TaskOrderingTest {
    private final Harness h = new Harness();
    private final List<String> events = new ArrayList<>();

    @BeforeEach
    void manual() {
        h.device.manual = true;
    }

    @AfterEach
    void release() {
        // Finish whatever a test left at the device so every Data-In buffer is delivered and released.
        while (h.device.pendingCount() > 0) {
            h.device.completeNext();
        }
        h.device.manual = false;
        h.close();
    }

    private void read(ItNexus nexus, long tag, TaskAttribute attribute) {
        read(h, 0, nexus, tag, attribute);
    }

    private void read(Harness on, int lun, ItNexus nexus, long tag, TaskAttribute attribute) {
        on.submit(nexus, lun, tag, attribute, Cdbs.rw10(ScsiOpcode.READ_10, tag, 1, 0), null, 512,
                r -> events.add(tag + (r.aborted() ? " aborted" : " status " + r.status())));
    }

    private void tmf(ItNexus nexus, TaskManagementFunction function, long tag) {
        h.core.taskManagement(new TaskManagementRequest(nexus, 0, function, tag), r -> events.add("tmf " + function + " " + r));
    }

    @Test
    void shouldRunSimpleTasksConcurrently() {
        read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        read(Harness.OTHER, 2, TaskAttribute.SIMPLE);
        read(Harness.NEXUS, 3, TaskAttribute.SIMPLE);
        assertThat(h.device.pendingCount()).isEqualTo(3);
    }

    @Test
    void shouldStartOrderedTaskOnlyAfterOlderTasksAndHoldNewerSimpleBehindIt() {
        read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        read(Harness.NEXUS, 2, TaskAttribute.ORDERED);
        read(Harness.OTHER, 3, TaskAttribute.SIMPLE);
        assertThat(h.device.pendingCount()).as("only the SIMPLE task reached the device").isEqualTo(1);
        assertThat(h.lu.taskSet().waitingCount()).isEqualTo(2);
        h.device.completeNext();
        assertThat(events).containsExactly("1 status 0");
        assertThat(h.device.pendingCount()).as("the ORDERED task alone").isEqualTo(1);
        h.device.completeNext();
        assertThat(events).containsExactly("1 status 0", "2 status 0");
        assertThat(h.device.pendingCount()).isEqualTo(1);
        h.device.completeNext();
        assertThat(events).containsExactly("1 status 0", "2 status 0", "3 status 0");
        assertThat(h.lu.taskSet().size()).isZero();
    }

    @Test
    void shouldStartHeadOfQueueTaskAtOnceAndHoldNewerSimpleUntilItEnds() {
        read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        read(Harness.NEXUS, 2, TaskAttribute.ORDERED);
        read(Harness.NEXUS, 3, TaskAttribute.HEAD_OF_QUEUE);
        assertThat(h.device.pendingCount()).as("SIMPLE and HEAD OF QUEUE run; ORDERED waits").isEqualTo(2);
        read(Harness.OTHER, 4, TaskAttribute.SIMPLE);
        assertThat(h.device.pendingCount()).isEqualTo(2);
        h.device.completeNext(); // 1
        h.device.completeNext(); // 3 (head of queue)
        assertThat(events).containsExactly("1 status 0", "3 status 0");
        h.device.completeNext(); // 2 (ordered), then 4 starts
        h.device.completeNext();
        assertThat(events).containsExactly("1 status 0", "3 status 0", "2 status 0", "4 status 0");
    }

    @Test
    void shouldAbortOlderTasksIncludingWaitingOnesAndHoldNewerCommandsUntilAbortTaskSetAnswered() {
        read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        read(Harness.NEXUS, 2, TaskAttribute.ORDERED); // waits behind 1
        tmf(Harness.NEXUS, TaskManagementFunction.ABORT_TASK_SET, 0);
        // The waiting ORDERED task is aborted at once, without ever reaching the device.
        assertThat(events).containsExactly("2 aborted");
        read(Harness.NEXUS, 3, TaskAttribute.SIMPLE); // arrives after the TMF: not aborted, waits for it
        assertThat(h.device.pendingCount()).isEqualTo(1);
        h.device.completeNext();
        assertThat(events).containsExactly("2 aborted", "1 aborted", "tmf ABORT_TASK_SET FUNCTION_COMPLETE");
        assertThat(h.device.pendingCount()).as("the newer command started after the TMF was answered").isEqualTo(1);
        h.device.completeNext();
        assertThat(events).endsWith("3 status 0");
    }

    @Test
    void shouldOrderLogicalUnitResetAgainstCommandsBeforeAndAfterIt() {
        read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        read(Harness.OTHER, 2, TaskAttribute.SIMPLE);
        tmf(Harness.OTHER, TaskManagementFunction.LOGICAL_UNIT_RESET, 0);
        h.submit(Harness.NEXUS, 0, 3, TaskAttribute.SIMPLE, Cdbs.testUnitReady(), null, 0,
                r -> events.add("3 " + (r.status() == ScsiStatus.CHECK_CONDITION
                        ? java.util.Arrays.toString(Harness.sense(r)) : "status " + r.status())));
        assertThat(events).isEmpty();
        h.device.completeNext();
        h.device.completeNext();
        // The TEST UNIT READY sent after the reset runs after it and sees the reset's unit attention.
        assertThat(events).containsExactly("1 aborted", "2 aborted", "tmf LOGICAL_UNIT_RESET FUNCTION_COMPLETE",
                "3 " + java.util.Arrays.toString(Harness.expected(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED)));
    }

    @Test
    void shouldAbortOnlyTheNamedTaskAndNotOneQueuedAfterTheTmf() {
        read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        read(Harness.NEXUS, 2, TaskAttribute.SIMPLE);
        tmf(Harness.NEXUS, TaskManagementFunction.ABORT_TASK, 2);
        read(Harness.NEXUS, 4, TaskAttribute.SIMPLE);
        h.device.completeNext(); // 1
        h.device.completeNext(); // 2 -> aborted, TMF answered, 4 starts
        h.device.completeNext(); // 4
        assertThat(events).containsExactly("1 status 0", "2 aborted", "tmf ABORT_TASK FUNCTION_COMPLETE", "4 status 0");
    }

    @Test
    void shouldReportTaskAbortedStatusToOtherNexusWhenTasIsSet() {
        h.lu.replaceModeParameters(h.lu.modeParameters(), h.lu.modeParameters().withTaskAbortedStatus(true));
        read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        read(Harness.OTHER, 2, TaskAttribute.SIMPLE);
        tmf(Harness.NEXUS, TaskManagementFunction.CLEAR_TASK_SET, 0);
        h.device.completeNext();
        h.device.completeNext();
        assertThat(events).containsExactly("1 aborted", "2 status " + ScsiStatus.TASK_ABORTED,
                "tmf CLEAR_TASK_SET FUNCTION_COMPLETE");
        h.device.manual = false;
        // With TAS=1 the status is the notice: no COMMANDS CLEARED BY ANOTHER INITIATOR.
        assertThat(h.run(Harness.OTHER, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldAbortOtherNexusTasksSilentlyAndRaiseUnitAttentionWhenTasIsClear() {
        read(Harness.OTHER, 2, TaskAttribute.SIMPLE);
        tmf(Harness.NEXUS, TaskManagementFunction.CLEAR_TASK_SET, 0);
        h.device.completeNext();
        assertThat(events).containsExactly("2 aborted", "tmf CLEAR_TASK_SET FUNCTION_COMPLETE");
        h.device.manual = false;
        assertThat(Harness.sense(h.run(Harness.OTHER, Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR));
    }

    @Test
    void shouldAnswerQueryTaskAndQueryTaskSetFromTheTaskSet() {
        read(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        tmf(Harness.NEXUS, TaskManagementFunction.QUERY_TASK, 1);
        tmf(Harness.NEXUS, TaskManagementFunction.QUERY_TASK, 9);
        tmf(Harness.NEXUS, TaskManagementFunction.QUERY_TASK_SET, 0);
        tmf(Harness.OTHER, TaskManagementFunction.QUERY_TASK_SET, 0);
        assertThat(events).containsExactly(
                "tmf QUERY_TASK FUNCTION_SUCCEEDED",
                "tmf QUERY_TASK FUNCTION_COMPLETE",
                "tmf QUERY_TASK_SET FUNCTION_SUCCEEDED",
                "tmf QUERY_TASK_SET FUNCTION_COMPLETE");
        h.device.completeNext();
        assertThat(h.lu.taskSet().size()).isZero();
    }

    @Test
    void shouldAbortEveryLogicalUnitsTasksOnTargetWarmReset() {
        FakeBlockDevice lun0 = new FakeBlockDevice(512, 2048, true);
        FakeBlockDevice lun1 = new FakeBlockDevice(512, 2048, true);
        try (Harness two = new Harness(List.of(new LogicalUnit(0, lun0, false, "serial-0100", false),
                new LogicalUnit(1, lun1, false, "serial-0101", false)))) {
            lun0.manual = true;
            lun1.manual = true;
            read(two, 0, Harness.NEXUS, 1, TaskAttribute.SIMPLE);
            read(two, 0, Harness.OTHER, 2, TaskAttribute.ORDERED);
            read(two, 1, Harness.OTHER, 3, TaskAttribute.SIMPLE);
            // Addressed to a LUN that does not exist: a target reset concerns every logical unit.
            two.core.taskManagement(new TaskManagementRequest(Harness.NEXUS, 5, TaskManagementFunction.TARGET_WARM_RESET,
                    0), r -> events.add("tmf " + r));
            assertThat(events).containsExactly("2 aborted");
            lun0.completeNext();
            assertThat(events).as("the reset waits for the task on LUN 1").containsExactly("2 aborted", "1 aborted");
            lun1.completeNext();
            assertThat(events).containsExactly("2 aborted", "1 aborted", "3 aborted", "tmf FUNCTION_COMPLETE");
            for (LogicalUnit u : two.core.logicalUnits()) {
                assertThat(u.taskSet().waitingCount()).isZero();
                assertThat(u.taskSet().size()).isZero();
            }
            lun0.manual = false;
            lun1.manual = false;
            for (int lun = 0; lun < 2; lun++) {
                for (ItNexus nexus : List.of(Harness.NEXUS, Harness.OTHER)) {
                    assertThat(Harness.sense(two.run(nexus, lun, Cdbs.testUnitReady(), null, 0)))
                            .as("LUN %d, %s", lun, nexus).isEqualTo(Harness.expected(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED));
                }
            }
        }
    }

    @Test
    void shouldReportTasChangeableInControlPage() {
        h.device.manual = false;
        byte[] d = Harness.data(h.run(Cdbs.modeSense6(ModePages.PC_CHANGEABLE, ModePages.PAGE_CONTROL, 0, true, 255)));
        assertThat(d[4 + ModePages.CONTROL_TAS_BYTE] & ModePages.CONTROL_TAS).isEqualTo(ModePages.CONTROL_TAS);
        byte[] current = Harness.data(h.run(Cdbs.modeSense6(ModePages.PC_CURRENT, ModePages.PAGE_CONTROL, 0, true, 255)));
        assertThat(current[4 + ModePages.CONTROL_QAM_BYTE] & 0xF0).as("QAM 1h: unrestricted reordering")
                .isEqualTo(ModePages.CONTROL_QAM_UNRESTRICTED);
        assertThat(current[4 + 4] & 0x30).as("UA_INTLCK_CTRL 00b").isZero();
    }

    @Test
    void shouldKeepMoreDrasticPendingResetAndDropOlderConditionsOnReset() {
        h.device.manual = false;
        ItNexus fresh = new ItNexus("iqn.2024-01.test:fresh,i,0x000000000003", Harness.NEXUS.targetPort(), 1);
        h.core.nexusEstablished(fresh); // POWER ON pending
        h.lu.unitAttentions().raise(Harness.NEXUS, SenseReason.MODE_PARAMETERS_CHANGED);
        tmf(Harness.OTHER, TaskManagementFunction.LOGICAL_UNIT_RESET, 0);
        assertThat(Harness.sense(h.run(fresh, Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET));
        assertThat(h.run(fresh, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        // The reset superseded the older MODE PARAMETERS CHANGED; a newer one queues after the reset.
        h.lu.unitAttentions().raise(Harness.NEXUS, SenseReason.RESERVATIONS_PREEMPTED);
        assertThat(Harness.sense(h.run(Harness.NEXUS, Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED));
        assertThat(Harness.sense(h.run(Harness.NEXUS, Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.RESERVATIONS_PREEMPTED));
        assertThat(h.run(Harness.NEXUS, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }
}
