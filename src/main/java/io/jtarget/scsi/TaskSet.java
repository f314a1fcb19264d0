package io.jtarget.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The tasks in flight on one logical unit (SAM-5 §8.1), keyed by I_T nexus and task tag. Entries
 * are added at submission and removed when the task delivers its completion.
 */
final class TaskSet {
    record TaskKey(ItNexus nexus, long tag) {}

    private final ConcurrentHashMap<TaskKey, ScsiTask> tasks = new ConcurrentHashMap<>();

    /** @return false if the nexus already has a task with this tag in flight (an overlapped command) */
    boolean add(ScsiTask task) {
        return tasks.putIfAbsent(key(task), task) == null;
    }

    void remove(ScsiTask task) {
        tasks.remove(key(task), task);
    }

    ScsiTask find(ItNexus nexus, long tag) {
        return tasks.get(new TaskKey(nexus, tag));
    }

    List<ScsiTask> matching(Predicate<ItNexus> nexus) {
        List<ScsiTask> result = new ArrayList<>();
        tasks.forEach((key, task) -> {
            if (nexus.test(key.nexus())) {
                result.add(task);
            }
        });
        return result;
    }

    int size() {
        return tasks.size();
    }

    private static TaskKey key(ScsiTask task) {
        return new TaskKey(task.command().nexus(), task.command().taskTag());
    }
}
