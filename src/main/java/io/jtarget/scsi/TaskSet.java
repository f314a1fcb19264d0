package io.jtarget.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The tasks of one logical unit (SAM-5 §8) and the one ordered queue that commands and task
 * management functions pass through (DESIGN.md): an entry joins the queue when it
 * arrives and leaves when it ends, and the task attributes decide when an entry may start
 * (SAM-5 §8.6, §8.9):
 *
 * <ul>
 *   <li>HEAD OF QUEUE starts at once;
 *   <li>SIMPLE starts when every older HEAD OF QUEUE and ORDERED entry has ended — SIMPLE tasks run
 *       concurrently with each other (QUEUE ALGORITHM MODIFIER 1h, unrestricted reordering);
 *   <li>ORDERED starts when every older entry has ended;
 *   <li>a task management function starts at once and acts on the tasks older than itself; newer
 *       entries wait until it has ended, exactly as behind an ORDERED task. So an ABORT TASK SET or
 *       LOGICAL UNIT RESET affects precisely the commands received before it.
 * </ul>
 *
 * <p>Tasks that are waiting when they are aborted never start: {@link #cancelWaiting} takes them
 * out. The queue's monitor is held only to link, unlink and pick entries; tasks start outside it.
 */
final class TaskSet {
    record TaskKey(ItNexus nexus, long tag) {}

    /**
     * One queue entry: a task, or a task management function (task == null). Entries link to each
     * other in arrival order (an intrusive list: linking and unlinking allocate nothing; a task's
     * cost is its entry, its key and its node in the tag index).
     */
    static final class Entry {
        final ScsiTask task;
        final TaskKey key; // null for a function
        final TaskAttribute attribute;
        boolean started; // guarded by the TaskSet
        boolean linked; // guarded by the TaskSet
        Entry older; // guarded by the TaskSet
        Entry newer; // guarded by the TaskSet

        private Entry(ScsiTask task, TaskKey key, TaskAttribute attribute) {
            this.task = task;
            this.key = key;
            this.attribute = attribute;
        }

        /** Entries that newer SIMPLE tasks wait for. */
        boolean blocksSimple() {
            return task == null || attribute == TaskAttribute.ORDERED || attribute == TaskAttribute.HEAD_OF_QUEUE;
        }
    }

    /** What happened to a command offered to the task set. */
    enum Admission {
        /** It may start now. */
        START,
        /** It waits for older entries; it starts (through the starter) when they end. */
        WAIT,
        /** Its tag is in use on its I_T nexus (SAM-5 §5.10 overlapped command); it was not added. */
        OVERLAPPED,
        /** The logical unit is being removed ({@link #retire}): it admits nothing new; it was not added. */
        RETIRED
    }

    /**
     * The tag index: only to refuse an overlapped tag (SAM-5 §5.10) and to count the tasks. Who acts
     * on tasks walks the queue instead; a task enters this index before it is linked.
     */
    private final ConcurrentHashMap<TaskKey, ScsiTask> tasks = new ConcurrentHashMap<>();
    /** The queue, oldest first; guarded by this. */
    private Entry oldest;
    private Entry newest;
    private int waiting; // guarded by this
    /** Queued entries newer SIMPLE tasks wait for (ORDERED, HEAD OF QUEUE, functions). */
    private int blockers; // guarded by this
    /** Set once by {@link #retire}: no entry is admitted after it. Guarded by this. */
    private boolean retired;
    /** Run once when retired and the queue is empty. Guarded by this. */
    private Runnable onDrained;
    private volatile Consumer<ScsiTask> starter = t -> {
        throw new IllegalStateException("task set has no starter");
    };

    /** How a task that waited is started once it may (the core's pipeline). */
    void starter(Consumer<ScsiTask> start) {
        this.starter = start;
    }

    Admission admit(ScsiTask task) {
        TaskKey key = new TaskKey(task.command().nexus(), task.command().taskTag());
        if (tasks.putIfAbsent(key, task) != null) {
            return Admission.OVERLAPPED;
        }
        TaskAttribute attribute = task.command().attribute();
        Entry entry = new Entry(task, key, attribute == null ? TaskAttribute.SIMPLE : attribute);
        synchronized (this) {
            if (retired) {
                tasks.remove(key, task);
                return Admission.RETIRED;
            }
            task.taskSetEntry = entry;
            boolean start = switch (entry.attribute) {
                case HEAD_OF_QUEUE -> true;
                case ORDERED -> oldest == null;
                default -> blockers == 0;
            };
            link(entry);
            entry.started = start;
            if (!start) {
                waiting++;
            }
            return start ? Admission.START : Admission.WAIT;
        }
    }

    /**
     * A task management function joins the queue: it may act on the returned tasks (every task
     * older than it, started or not); everything that arrives later waits until {@link #leave}.
     */
    synchronized Entry enterFunction(List<ScsiTask> older) {
        for (Entry e = oldest; e != null; e = e.newer) {
            if (e.task != null) {
                older.add(e.task);
            }
        }
        Entry entry = new Entry(null, null, TaskAttribute.ORDERED);
        entry.started = true;
        link(entry);
        return entry;
    }

    void leave(Entry function) {
        List<ScsiTask> ready;
        Runnable drained;
        synchronized (this) {
            unlink(function);
            ready = enabled();
            drained = takeDrainedCallback();
        }
        startAll(ready);
        if (drained != null) {
            drained.run();
        }
    }

    /** The task ended (delivered its completion): unlink it and start whatever it held back. */
    void remove(ScsiTask task) {
        Entry entry = task.taskSetEntry;
        if (entry == null) {
            return;
        }
        tasks.remove(entry.key, task);
        List<ScsiTask> ready;
        Runnable drained;
        synchronized (this) {
            // Only the oldest entry's end or a blocker's end can let a waiting entry start: an ORDERED
            // entry waits for the oldest to be itself, a SIMPLE one for the older blockers to end.
            boolean mayEnable = entry == oldest || entry.blocksSimple();
            if (!unlink(entry)) {
                return;
            }
            if (!entry.started) {
                waiting--;
            }
            ready = mayEnable ? enabled() : List.of();
            drained = takeDrainedCallback();
        }
        startAll(ready);
        if (drained != null) {
            drained.run();
        }
    }

    /**
     * Admit nothing from now on (the logical unit is being removed); {@code onDrained} runs once, on
     * the thread that ends the last queued entry, or at once when the queue is already empty. Entries
     * already queued run and end as usual: removal drains them, it does not cut them off.
     */
    void retire(Runnable onDrained) {
        Runnable drained;
        synchronized (this) {
            if (retired) {
                throw new IllegalStateException("task set already retired");
            }
            retired = true;
            this.onDrained = onDrained;
            drained = takeDrainedCallback();
        }
        if (drained != null) {
            drained.run();
        }
    }

    /** Caller holds the monitor. */
    private Runnable takeDrainedCallback() {
        if (!retired || oldest != null || onDrained == null) {
            return null;
        }
        Runnable r = onDrained;
        onDrained = null;
        return r;
    }

    /**
     * Take a task that has not started out of the queue (it is being aborted).
     *
     * @return true if it was waiting: it will never start, and the caller completes it
     */
    boolean cancelWaiting(ScsiTask task) {
        Entry entry = task.taskSetEntry;
        if (entry == null) {
            return false;
        }
        synchronized (this) {
            if (entry.started || !entry.linked) {
                return false;
            }
            // Stays linked until its (aborted) completion unlinks it; marked started so it never runs.
            entry.started = true;
            waiting--;
            return true;
        }
    }

    /**
     * The queued tasks of the matching I_T nexuses, oldest first. It walks the queue under the monitor,
     * as {@link #enterFunction} does, and not the tag index: a task in the index but not yet linked
     * would be missed by {@link #cancelWaiting} and then linked as waiting, and whoever aborted it
     * would wait for a task that may wait for the aborter itself.
     */
    synchronized List<ScsiTask> matching(Predicate<ItNexus> nexus) {
        List<ScsiTask> result = new ArrayList<>();
        for (Entry e = oldest; e != null; e = e.newer) {
            if (e.task != null && nexus.test(e.key.nexus())) {
                result.add(e.task);
            }
        }
        return result;
    }

    int size() {
        return tasks.size();
    }

    /** Entries still waiting to start. */
    synchronized int waitingCount() {
        return waiting;
    }

    private void link(Entry entry) {
        entry.linked = true;
        entry.older = newest;
        if (newest == null) {
            oldest = entry;
        } else {
            newest.newer = entry;
        }
        newest = entry;
        if (entry.blocksSimple()) {
            blockers++;
        }
    }

    private boolean unlink(Entry entry) {
        if (!entry.linked) {
            return false;
        }
        entry.linked = false;
        if (entry.older == null) {
            oldest = entry.newer;
        } else {
            entry.older.newer = entry.newer;
        }
        if (entry.newer == null) {
            newest = entry.older;
        } else {
            entry.newer.older = entry.older;
        }
        entry.older = null;
        entry.newer = null;
        if (entry.blocksSimple()) {
            blockers--;
        }
        return true;
    }

    /**
     * Waiting entries that may now start, marked started. Caller holds the monitor.
     *
     * <p>HEAD OF QUEUE entries and functions never wait ({@link #admit}, {@link #enterFunction}), so
     * a waiting entry is ORDERED (it starts when it is the oldest) or SIMPLE (it starts when no older
     * entry blocks). Behind the first blocker nothing can start, so the scan stops there.
     */
    private List<ScsiTask> enabled() {
        if (waiting == 0) {
            return List.of();
        }
        List<ScsiTask> ready = new ArrayList<>();
        for (Entry e = oldest; e != null && waiting > 0; e = e.newer) {
            if (!e.started && (e == oldest || e.attribute != TaskAttribute.ORDERED)) {
                e.started = true;
                waiting--;
                ready.add(e.task);
            }
            if (e.blocksSimple()) {
                break;
            }
        }
        return ready;
    }

    private void startAll(List<ScsiTask> ready) {
        if (ready.isEmpty()) {
            return;
        }
        Consumer<ScsiTask> start = starter;
        for (ScsiTask task : ready) {
            start.accept(task);
        }
    }
}
