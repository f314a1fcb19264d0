package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** READ CAPACITY(16) (SBC-4 §5.21.2): the physical block geometry and provisioning bits. */
class ReadCapacity16Test {

    @ParameterizedTest
    @CsvSource({"1, 0", "2, 1", "4, 2", "8, 3", "16, 4", "64, 6", "128, 7"})
    void shouldReportLog2OfLogicalBlocksPerPhysicalBlockAsTheExponent(int logicalPerPhysical, int exponent) {
        FakeBlockDevice device = new FakeBlockDevice(512, 1024, true);
        device.logicalPerPhysical = logicalPerPhysical;
        try (Harness h = new Harness(device, false, false)) {
            byte[] d = Harness.data(h.run(Cdbs.readCapacity16(32)));
            assertThat(d).hasSize(32);
            assertThat(d[13] & 0x0F).isEqualTo(exponent);
            assertThat(d[13] & 0xF0).as("P_I_EXPONENT").isZero();
            // LOWEST ALIGNED LOGICAL BLOCK ADDRESS 0, and LBPME/LBPRZ clear on a fully provisioned LU.
            assertThat(d[14]).isZero();
            assertThat(d[15]).isZero();
            assertThat(d[12]).as("P_TYPE, PROT_EN").isZero();
            // Block Limits OPTIMAL TRANSFER LENGTH GRANULARITY: one physical block.
            byte[] b0 = Harness.data(h.run(Cdbs.inquiry(true, InquiryData.PAGE_BLOCK_LIMITS, 64)));
            assertThat(Bytes.u16(b0, 6)).isEqualTo(logicalPerPhysical);
        }
    }

    @Test
    void shouldReportFourKibibytePhysicalBlocksForARamLu() {
        try (Harness small = Harness.thin(2048, 512, "rc16-512"); Harness large = Harness.thin(256, 4096, "rc16-4096")) {
            byte[] d512 = Harness.data(small.run(Cdbs.readCapacity16(32)));
            assertThat(Bytes.u64(d512, 0)).isEqualTo(2047);
            assertThat(Bytes.u32(d512, 8)).isEqualTo(512);
            assertThat(d512[13] & 0x0F).isEqualTo(3); // 8 x 512 = 4096
            assertThat(d512[14] & 0xff).isEqualTo(SbcCommands.READ_CAPACITY_16_LBPME | SbcCommands.READ_CAPACITY_16_LBPRZ);
            assertThat(d512[15]).isZero();
            byte[] d4k = Harness.data(large.run(Cdbs.readCapacity16(32)));
            assertThat(Bytes.u32(d4k, 8)).isEqualTo(4096);
            assertThat(d4k[13] & 0x0F).isZero();
            assertThat(d4k[14] & 0x3F).isZero();
        }
    }
}
