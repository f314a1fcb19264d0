package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link SenseData#encodeCdbField}: the field pointer sense-key specific data (SPC-5 §4.4.2.2). */
class SenseDataFieldPointerTest {

    @Test
    void shouldPutTheFieldPointerInBytes15To17OfFixedFormat() {
        byte[] s = SenseData.encodeCdbField(SenseReason.INVALID_FIELD_IN_CDB, 2, 2, false);
        // Fixed format: 18 bytes, ADDITIONAL SENSE LENGTH 10, VALID=0 (no INFORMATION).
        // Byte 15: SKSV=1, C/D=1 (CDB), BPV=1, BIT POINTER; bytes 16-17: FIELD POINTER.
        assertThat(s).containsExactly(0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0x00, 0, 0xCA, 0x00, 0x02);
    }

    @Test
    void shouldLeaveBpvClearWhenTheWholeByteIsAtFault() {
        byte[] s = SenseData.encodeCdbField(SenseReason.INVALID_FIELD_IN_CDB, 0x0102, -1, false);
        assertThat(s[15] & 0xff).isEqualTo(0xC0);
        assertThat(Bytes.u16(s, 16)).isEqualTo(0x0102);
    }

    @Test
    void shouldEncodeEveryBitPosition() {
        for (int bit = 0; bit < 8; bit++) {
            byte[] s = SenseData.encodeCdbField(SenseReason.INVALID_FIELD_IN_CDB, 9, bit, false);
            assertThat(s[15] & 0xff).as("bit %d", bit).isEqualTo(0xC8 | bit);
            assertThat(Bytes.u16(s, 16)).isEqualTo(9);
        }
    }

    @Test
    void shouldAppendASenseKeySpecificDescriptorInDescriptorFormat() {
        byte[] s = SenseData.encodeCdbField(SenseReason.INVALID_FIELD_IN_CDB, 1, 4, true);
        // Descriptor format header (ADDITIONAL SENSE LENGTH 8), then the sense key specific sense data descriptor:
        // DESCRIPTOR TYPE 02h, ADDITIONAL LENGTH 06h, two reserved bytes, SKSV|C/D|BPV|bit, FIELD POINTER, reserved.
        assertThat(s).containsExactly(0x72, 0x05, 0x24, 0x00, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0xCC, 0x00, 0x01, 0x00);
    }

    @Test
    void shouldCarryTheReasonsSenseKeyAndCodesInBothFormats() {
        byte[] fixed = SenseData.encodeCdbField(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST, 0x1234, -1, false);
        assertThat(Harness.senseOf(fixed)).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
        byte[] descriptor = SenseData.encodeCdbField(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST, 0x1234, -1, true);
        assertThat(Harness.senseOf(descriptor)).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST));
        assertThat(descriptor).hasSize(16);
        assertThat(descriptor[12] & 0xff).isEqualTo(0xC0);
        assertThat(Bytes.u16(descriptor, 13)).isEqualTo(0x1234);
    }
}
