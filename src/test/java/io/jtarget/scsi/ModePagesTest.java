package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ModePagesTest {
    private final Harness h = new Harness();

    @AfterEach
    void release() {
        h.close();
    }

    private byte[] controlPage(int pc) {
        byte[] d = Harness.data(h.run(Cdbs.modeSense6(pc, ModePages.PAGE_CONTROL, 0, true, 255)));
        assertThat(d[3]).isZero();
        return java.util.Arrays.copyOfRange(d, 4, d.length);
    }

    private ScsiResponse select(byte[] page) {
        byte[] list = new byte[4 + page.length];
        page[0] &= 0x3F;
        System.arraycopy(page, 0, list, 4, page.length);
        return h.runWithData(Cdbs.modeSelect6(list.length), list);
    }

    @Test
    void shouldReturnAllPagesWithBlockDescriptor() {
        byte[] d = Harness.data(h.run(Cdbs.modeSense6(0, ModePages.PAGE_ALL, 0, false, 255)));
        assertThat(d[0] & 0xff).isEqualTo(d.length - 1);
        assertThat(d[2] & 0x80).isZero(); // not write protected
        assertThat(d[3]).isEqualTo((byte) 8);
        assertThat(Bytes.u32(d, 4)).isEqualTo(2048);
        assertThat(Bytes.u24(d, 9)).isEqualTo(512);
        assertThat(d[12]).isEqualTo((byte) 0x08);
        assertThat(d[14] & ModePages.CACHING_WCE).isEqualTo(ModePages.CACHING_WCE);
        assertThat(d[32]).isEqualTo((byte) 0x0A);
        assertThat(d[44]).isEqualTo((byte) 0x1C);
        assertThat(d).hasSize(56);
    }

    @Test
    void shouldTruncateToAllocationLengthButKeepFullModeDataLength() {
        byte[] d = Harness.data(h.run(Cdbs.modeSense6(0, ModePages.PAGE_ALL, 0, false, 4)));
        assertThat(d).hasSize(4);
        assertThat(d[0] & 0xff).isEqualTo(55);
    }

    @Test
    void shouldReturnLongBlockDescriptorForModeSense10WithLlbaa() {
        byte[] d = Harness.data(h.run(Cdbs.modeSense10(0, ModePages.PAGE_CACHING, true, 255)));
        assertThat(Bytes.u16(d, 0)).isEqualTo(d.length - 2);
        assertThat(d[4] & 1).isEqualTo(1);
        assertThat(Bytes.u16(d, 6)).isEqualTo(16);
        assertThat(Bytes.u64(d, 8)).isEqualTo(2048);
        assertThat(Bytes.u32(d, 20)).isEqualTo(512);
        assertThat(d[24]).isEqualTo((byte) 0x08);
    }

    @Test
    void shouldRefuseSavedValues() {
        assertThat(Harness.sense(h.run(Cdbs.modeSense6(3, ModePages.PAGE_ALL, 0, false, 255))))
                .isEqualTo(Harness.expected(SenseReason.SAVING_PARAMETERS_NOT_SUPPORTED));
    }

    @Test
    void shouldRefuseUnknownPageAndSubpage() {
        assertThat(Harness.sense(h.run(Cdbs.modeSense6(0, 0x01, 0, false, 255)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(Harness.sense(h.run(Cdbs.modeSense6(0, 0x0A, 0x01, false, 255)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldReportChangeableBits() {
        byte[] control = controlPage(ModePages.PC_CHANGEABLE);
        assertThat(control[2] & ModePages.CONTROL_D_SENSE).isNotZero();
        assertThat(control[4] & ModePages.CONTROL_SWP).isNotZero();
        assertThat(control[3]).isZero();
    }

    @Test
    void shouldSwitchToDescriptorSenseWhenDSenseIsSelected() {
        byte[] page = controlPage(ModePages.PC_CURRENT);
        page[2] |= ModePages.CONTROL_D_SENSE;
        assertThat(select(page).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(controlPage(ModePages.PC_CURRENT)[2] & ModePages.CONTROL_D_SENSE).isNotZero();
        ScsiResponse r = h.run(Cdbs.rw16(ScsiOpcode.READ_16, -1L, 1, 0));
        assertThat(r.sense()[0] & 0x7f).isEqualTo(0x72);
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(SenseReason.LBA_OUT_OF_RANGE));
    }

    @Test
    void shouldWriteProtectWhenSwpIsSelected() {
        byte[] page = controlPage(ModePages.PC_CURRENT);
        page[4] |= ModePages.CONTROL_SWP;
        assertThat(select(page).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.sense(h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512])))
                .isEqualTo(Harness.expected(SenseReason.WRITE_PROTECTED));
        byte[] header = Harness.data(h.run(Cdbs.modeSense6(0, ModePages.PAGE_CONTROL, 0, true, 4)));
        assertThat(header[2] & 0x80).isEqualTo(0x80);
    }

    @Test
    void shouldForceUnitAccessWhenWceIsCleared() {
        byte[] d = Harness.data(h.run(Cdbs.modeSense6(0, ModePages.PAGE_CACHING, 0, true, 255)));
        byte[] page = java.util.Arrays.copyOfRange(d, 4, d.length);
        page[2] &= ~ModePages.CACHING_WCE;
        assertThat(select(page).status()).isEqualTo(ScsiStatus.GOOD);
        h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[512]);
        assertThat(h.device.lastWriteFua).isTrue();
    }

    @Test
    void shouldRefuseChangeOfUnchangeableBit() {
        byte[] page = controlPage(ModePages.PC_CURRENT);
        page[4] |= 0x20; // UA_INTLCK_CTRL 10b (TAS is changeable since TAS=1 is supported)
        assertThat(Harness.sense(select(page))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
    }

    @Test
    void shouldRefuseWrongPageLengthAndTruncatedList() {
        byte[] page = controlPage(ModePages.PC_CURRENT);
        page[1] = 0x0B;
        assertThat(Harness.sense(select(page))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
        byte[] list = new byte[8];
        assertThat(Harness.sense(h.runWithData(Cdbs.modeSelect6(12), list))).isEqualTo(Harness.expected(SenseReason.PARAMETER_LIST_LENGTH_ERROR));
    }

    @Test
    void shouldRequirePageFormat() {
        byte[] cdb = Cdbs.modeSelect6(0);
        cdb[1] = 0;
        assertThat(Harness.sense(h.run(cdb))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldRaiseModeParametersChangedOnOtherNexusOnly() {
        byte[] page = controlPage(ModePages.PC_CURRENT);
        page[2] |= ModePages.CONTROL_D_SENSE;
        select(page);
        assertThat(h.run(Harness.NEXUS, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.sense(h.run(Harness.OTHER, Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.MODE_PARAMETERS_CHANGED));
        assertThat(h.run(Harness.OTHER, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldNotRaiseUnitAttentionWhenNothingChanged() {
        select(controlPage(ModePages.PC_CURRENT));
        assertThat(h.run(Harness.OTHER, Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }
}
