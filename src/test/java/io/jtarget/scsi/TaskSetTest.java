package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The queue alone: which waiting entries start when which entry ends (SAM-5 §8.6, §8.9). */
class TaskSetTest {
    private final TaskSet set = new TaskSet();
    private final List<Long> started = new ArrayList<>();

    TaskSetTest() {
        set.starter(t -> started.add(t.command().taskTag()));
    }

    private ScsiTask task(ItNexus nexus, long tag, TaskAttribute attribute) {
        ScsiCommand command = new ScsiCommand(nexus, 0, Cdbs.testUnitReady(), tag, attribute,
                ScsiCommand.DataDirection.READ, 0, null, PooledByteBufAllocator.DEFAULT);
        return new ScsiTask(command, null, r -> {});
    }

    @Test
    void shouldStartWaitingEntriesOnlyWhenTheOldestOrABlockerEnds() {
        ScsiTask s1 = task(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        ScsiTask s2 = task(Harness.NEXUS, 2, TaskAttribute.SIMPLE);
        ScsiTask o3 = task(Harness.NEXUS, 3, TaskAttribute.ORDERED);
        ScsiTask s4 = task(Harness.OTHER, 4, TaskAttribute.SIMPLE);
        ScsiTask h5 = task(Harness.OTHER, 5, TaskAttribute.HEAD_OF_QUEUE);
        ScsiTask s6 = task(Harness.OTHER, 6, TaskAttribute.SIMPLE);
        assertThat(set.admit(s1)).isEqualTo(TaskSet.Admission.START);
        assertThat(set.admit(s2)).isEqualTo(TaskSet.Admission.START);
        assertThat(set.admit(o3)).isEqualTo(TaskSet.Admission.WAIT);
        assertThat(set.admit(s4)).isEqualTo(TaskSet.Admission.WAIT);
        assertThat(set.admit(h5)).isEqualTo(TaskSet.Admission.START);
        assertThat(set.admit(s6)).isEqualTo(TaskSet.Admission.WAIT);
        assertThat(set.waitingCount()).isEqualTo(3);

        set.remove(s2); // a SIMPLE task in the middle: the ORDERED one still has an older entry
        assertThat(started).isEmpty();
        set.remove(s1); // the ORDERED task is now the oldest
        assertThat(started).containsExactly(3L);
        set.remove(o3); // the older SIMPLE task starts; the HEAD OF QUEUE task still holds the newer one
        assertThat(started).containsExactly(3L, 4L);
        set.remove(s4);
        assertThat(started).containsExactly(3L, 4L);
        set.remove(h5);
        assertThat(started).containsExactly(3L, 4L, 6L);
        assertThat(set.waitingCount()).isZero();
        set.remove(s6);
        assertThat(set.size()).isZero();
    }

    @Test
    void shouldStartOrderedTaskAtOnceOnlyInAnEmptyQueue() {
        ScsiTask o1 = task(Harness.NEXUS, 1, TaskAttribute.ORDERED);
        ScsiTask o2 = task(Harness.NEXUS, 2, TaskAttribute.ORDERED);
        assertThat(set.admit(o1)).isEqualTo(TaskSet.Admission.START);
        assertThat(set.admit(o2)).isEqualTo(TaskSet.Admission.WAIT);
        set.remove(o1);
        assertThat(started).containsExactly(2L);
    }

    @Test
    void shouldRefuseAnOverlappedTagAndFindQueuedTasksOfMatchingNexusesOldestFirst() {
        ScsiTask a = task(Harness.NEXUS, 1, TaskAttribute.SIMPLE);
        ScsiTask b = task(Harness.OTHER, 1, TaskAttribute.ORDERED);
        ScsiTask c = task(Harness.NEXUS, 2, TaskAttribute.SIMPLE);
        set.admit(a);
        set.admit(b);
        set.admit(c);
        assertThat(set.admit(task(Harness.NEXUS, 1, TaskAttribute.SIMPLE))).isEqualTo(TaskSet.Admission.OVERLAPPED);
        assertThat(set.matching(Harness.NEXUS::equals)).containsExactly(a, c);
        assertThat(set.matching(n -> true)).containsExactly(a, b, c);
        set.remove(a);
        assertThat(set.matching(Harness.NEXUS::equals)).containsExactly(c);
    }

    @Test
    void shouldNeverStartAWaitingTaskTakenOutByCancelWaiting() {
        ScsiTask o1 = task(Harness.NEXUS, 1, TaskAttribute.ORDERED);
        ScsiTask s2 = task(Harness.NEXUS, 2, TaskAttribute.SIMPLE);
        ScsiTask s3 = task(Harness.NEXUS, 3, TaskAttribute.SIMPLE);
        set.admit(o1);
        set.admit(s2);
        set.admit(s3);
        assertThat(set.cancelWaiting(o1)).as("it started").isFalse();
        assertThat(set.cancelWaiting(s2)).isTrue();
        assertThat(set.cancelWaiting(s2)).as("only once").isFalse();
        set.remove(o1);
        assertThat(started).containsExactly(3L);
        set.remove(s2);
        set.remove(s3);
        assertThat(set.waitingCount()).isZero();
        assertThat(set.size()).isZero();
    }
}
