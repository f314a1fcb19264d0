package io.jtarget.scsi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Task management functions (SAM-5 §7). Every function passes through the task set's ordered queue
 * of each logical unit it concerns ({@link TaskSet#enterFunction}): it acts on exactly the tasks
 * that arrived before it, and commands that arrive after it wait until it has been answered.
 *
 * <p>Tasks of other I_T nexuses that a function aborts end with TASK ABORTED status when the
 * control mode page's TAS bit is one, silently otherwise (SAM-5 §5.6, SPC-5 §7.5.8).
 */
final class TaskManager {
    private TaskManager() {}

    static void execute(
            TaskManagementRequest request,
            LogicalUnit lu,
            Collection<LogicalUnit> all,
            Consumer<TaskManagementResponse> done) {
        boolean targetWide = request.function() == TaskManagementFunction.TARGET_WARM_RESET
                || request.function() == TaskManagementFunction.TARGET_COLD_RESET;
        Collection<LogicalUnit> concerned = targetWide ? all : List.of(lu);
        // Join every concerned LU's queue; the tasks older than the function are what it acts on.
        List<ScsiTask> older = new ArrayList<>();
        List<Runnable> leave = new ArrayList<>();
        for (LogicalUnit u : concerned) {
            TaskSet.Entry entry = u.taskSet().enterFunction(older);
            leave.add(() -> u.taskSet().leave(entry));
        }
        Consumer<TaskManagementResponse> answer = response -> {
            try {
                done.accept(response);
            } finally {
                leave.forEach(Runnable::run);
            }
        };
        ItNexus nexus = request.nexus();
        switch (request.function()) {
            case TARGET_WARM_RESET, TARGET_COLD_RESET -> reset(all, older, nexus, answer);
            case LOGICAL_UNIT_RESET -> reset(List.of(lu), older, nexus, answer);
            case ABORT_TASK -> abortTask(older, nexus, request.referencedTaskTag(), answer);
            case ABORT_TASK_SET -> abortAll(of(older, nexus::equals), nexus, answer);
            case CLEAR_TASK_SET -> clearTaskSet(lu, older, nexus, answer);
            // NormACA=0 (INQUIRY): there is never an ACA condition to clear (SAM-5 §7.3).
            case CLEAR_ACA -> answer.accept(TaskManagementResponse.FUNCTION_REJECTED);
            // SAM-5 §7.9 QUERY TASK: FUNCTION SUCCEEDED when the named task is in the task set.
            case QUERY_TASK -> answer.accept(find(older, nexus, request.referencedTaskTag()) != null
                    ? TaskManagementResponse.FUNCTION_SUCCEEDED
                    : TaskManagementResponse.FUNCTION_COMPLETE);
            // SAM-5 §7.11 QUERY TASK SET: FUNCTION SUCCEEDED when the nexus has any task there.
            case QUERY_TASK_SET -> answer.accept(of(older, nexus::equals).isEmpty()
                    ? TaskManagementResponse.FUNCTION_COMPLETE
                    : TaskManagementResponse.FUNCTION_SUCCEEDED);
            case QUERY_ASYNCHRONOUS_EVENT -> answer.accept(lu.unitAttentions().hasPending(nexus)
                    ? TaskManagementResponse.FUNCTION_SUCCEEDED
                    : TaskManagementResponse.FUNCTION_COMPLETE);
        }
    }

    private static List<ScsiTask> of(List<ScsiTask> tasks, Predicate<ItNexus> nexus) {
        List<ScsiTask> result = new ArrayList<>();
        for (ScsiTask t : tasks) {
            if (nexus.test(t.command().nexus()) && t.isRunning()) {
                result.add(t);
            }
        }
        return result;
    }

    private static ScsiTask find(List<ScsiTask> tasks, ItNexus nexus, long tag) {
        for (ScsiTask t : tasks) {
            if (t.command().nexus().equals(nexus) && t.command().taskTag() == tag && t.isRunning()) {
                return t;
            }
        }
        return null;
    }

    /** TASK ABORTED status for another nexus' task when TAS=1 (SAM-5 §5.6). */
    private static boolean reportStatus(ScsiTask task, ItNexus requester) {
        LogicalUnit lu = task.lu();
        return lu != null && lu.modeParameters().taskAbortedStatus() && !task.command().nexus().equals(requester);
    }

    /**
     * SAM-5 §7.2 ABORT TASK. A task that already delivered its completion no longer exists: the answer
     * is TASK DOES NOT EXIST (libiscsi test_async_abort_simple: WRITE good ⇒ abort "bad ITT"). A task
     * the initiator sent but we never received is the fabric's to answer (RFC 7143 §11.5.1 RefCmdSN).
     */
    private static void abortTask(List<ScsiTask> older, ItNexus nexus, long tag, Consumer<TaskManagementResponse> done) {
        ScsiTask task = find(older, nexus, tag);
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

    private static void abortAll(List<ScsiTask> tasks, ItNexus requester, Consumer<TaskManagementResponse> done) {
        AbortBarrier barrier = new AbortBarrier(() -> done.accept(TaskManagementResponse.FUNCTION_COMPLETE));
        for (ScsiTask task : tasks) {
            barrier.abort(task, reportStatus(task, requester));
        }
        barrier.arm();
    }

    /**
     * SAM-5 §7.5 CLEAR TASK SET: every task on the LU. With TAS=0 the other initiators whose tasks were
     * aborted learn of it by COMMANDS CLEARED BY ANOTHER INITIATOR (SAM-5 §5.6); with TAS=1 by the
     * TASK ABORTED status of each task.
     */
    private static void clearTaskSet(LogicalUnit lu, List<ScsiTask> older, ItNexus requester,
            Consumer<TaskManagementResponse> done) {
        AbortBarrier barrier = new AbortBarrier(() -> done.accept(TaskManagementResponse.FUNCTION_COMPLETE));
        boolean tas = lu.modeParameters().taskAbortedStatus();
        Set<ItNexus> others = new HashSet<>();
        for (ScsiTask task : of(older, n -> true)) {
            if (barrier.abort(task, reportStatus(task, requester)) && !task.command().nexus().equals(requester)) {
                others.add(task.command().nexus());
            }
        }
        if (!tas) {
            for (ItNexus other : others) {
                lu.unitAttentions().raise(other, SenseReason.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
            }
        }
        barrier.arm();
    }

    /**
     * SAM-5 §6.3.3 logical unit reset (and, for each LU, a target reset): abort every task, return mode
     * parameters to their defaults, drop medium removal preventions and SPC-2 reservations, and raise
     * BUS DEVICE RESET FUNCTION OCCURRED (29h/03h, the code SAM-5 §6.3.3 names) on every I_T nexus.
     * Persistent reservations survive (SPC-5 §5.14.1).
     */
    private static void reset(Collection<LogicalUnit> lus, List<ScsiTask> older, ItNexus requester,
            Consumer<TaskManagementResponse> done) {
        AbortBarrier barrier = new AbortBarrier(() -> done.accept(TaskManagementResponse.FUNCTION_COMPLETE));
        for (ScsiTask task : of(older, n -> true)) {
            barrier.abort(task, reportStatus(task, requester));
        }
        for (LogicalUnit lu : lus) {
            lu.resetState();
            lu.unitAttentions().raiseAll(SenseReason.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        }
        barrier.arm();
    }

    /**
     * PREEMPT AND ABORT (SPC-5 §5.14.11.4.4): abort every task of the preempted I_T nexuses on the LU,
     * then run {@code then}. {@code preempted} never names the preempting nexus, so the PERSISTENT
     * RESERVE OUT itself is not among them.
     */
    static void abortForPreempt(ScsiTask preempting, Predicate<ItNexus> preempted, Runnable then) {
        AbortBarrier barrier = new AbortBarrier(then);
        for (ScsiTask task : preempting.lu().taskSet().matching(preempted)) {
            barrier.abort(task, reportStatus(task, preempting.command().nexus()));
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
