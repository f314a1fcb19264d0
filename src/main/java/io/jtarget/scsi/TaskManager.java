package io.jtarget.scsi;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Task management functions (SAM-5 §7). Tasks of other I_T nexuses that a function aborts are
 * aborted silently: the control mode page reports TAS=0 (SPC-5 §7.5.8).
 */
final class TaskManager {
    private TaskManager() {}

    static void execute(
            TaskManagementRequest request,
            LogicalUnit lu,
            Collection<LogicalUnit> all,
            Consumer<TaskManagementResponse> done) {
        ItNexus nexus = request.nexus();
        switch (request.function()) {
            case TARGET_WARM_RESET, TARGET_COLD_RESET -> reset(all, done);
            case LOGICAL_UNIT_RESET -> reset(List.of(lu), done);
            case ABORT_TASK -> abortTask(lu, nexus, request.referencedTaskTag(), done);
            case ABORT_TASK_SET -> abortAll(lu.taskSet().matching(nexus::equals), done);
            case CLEAR_TASK_SET -> clearTaskSet(lu, nexus, done);
            // NormACA=0 (INQUIRY): there is never an ACA condition to clear (SAM-5 §7.3).
            case CLEAR_ACA -> done.accept(TaskManagementResponse.FUNCTION_REJECTED);
            case QUERY_TASK -> {
                ScsiTask task = lu.taskSet().find(nexus, request.referencedTaskTag());
                done.accept(task != null && task.isRunning()
                        ? TaskManagementResponse.FUNCTION_SUCCEEDED
                        : TaskManagementResponse.FUNCTION_COMPLETE);
            }
            case QUERY_TASK_SET -> {
                boolean any = lu.taskSet().matching(nexus::equals).stream().anyMatch(ScsiTask::isRunning);
                done.accept(any ? TaskManagementResponse.FUNCTION_SUCCEEDED : TaskManagementResponse.FUNCTION_COMPLETE);
            }
            case QUERY_ASYNCHRONOUS_EVENT -> done.accept(lu.unitAttentions().hasPending(nexus)
                    ? TaskManagementResponse.FUNCTION_SUCCEEDED
                    : TaskManagementResponse.FUNCTION_COMPLETE);
        }
    }

    /**
     * SAM-5 §7.2 ABORT TASK. A task that already delivered its completion no longer exists: the answer
     * is TASK DOES NOT EXIST (libiscsi test_async_abort_simple: WRITE good ⇒ abort "bad ITT"). A task
     * the initiator sent but we never received is the fabric's to answer (RFC 7143 §11.5.1 RefCmdSN).
     */
    private static void abortTask(LogicalUnit lu, ItNexus nexus, long tag, Consumer<TaskManagementResponse> done) {
        ScsiTask task = lu.taskSet().find(nexus, tag);
        if (task == null) {
            done.accept(TaskManagementResponse.TASK_DOES_NOT_EXIST);
            return;
        }
        AbortBarrier barrier = new AbortBarrier(() -> done.accept(TaskManagementResponse.FUNCTION_COMPLETE));
        if (!barrier.abort(task)) {
            done.accept(TaskManagementResponse.TASK_DOES_NOT_EXIST);
            return;
        }
        barrier.arm();
    }

    private static void abortAll(List<ScsiTask> tasks, Consumer<TaskManagementResponse> done) {
        AbortBarrier barrier = new AbortBarrier(() -> done.accept(TaskManagementResponse.FUNCTION_COMPLETE));
        for (ScsiTask task : tasks) {
            barrier.abort(task);
        }
        barrier.arm();
    }

    /**
     * SAM-5 §7.5 CLEAR TASK SET: every task on the LU; with TAS=0 the other initiators learn of it by
     * COMMANDS CLEARED BY ANOTHER INITIATOR (SAM-5 §5.6).
     */
    private static void clearTaskSet(LogicalUnit lu, ItNexus requester, Consumer<TaskManagementResponse> done) {
        AbortBarrier barrier = new AbortBarrier(() -> done.accept(TaskManagementResponse.FUNCTION_COMPLETE));
        Set<ItNexus> others = new HashSet<>();
        for (ScsiTask task : lu.taskSet().matching(n -> true)) {
            if (barrier.abort(task) && !task.command().nexus().equals(requester)) {
                others.add(task.command().nexus());
            }
        }
        for (ItNexus other : others) {
            lu.unitAttentions().raise(other, SenseReason.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
        }
        barrier.arm();
    }

    /**
     * SAM-5 §6.3.3 logical unit reset (and, for each LU, a target reset): abort every task, return mode
     * parameters to their defaults, drop medium removal preventions and raise BUS DEVICE RESET
     * FUNCTION OCCURRED on every I_T nexus.
     */
    private static void reset(Collection<LogicalUnit> lus, Consumer<TaskManagementResponse> done) {
        AbortBarrier barrier = new AbortBarrier(() -> done.accept(TaskManagementResponse.FUNCTION_COMPLETE));
        for (LogicalUnit lu : lus) {
            for (ScsiTask task : lu.taskSet().matching(n -> true)) {
                barrier.abort(task);
            }
            lu.resetState();
            lu.unitAttentions().raiseAll(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        }
        barrier.arm();
    }

    /**
     * PREEMPT AND ABORT (SPC-5 §5.14.11.4.4): abort every task of the preempted I_T nexuses on the LU
     * (never the PERSISTENT RESERVE OUT itself), then run {@code then}.
     */
    static void abortForPreempt(ScsiTask preempting, java.util.function.Predicate<ItNexus> preempted, Runnable then) {
        AbortBarrier barrier = new AbortBarrier(then);
        for (ScsiTask task : preempting.lu().taskSet().matching(preempted)) {
            if (task != preempting) {
                barrier.abort(task);
            }
        }
        barrier.arm();
    }

    /** SAM-5 §6.3.4 I_T nexus loss: abort the nexus' tasks; nobody waits for an answer. */
    static void nexusLost(LogicalUnit lu, ItNexus nexus) {
        AbortBarrier barrier = new AbortBarrier(() -> {});
        for (ScsiTask task : lu.taskSet().matching(nexus::equals)) {
            barrier.abort(task);
        }
        barrier.arm();
        lu.nexusLost(nexus);
    }
}
