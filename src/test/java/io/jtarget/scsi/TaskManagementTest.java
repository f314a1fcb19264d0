package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TaskManagementTest {
    private final Harness h = new Harness();
    private final List<String> events = new ArrayList<>();

    @AfterEach
    void release() {
        h.close();
    }

    private void submitRead(ItNexus nexus, long tag) {
        h.submit(nexus, 0, tag, Cdbs.rw10(ScsiOpcode.READ_10, 0, 8, 0), null, 4096,
                r -> events.add("task " + tag + (r.aborted() ? " aborted" : " status " + r.status())));
    }

    private void tmf(ItNexus nexus, int lun, TaskManagementFunction function, long tag) {
        h.core.taskManagement(new TaskManagementRequest(nexus, lun, function, tag), r -> events.add("tmf " + r));
    }

    @Test
    void shouldAnswerAbortTaskOnlyAfterAbortedTaskCompleted() {
        h.device.manual = true;
        submitRead(Harness.NEXUS, 42);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.ABORT_TASK, 42);
        assertThat(events).isEmpty();
        h.device.completeNext();
        assertThat(events).containsExactly("task 42 aborted", "tmf FUNCTION_COMPLETE");
        assertThat(h.lu.taskSet().size()).isZero();
    }

    @Test
    void shouldAnswerTaskDoesNotExistForCompletedOrUnknownTask() {
        submitRead(Harness.NEXUS, 7);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.ABORT_TASK, 7);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.ABORT_TASK, 99);
        assertThat(events).containsExactly("task 7 status 0", "tmf TASK_DOES_NOT_EXIST", "tmf TASK_DOES_NOT_EXIST");
    }

    @Test
    void shouldNotAbortTaskOfAnotherNexusWithAbortTask() {
        h.device.manual = true;
        submitRead(Harness.OTHER, 5);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.ABORT_TASK, 5);
        assertThat(events).containsExactly("tmf TASK_DOES_NOT_EXIST");
        h.device.completeNext();
        assertThat(events).containsExactly("tmf TASK_DOES_NOT_EXIST", "task 5 status 0");
    }

    @Test
    void shouldResetLogicalUnitAfterAllTasksAbortedAndRaiseUnitAttention() {
        h.device.manual = true;
        submitRead(Harness.NEXUS, 1);
        submitRead(Harness.OTHER, 2);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.LOGICAL_UNIT_RESET, 0);
        h.device.completeNext();
        assertThat(events).containsExactly("task 1 aborted");
        h.device.completeNext();
        assertThat(events).containsExactly("task 1 aborted", "task 2 aborted", "tmf FUNCTION_COMPLETE");
        h.device.manual = false;
        assertThat(Harness.sense(h.run(Harness.NEXUS, Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED));
        assertThat(Harness.sense(h.run(Harness.OTHER, Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED));
    }

    @Test
    void shouldRestoreDefaultModeParametersOnLogicalUnitReset() {
        h.lu.replaceModeParameters(h.lu.modeParameters(), new ModeParameters(true, true, true));
        tmf(Harness.NEXUS, 0, TaskManagementFunction.LOGICAL_UNIT_RESET, 0);
        assertThat(h.lu.modeParameters()).isEqualTo(h.lu.defaultModeParameters());
    }

    @Test
    void shouldAbortOnlyOwnTasksWithAbortTaskSet() {
        h.device.manual = true;
        submitRead(Harness.NEXUS, 1);
        submitRead(Harness.OTHER, 2);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.ABORT_TASK_SET, 0);
        h.device.completeNext();
        h.device.completeNext();
        assertThat(events).containsExactly("task 1 aborted", "tmf FUNCTION_COMPLETE", "task 2 status 0");
    }

    @Test
    void shouldClearTaskSetOfAllNexusesAndTellTheOthers() {
        h.device.manual = true;
        submitRead(Harness.NEXUS, 1);
        submitRead(Harness.OTHER, 2);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.CLEAR_TASK_SET, 0);
        h.device.completeNext();
        h.device.completeNext();
        assertThat(events).containsExactly("task 1 aborted", "task 2 aborted", "tmf FUNCTION_COMPLETE");
        h.device.manual = false;
        assertThat(h.run(Harness.NEXUS, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.sense(h.run(Harness.OTHER, Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR));
    }

    @Test
    void shouldQueryTasks() {
        h.device.manual = true;
        submitRead(Harness.NEXUS, 1);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.QUERY_TASK, 1);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.QUERY_TASK, 2);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.QUERY_TASK_SET, 0);
        tmf(Harness.OTHER, 0, TaskManagementFunction.QUERY_TASK_SET, 0);
        h.device.completeNext();
        assertThat(events).containsExactly("tmf FUNCTION_SUCCEEDED", "tmf FUNCTION_COMPLETE",
                "tmf FUNCTION_SUCCEEDED", "tmf FUNCTION_COMPLETE", "task 1 status 0");
    }

    @Test
    void shouldRejectWrongLunAndClearAca() {
        tmf(Harness.NEXUS, 9, TaskManagementFunction.ABORT_TASK_SET, 0);
        tmf(Harness.NEXUS, 0, TaskManagementFunction.CLEAR_ACA, 0);
        assertThat(events).containsExactly("tmf INCORRECT_LOGICAL_UNIT_NUMBER", "tmf FUNCTION_REJECTED");
    }

    @Test
    void shouldAbortSilentlyOnNexusLoss() {
        h.device.manual = true;
        submitRead(Harness.OTHER, 3);
        h.core.nexusLost(Harness.OTHER);
        h.device.completeNext();
        assertThat(events).containsExactly("task 3 aborted");
    }

    @Test
    void shouldRefuseOverlappedTagWithoutDisturbingRunningTask() {
        h.device.manual = true;
        submitRead(Harness.NEXUS, 1);
        submitRead(Harness.NEXUS, 1);
        assertThat(events).containsExactly("task 1 status 2");
        h.device.completeNext();
        assertThat(events).containsExactly("task 1 status 2", "task 1 status 0");
    }

    @Test
    void shouldDeliverEachCompletionExactlyOnceWhenAbortsRaceCompletions() throws Exception {
        h.device.manual = false;
        FakeBlockDevice slow = h.device;
        for (int round = 0; round < 200; round++) {
            slow.manual = true;
            List<ScsiResponse> got = java.util.Collections.synchronizedList(new ArrayList<>());
            long tag = 1000 + round;
            h.submit(Harness.NEXUS, 0, tag, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, 512, got::add);
            List<TaskManagementResponse> tmfs = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread completer = new Thread(slow::completeNext);
            Thread aborter = new Thread(() -> h.core.taskManagement(
                    new TaskManagementRequest(Harness.NEXUS, 0, TaskManagementFunction.ABORT_TASK, tag), tmfs::add));
            completer.start();
            aborter.start();
            completer.join();
            aborter.join();
            assertThat(got).hasSize(1);
            assertThat(tmfs).hasSize(1);
            if (got.get(0).aborted()) {
                assertThat(tmfs.get(0)).isEqualTo(TaskManagementResponse.FUNCTION_COMPLETE);
            } else {
                assertThat(tmfs.get(0)).isEqualTo(TaskManagementResponse.TASK_DOES_NOT_EXIST);
            }
        }
    }
}
