package io.jtarget.scsi;

import static io.jtarget.scsi.Harness.NEXUS;
import static io.jtarget.scsi.Harness.OTHER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** LUs added, removed and resized while the target is served: unit attentions and draining. */
class LiveLunChangesTest {
    private final FakeBlockDevice lun0 = new FakeBlockDevice(512, 64, true);
    private final FakeBlockDevice lun1 = new FakeBlockDevice(512, 64, true);
    private final Harness h = new Harness(List.of(new LogicalUnit(0, lun0, false, "live-0"),
            new LogicalUnit(1, lun1, false, "live-1")));

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void shouldReportTheNewLunOnTheNewLogicalUnitAndLeaveTheOthersUndisturbed() {
        LogicalUnit added = new LogicalUnit(2, new FakeBlockDevice(512, 32, true), false, "live-2");
        h.core.addLogicalUnit(added);

        // I/O on the LUs that did not change goes on without a unit attention.
        assertThat(h.run(NEXUS, 0, Cdbs.testUnitReady(), null, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(luns(h.run(NEXUS, 0, Cdbs.reportLuns(0, 256), null, 256))).containsExactly(0, 1, 2);
        // Each nexus learns of the change on the new LU: REPORTED LUNS DATA HAS CHANGED (SPC-5 §6.33), once.
        assertThat(Harness.sense(h.run(NEXUS, 2, Cdbs.testUnitReady(), null, 0)))
                .isEqualTo(Harness.expected(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED));
        assertThat(Harness.sense(h.run(OTHER, 2, Cdbs.testUnitReady(), null, 0)))
                .isEqualTo(Harness.expected(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED));
        assertThat(h.run(NEXUS, 2, Cdbs.testUnitReady(), null, 0).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRefuseALunNumberInUse() {
        assertThatThrownBy(() -> h.core.addLogicalUnit(new LogicalUnit(1, new FakeBlockDevice(512, 8, true), false, "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LUN 1 already exists");
    }

    @Test
    void shouldDrainOutstandingCommandsBeforeTheRemovalCompletes() {
        lun1.manual = true;
        List<ScsiResponse> first = new ArrayList<>();
        h.submit(NEXUS, 1, 100, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, 512, first::add);
        assertThat(lun1.pendingCount()).isEqualTo(1);

        CompletableFuture<LogicalUnit> drained = h.core.removeLogicalUnit(1);

        // No new command reaches the LU; the outstanding one keeps the removal from completing.
        assertThat(Harness.sense(h.run(NEXUS, 1, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, 512)))
                .isEqualTo(Harness.expected(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED));
        assertThat(h.core.logicalUnit(1)).isNull();
        assertThat(drained).isNotDone();
        assertThat(lun1.closed).isFalse();

        lun1.completeNext();
        assertThat(first).hasSize(1);
        assertThat(first.getFirst().status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(drained).isCompleted();
        // The LUs that remain tell every nexus the inventory changed.
        assertThat(Harness.sense(h.run(NEXUS, 0, Cdbs.testUnitReady(), null, 0)))
                .isEqualTo(Harness.expected(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED));
        assertThat(luns(h.run(OTHER, 0, Cdbs.reportLuns(0, 256), null, 256))).containsExactly(0);
    }

    @Test
    void shouldDeliverEachAbortedCompletionExactlyOnceWhenTheDrainIsCutShort() {
        lun1.manual = true;
        List<ScsiResponse> completions = new ArrayList<>();
        h.submit(NEXUS, 1, 200, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, 512, completions::add);
        h.submit(OTHER, 1, 201, Cdbs.rw10(ScsiOpcode.READ_10, 1, 1, 0), null, 512, completions::add);
        LogicalUnit unit = h.core.logicalUnit(1);
        CompletableFuture<LogicalUnit> drained = h.core.removeLogicalUnit(1);

        h.core.abortTasks(unit);
        // The device answers later anyway: nothing is delivered twice.
        while (lun1.pendingCount() > 0) {
            lun1.completeNext();
        }
        assertThat(completions).hasSize(2);
        assertThat(completions).allMatch(ScsiResponse::aborted);
        assertThat(drained).isCompleted();
    }

    @Test
    void shouldCompleteTheRemovalAtOnceWhenNothingIsOutstanding() {
        assertThat(h.core.removeLogicalUnit(1)).isCompleted();
        assertThatThrownBy(() -> h.core.removeLogicalUnit(1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldReportCapacityDataHasChangedToEveryNexus() {
        h.core.capacityChanged(h.lu);
        assertThat(Harness.sense(h.run(NEXUS, 0, Cdbs.testUnitReady(), null, 0)))
                .isEqualTo(Harness.expected(SenseReason.CAPACITY_DATA_HAS_CHANGED));
        assertThat(Harness.sense(h.run(OTHER, 0, Cdbs.testUnitReady(), null, 0)))
                .isEqualTo(Harness.expected(SenseReason.CAPACITY_DATA_HAS_CHANGED));
        assertThat(h.run(NEXUS, 1, Cdbs.testUnitReady(), null, 0).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldShowAMaskedInitiatorOnlyItsMappedLunsAndTellItWhenTheMappingChanges() {
        String initiator = NEXUS.initiatorPort().substring(0, NEXUS.initiatorPort().indexOf(",i,"));
        h.core.lunMasks(java.util.Map.of(initiator.toUpperCase(), java.util.Set.of(1)));

        assertThat(luns(h.run(NEXUS, 1, Cdbs.reportLuns(0, 256), null, 256))).containsExactly(1);
        assertThat(Harness.sense(h.run(NEXUS, 0, Cdbs.testUnitReady(), null, 0)))
                .isEqualTo(Harness.expected(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED));
        // Its view changed: told on the LU it sees. Another initiator still sees both, undisturbed.
        assertThat(Harness.sense(h.run(NEXUS, 1, Cdbs.testUnitReady(), null, 0)))
                .isEqualTo(Harness.expected(SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED));
        assertThat(h.run(OTHER, 0, Cdbs.testUnitReady(), null, 0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(luns(h.run(OTHER, 0, Cdbs.reportLuns(0, 256), null, 256))).containsExactly(0, 1);

        h.core.lunMasks(java.util.Map.of());
        assertThat(luns(h.run(NEXUS, 1, Cdbs.reportLuns(0, 256), null, 256))).containsExactly(0, 1);
    }

    private static List<Integer> luns(ScsiResponse response) {
        byte[] d = Harness.data(response);
        List<Integer> luns = new ArrayList<>();
        for (int off = 8; off + 8 <= d.length; off += 8) {
            luns.add(((d[off] & 0x3f) << 8) | (d[off + 1] & 0xff));
        }
        return luns;
    }
}
