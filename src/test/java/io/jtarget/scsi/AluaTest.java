package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AluaTest {
    private final Harness h = new Harness();

    @AfterEach
    void release() {
        h.close();
    }

    static byte[] reportTargetPortGroups(int format, int allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) ScsiOpcode.MAINTENANCE_IN;
        c[1] = (byte) ((format << AluaCommands.RTPG_FORMAT_SHIFT) | ScsiOpcode.SA_REPORT_TARGET_PORT_GROUPS);
        Bytes.putU32(c, 6, allocation);
        return c;
    }

    @Test
    void shouldReportImplicitAluaInStandardInquiry() {
        byte[] d = Harness.data(h.run(Cdbs.inquiry(false, 0, 96)));
        assertThat(d[5] & 0x30).isEqualTo(0x10);
    }

    @Test
    void shouldListEveryTargetPortInOneActiveOptimizedGroup() {
        h.core.addTargetPort(2, "iqn.2024-01.test:tgt,t,0x0002");
        byte[] d = Harness.data(h.run(reportTargetPortGroups(AluaCommands.RTPG_FORMAT_LENGTH_ONLY, 1024)));
        assertThat(Bytes.u32(d, 0)).isEqualTo(d.length - 4);
        assertThat(d[4] & 0x0F).as("active/optimized").isZero();
        assertThat(d[5] & 0xff).isEqualTo(AluaCommands.AO_SUP);
        assertThat(Bytes.u16(d, 6)).isEqualTo(AluaCommands.TARGET_PORT_GROUP_ID);
        assertThat(d[11] & 0xff).isEqualTo(2);
        assertThat(Bytes.u16(d, 14)).isEqualTo(1);
        assertThat(Bytes.u16(d, 18)).isEqualTo(2);
    }

    @Test
    void shouldUseExtendedHeaderWhenAskedAndRefuseOtherFormats() {
        byte[] d = Harness.data(h.run(reportTargetPortGroups(AluaCommands.RTPG_FORMAT_EXTENDED, 1024)));
        assertThat(Bytes.u32(d, 0)).isEqualTo(d.length - 4);
        assertThat(d[4] & 0x70).isEqualTo(0x10);
        assertThat(Bytes.u16(d, 8 + 2)).isEqualTo(AluaCommands.TARGET_PORT_GROUP_ID);
        assertThat(Harness.sense(h.run(reportTargetPortGroups(2, 1024))))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        byte[] other = reportTargetPortGroups(0, 1024);
        other[1] = 0x05; // REPORT IDENTIFYING INFORMATION: not implemented
        assertThat(Harness.sense(h.run(other))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(Harness.data(h.run(reportTargetPortGroups(0, 4)))).hasSize(4);
    }

    @Test
    void shouldReportTargetPortGroupDesignatorInVpd83() {
        byte[] d = Harness.data(h.run(Cdbs.inquiry(true, 0x83, 1024)));
        boolean found = false;
        for (int off = 4; off < d.length; off += 4 + (d[off + 3] & 0xff)) {
            if ((d[off + 1] & 0x3F) == (InquiryData.ASSOCIATION_TARGET_PORT | InquiryData.DESIGNATOR_TARGET_PORT_GROUP)) {
                assertThat(Bytes.u16(d, off + 6)).isEqualTo(AluaCommands.TARGET_PORT_GROUP_ID);
                found = true;
            }
        }
        assertThat(found).isTrue();
    }
}
