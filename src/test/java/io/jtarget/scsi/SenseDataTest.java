package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SenseDataTest {
    @ParameterizedTest
    @EnumSource(SenseReason.class)
    void shouldEncodeEveryReasonInFixedFormat(SenseReason reason) {
        byte[] s = SenseData.encode(reason, false);
        assertThat(s).hasSize(18);
        assertThat(s[0] & 0xff).isEqualTo(0x70);
        assertThat(s[2] & 0x0f).isEqualTo(reason.senseKey);
        assertThat(s[7]).isEqualTo((byte) 10);
        assertThat(s[12] & 0xff).isEqualTo(reason.asc);
        assertThat(s[13] & 0xff).isEqualTo(reason.ascq);
    }

    @ParameterizedTest
    @EnumSource(SenseReason.class)
    void shouldEncodeEveryReasonInDescriptorFormat(SenseReason reason) {
        byte[] s = SenseData.encode(reason, true);
        assertThat(s).hasSize(8);
        assertThat(s[0] & 0xff).isEqualTo(0x72);
        assertThat(s[1] & 0x0f).isEqualTo(reason.senseKey);
        assertThat(s[2] & 0xff).isEqualTo(reason.asc);
        assertThat(s[3] & 0xff).isEqualTo(reason.ascq);
        assertThat(s[7]).isZero();
    }

    @Test
    void shouldSetValidAndInformationInFixedFormat() {
        byte[] s = SenseData.encode(SenseReason.MISCOMPARE_DURING_VERIFY, 0x1234, false);
        assertThat(s[0] & 0xff).isEqualTo(0xF0);
        assertThat(Bytes.u32(s, 3)).isEqualTo(0x1234);
    }

    @Test
    void shouldLeaveValidClearWhenInformationDoesNotFitFixedFormat() {
        byte[] s = SenseData.encode(SenseReason.MISCOMPARE_DURING_VERIFY, 1L << 40, false);
        assertThat(s[0] & 0xff).isEqualTo(0x70);
    }

    @Test
    void shouldAppendInformationDescriptorInDescriptorFormat() {
        byte[] s = SenseData.encode(SenseReason.MISCOMPARE_DURING_VERIFY, 1L << 40, true);
        assertThat(s).hasSize(20);
        assertThat(s[7]).isEqualTo((byte) 12);
        assertThat(s[8]).isZero();
        assertThat(s[9]).isEqualTo((byte) 0x0A);
        assertThat(s[10] & 0xff).isEqualTo(0x80);
        assertThat(Bytes.u64(s, 12)).isEqualTo(1L << 40);
    }
}
