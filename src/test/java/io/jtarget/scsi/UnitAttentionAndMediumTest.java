package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UnitAttentionAndMediumTest {
    private final Harness h = new Harness();

    @AfterEach
    void release() {
        h.close();
    }

    @Test
    void shouldReportPowerOnOnceToNewNexus() {
        ItNexus fresh = new ItNexus("iqn.x,i,0x3", Harness.NEXUS.targetPort(), 1);
        h.core.nexusEstablished(fresh);
        assertThat(Harness.sense(h.run(fresh, Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET));
        assertThat(h.run(fresh, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldNotReportOrClearUnitAttentionOnInquiryAndReportLuns() {
        ItNexus fresh = new ItNexus("iqn.x,i,0x3", Harness.NEXUS.targetPort(), 1);
        h.core.nexusEstablished(fresh);
        assertThat(h.run(fresh, Cdbs.inquiry(false, 0, 96)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(fresh, Cdbs.reportLuns(0, 64)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.sense(h.run(fresh, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0))))
                .isEqualTo(Harness.expected(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET));
    }

    @Test
    void shouldReturnAndClearUnitAttentionThroughRequestSense() {
        ItNexus fresh = new ItNexus("iqn.x,i,0x3", Harness.NEXUS.targetPort(), 1);
        h.core.nexusEstablished(fresh);
        ScsiResponse r = h.run(fresh, Cdbs.requestSense(false, 18));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.senseOf(Harness.data(r))).isEqualTo(Harness.expected(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET));
        assertThat(h.run(fresh, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldReportItNexusLossWhenLostNexusComesBack() {
        h.core.nexusLost(Harness.OTHER);
        h.core.nexusEstablished(Harness.OTHER);
        assertThat(Harness.sense(h.run(Harness.OTHER, Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.I_T_NEXUS_LOSS_OCCURRED));
    }

    @Test
    void shouldRememberOnlyTheLatestLostNexusesSoThatProbesWithNewIsidsCannotGrowItForever() {
        ItNexus first = new ItNexus("iqn.x,i,0x10", Harness.NEXUS.targetPort(), 1);
        h.core.nexusEstablished(first);
        h.core.nexusLost(first);
        ItNexus last = null;
        for (int i = 0; i < ScsiTargetCore.LOST_NEXUSES_REMEMBERED; i++) {
            last = new ItNexus("iqn.probe,i,0x" + Integer.toHexString(0x100000 + i), Harness.NEXUS.targetPort(), 1);
            h.core.nexusEstablished(last);
            h.core.nexusLost(last);
        }
        h.core.nexusEstablished(first);
        assertThat(Harness.sense(h.run(first, Cdbs.testUnitReady()))).as("forgotten: still told its state is gone")
                .isEqualTo(Harness.expected(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET));
        h.core.nexusEstablished(last);
        assertThat(Harness.sense(h.run(last, Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.I_T_NEXUS_LOSS_OCCURRED));
    }

    @Test
    void shouldRegisterNexusNeverEstablishedOnItsFirstCommand() {
        ItNexus unannounced = new ItNexus("iqn.x,i,0x4", Harness.NEXUS.targetPort(), 1);
        assertThat(Harness.sense(h.run(unannounced, Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET));
        assertThat(h.run(unannounced, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        // INQUIRY registers it too, without reporting the condition.
        ItNexus inquiring = new ItNexus("iqn.x,i,0x5", Harness.NEXUS.targetPort(), 1);
        assertThat(h.run(inquiring, Cdbs.inquiry(false, 0, 96)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.lu.unitAttentions().isRegistered(inquiring)).isTrue();
        assertThat(Harness.sense(h.run(inquiring, Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.POWER_ON_RESET_OR_BUS_DEVICE_RESET));
        // A lost nexus that sends a command without being established again learns of the loss.
        h.core.nexusLost(Harness.OTHER);
        assertThat(Harness.sense(h.run(Harness.OTHER, Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.I_T_NEXUS_LOSS_OCCURRED));
        assertThat(h.run(Harness.OTHER, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldBeNotReadyAfterStopUntilStarted() {
        assertThat(h.run(Cdbs.startStopUnit(false, 0, false, false)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.flushes).isEqualTo(1);
        assertThat(Harness.sense(h.run(Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.NOT_READY_INITIALIZING_COMMAND_REQUIRED));
        assertThat(Harness.sense(h.run(Cdbs.readCapacity10()))).isEqualTo(Harness.expected(SenseReason.NOT_READY_INITIALIZING_COMMAND_REQUIRED));
        assertThat(h.run(Cdbs.inquiry(false, 0, 96)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.senseOf(Harness.data(h.run(Cdbs.requestSense(false, 18)))))
                .isEqualTo(Harness.expected(SenseReason.NOT_READY_INITIALIZING_COMMAND_REQUIRED));
        assertThat(h.run(Cdbs.startStopUnit(true, 0, false, true)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRefuseEjectOfNonRemovableMedium() {
        assertThat(Harness.sense(h.run(Cdbs.startStopUnit(true, 0, true, false)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldIgnoreStartAndLoejWithPowerCondition() {
        assertThat(h.run(Cdbs.startStopUnit(true, 1, true, false)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        for (int pc = 1; pc < 16; pc++) {
            assertThat(h.run(Cdbs.startStopUnit(false, pc, false, false)).status()).as("power condition %d", pc)
                    .isEqualTo(ScsiStatus.GOOD);
            assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        }
    }

    @Test
    void shouldStayReadyWhenRemovableUnitIsStoppedWithoutEject() {
        Harness r = new Harness(new FakeBlockDevice(512, 64, true), false, true);
        try {
            assertThat(r.run(Cdbs.startStopUnit(false, 0, false, false)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(r.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
            // A fixed disk, by contrast, needs START=1 after a stop.
            assertThat(h.run(Cdbs.startStopUnit(false, 0, false, false)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
            assertThat(h.run(Cdbs.startStopUnit(false, 0, false, true)).status()).isEqualTo(ScsiStatus.GOOD);
        } finally {
            r.close();
        }
    }

    @Test
    void shouldRefuseLoadWhileRemovalIsPrevented() {
        Harness r = new Harness(new FakeBlockDevice(512, 64, true), false, true);
        try {
            assertThat(r.run(Cdbs.startStopUnit(false, 0, true, false)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(r.run(Cdbs.preventAllow(1)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(Harness.sense(r.run(Cdbs.startStopUnit(false, 0, true, true))))
                    .isEqualTo(Harness.expected(SenseReason.MEDIUM_REMOVAL_PREVENTED));
            assertThat(r.run(Cdbs.preventAllow(0)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(r.run(Cdbs.startStopUnit(false, 0, true, true)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(r.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        } finally {
            r.close();
        }
    }

    @Test
    void shouldEjectRemovableMediumUnlessPrevented() {
        Harness r = new Harness(new FakeBlockDevice(512, 64, true), false, true);
        try {
            assertThat(Harness.data(r.run(Cdbs.inquiry(false, 0, 96)))[1] & 0x80).isEqualTo(0x80);
            assertThat(r.run(Cdbs.preventAllow(1)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(Harness.sense(r.run(Cdbs.startStopUnit(true, 0, true, false)))).isEqualTo(Harness.expected(SenseReason.MEDIUM_REMOVAL_PREVENTED));
            assertThat(r.run(Cdbs.preventAllow(0)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(r.run(Cdbs.startStopUnit(true, 0, true, false)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(Harness.sense(r.run(Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.MEDIUM_NOT_PRESENT));
            assertThat(Harness.sense(r.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512])))
                    .isEqualTo(Harness.expected(SenseReason.MEDIUM_NOT_PRESENT));
            assertThat(r.run(Cdbs.startStopUnit(true, 0, true, true)).status()).isEqualTo(ScsiStatus.GOOD);
            assertThat(r.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        } finally {
            r.close();
        }
    }

    @Test
    void shouldDropPreventionWhenItsNexusIsLost() {
        Harness r = new Harness(new FakeBlockDevice(512, 64, true), false, true);
        try {
            r.run(Harness.OTHER, Cdbs.preventAllow(1));
            assertThat(r.lu.removalPrevented()).isTrue();
            r.core.nexusLost(Harness.OTHER);
            assertThat(r.lu.removalPrevented()).isFalse();
        } finally {
            r.close();
        }
    }

    @Test
    void shouldRejectObsoletePreventValues() {
        assertThat(Harness.sense(h.run(Cdbs.preventAllow(2)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldCloseEveryDevice() {
        h.core.close();
        assertThat(h.device.closed).isTrue();
        assertThat(h.core.logicalUnits()).isEqualTo(List.of(h.lu));
    }
}
