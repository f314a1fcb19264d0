package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SpcCommandsTest {
    private final Harness h = new Harness();

    @AfterEach
    void release() {
        h.close();
    }

    @Test
    void shouldReturnStandardInquiryDataOfDirectAccessDevice() {
        ScsiResponse r = h.run(Cdbs.inquiry(false, 0, 260));
        byte[] d = Harness.data(r);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(d).hasSize(96);
        assertThat(d[0]).isZero();
        assertThat(d[1]).isZero(); // not removable
        assertThat(d[2]).isEqualTo((byte) 0x06);
        assertThat(d[3]).isEqualTo((byte) 0x12); // HiSup, response data format 2
        assertThat(d[4] & 0xff).isEqualTo(d.length - 5);
        assertThat(d[7] & 0x02).isEqualTo(0x02); // CmdQue
        assertThat(new String(d, 8, 8, StandardCharsets.US_ASCII)).isEqualTo("JTARGET ");
        assertThat(Bytes.u16(d, 58)).isEqualTo(0x00A0);
        assertThat(r.commandTransferLength()).isEqualTo(260);
    }

    @Test
    void shouldTruncateInquiryToAllocationLength() {
        ScsiResponse r = h.run(Cdbs.inquiry(false, 0, 5));
        assertThat(Harness.data(r)).hasSize(5);
    }

    @Test
    void shouldRejectPageCodeWithoutEvpd() {
        assertThat(Harness.sense(h.run(Cdbs.inquiry(false, 0x80, 255)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldRejectUnsupportedVpdPage() {
        assertThat(Harness.sense(h.run(Cdbs.inquiry(true, 0x89, 255)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldListSupportedVpdPagesInAscendingOrder() {
        byte[] d = Harness.data(h.run(Cdbs.inquiry(true, 0x00, 255)));
        assertThat(Arrays.copyOfRange(d, 4, d.length)).containsExactly(0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2);
        assertThat(Bytes.u16(d, 2)).isEqualTo(d.length - 4);
    }

    @Test
    void shouldReportSerialNumberInVpd80() {
        byte[] d = Harness.data(h.run(Cdbs.inquiry(true, 0x80, 255)));
        assertThat(new String(d, 4, d.length - 4, StandardCharsets.US_ASCII)).isEqualTo("serial-0001");
    }

    @Test
    void shouldReportStableNaaAndPortDesignatorsInVpd83() {
        byte[] d = Harness.data(h.run(Cdbs.inquiry(true, 0x83, 1024)));
        assertThat(Bytes.u16(d, 2)).isEqualTo(d.length - 4);
        // First designator: NAA, binary, LU association, 16 bytes, NAA type 6.
        assertThat(d[4]).isEqualTo((byte) 0x01);
        assertThat(d[5]).isEqualTo((byte) 0x03);
        assertThat(d[7]).isEqualTo((byte) 16);
        assertThat((d[8] & 0xf0) >>> 4).isEqualTo(6);
        assertThat(Arrays.copyOfRange(d, 8, 24)).isEqualTo(InquiryData.naaDesignator("serial-0001"));
        assertThat(InquiryData.naaDesignator("serial-0002")).isNotEqualTo(InquiryData.naaDesignator("serial-0001"));
        // Second: relative target port.
        assertThat(d[25]).isEqualTo((byte) 0x14);
        assertThat(Bytes.u16(d, 30)).isEqualTo(1);
        // Third: target port name, SCSI name string, null terminated, multiple of 4.
        assertThat(d[32]).isEqualTo((byte) 0x03);
        assertThat(d[33]).isEqualTo((byte) 0x18);
        int length = d[35] & 0xff;
        assertThat(length % 4).isZero();
        String name = new String(d, 36, length, StandardCharsets.UTF_8);
        assertThat(name).startsWith(Harness.NEXUS.targetPort() + "\0");
    }

    @Test
    void shouldReportBlockLimitsWithoutUnmap() {
        byte[] d = Harness.data(h.run(Cdbs.inquiry(true, 0xB0, 64)));
        assertThat(d).hasSize(64);
        assertThat(d[3] & 0xff).isEqualTo(0x3C);
        assertThat(Bytes.u32(d, 8)).isEqualTo(LogicalUnit.MAX_TRANSFER_BYTES / 512);
        assertThat(Bytes.u32(d, 20)).isZero();
        assertThat(Bytes.u32(d, 24)).isZero();
        byte[] lbp = Harness.data(h.run(Cdbs.inquiry(true, 0xB2, 64)));
        assertThat(lbp[5] & 0x80).isZero(); // LBPU
        byte[] bdc = Harness.data(h.run(Cdbs.inquiry(true, 0xB1, 64)));
        assertThat(Bytes.u16(bdc, 4)).isEqualTo(1); // non-rotating
    }

    @Test
    void shouldAnswerInquiryForMissingLunWithQualifier011b() {
        ScsiResponse r = h.run(Harness.NEXUS, 5, Cdbs.inquiry(false, 0, 96), null, 96);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.data(r)[0] & 0xff).isEqualTo(0x7F);
    }

    @Test
    void shouldRejectOtherCommandsForMissingLunWithLogicalUnitNotSupported() {
        ScsiResponse r = h.run(Harness.NEXUS, 5, Cdbs.testUnitReady(), null, 0);
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED));
        ScsiResponse lunsFromMissing = h.run(Harness.NEXUS, 5, Cdbs.reportLuns(0, 64), null, 64);
        assertThat(lunsFromMissing.status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldReportLunsWithPeripheralAndFlatAddressing() {
        FakeBlockDevice other = new FakeBlockDevice(512, 16, false);
        ScsiTargetCore core = new ScsiTargetCore("t", java.util.List.of(
                new LogicalUnit(300, other, false, "b"), new LogicalUnit(1, other, false, "a")));
        java.util.List<ScsiResponse> got = new java.util.ArrayList<>();
        core.submit(new ScsiCommand(Harness.NEXUS, 0, Cdbs.reportLuns(0, 64), 1, TaskAttribute.SIMPLE,
                ScsiCommand.DataDirection.READ, 64, null, h.allocator), got::add);
        byte[] d = Harness.data(got.get(0));
        got.get(0).dataIn().release();
        assertThat(Bytes.u32(d, 0)).isEqualTo(16);
        assertThat(Arrays.copyOfRange(d, 8, 10)).containsExactly(0x00, 0x01);
        assertThat(Arrays.copyOfRange(d, 16, 18)).containsExactly(0x41, 0x2C);
    }

    @Test
    void shouldRejectUnknownSelectReport() {
        assertThat(Harness.sense(h.run(Cdbs.reportLuns(0x07, 64)))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldReturnNoSenseFromRequestSenseWhenNothingPending() {
        byte[] d = Harness.data(h.run(Cdbs.requestSense(false, 252)));
        assertThat(Harness.senseOf(d)).isEqualTo(Harness.expected(SenseReason.NO_SENSE));
        byte[] desc = Harness.data(h.run(Cdbs.requestSense(true, 252)));
        assertThat(desc[0] & 0xff).isEqualTo(0x72);
    }

    @Test
    void shouldRejectUnknownOpcode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x8C; // READ ATTRIBUTE: not implemented
        assertThat(Harness.sense(h.run(cdb))).isEqualTo(Harness.expected(SenseReason.INVALID_COMMAND_OPERATION_CODE));
    }

    @Test
    void shouldRejectNacaBitBecauseNormAcaIsZero() {
        byte[] cdb = Cdbs.testUnitReady();
        cdb[5] = Cdb.CONTROL_NACA;
        assertThat(Harness.sense(h.run(cdb))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }
}
