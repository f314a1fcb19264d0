package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SenseDataTest {

    @Test
    void shouldReadKeyAndCodesWhenSenseIsFixedFormat() throws Exception {
        byte[] fixed = new byte[18];
        fixed[0] = (byte) 0x70;
        fixed[2] = 0x05;
        fixed[7] = 10;
        fixed[12] = 0x24;
        fixed[13] = 0x00;
        SenseData s = SenseData.parse(fixed);
        assertThat(s.is(0x5, 0x24, 0x00)).isTrue();
    }

    @Test
    void shouldReadKeyAndCodesWhenSenseIsDescriptorFormat() throws Exception {
        byte[] desc = {0x72, 0x06, 0x29, 0x03, 0, 0, 0, 0};
        SenseData s = SenseData.parse(desc);
        assertThat(s.senseKey()).isEqualTo(6);
        assertThat(s.asc()).isEqualTo(0x29);
        assertThat(s.ascq()).isEqualTo(0x03);
    }

    @Test
    void shouldReportViolationWhenResponseCodeIsUnknown() {
        assertThatThrownBy(() -> SenseData.parse(new byte[] {0x10, 0, 0, 0, 0, 0, 0, 0}))
                .isInstanceOf(ProtocolViolationException.class);
    }
}
