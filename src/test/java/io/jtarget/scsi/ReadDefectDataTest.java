package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** READ DEFECT DATA(10) (SBC-4 §5.18) and READ DEFECT DATA(12) (SBC-4 §5.19): a virtual medium has no defects. */
class ReadDefectDataTest {
    private static final int PLIST = MediumCommands.REQ_PLIST;
    private static final int GLIST = MediumCommands.REQ_GLIST;
    private final Harness h = new Harness();

    @AfterEach
    void release() {
        h.close();
    }

    private byte[] good(byte[] cdb) {
        ScsiResponse r = h.run(cdb);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        return Harness.data(r);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, PLIST, GLIST, PLIST | GLIST, PLIST | GLIST | 0b011, PLIST | 0b101, GLIST | 0b100, 0b110})
    void shouldReturnAnEmptyTenByteListEchoingTheListsAndFormatAskedFor(int request) {
        // Header (SBC-4 Table 77): reserved, PLISTV GLISTV DEFECT LIST FORMAT, DEFECT LIST LENGTH 0.
        assertThat(good(Cdbs.readDefectData10(request, 512))).containsExactly(0, request, 0, 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, PLIST, GLIST, PLIST | GLIST | 0b011, GLIST | 0b101, PLIST | 0b100})
    void shouldReturnAnEmptyTwelveByteListEchoingTheListsAndFormatAskedFor(int request) {
        // Header (SBC-4 Table 80): reserved, PLISTV GLISTV DEFECT LIST FORMAT, GENERATION CODE, DEFECT LIST LENGTH.
        assertThat(good(Cdbs.readDefectData12(request, 512))).containsExactly(0, request, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void shouldNotEchoReservedRequestBits() {
        assertThat(good(Cdbs.readDefectData10(0xE0 | PLIST | 0b011, 512))).containsExactly(0, PLIST | 0b011, 0, 0);
        assertThat(good(Cdbs.readDefectData12(0xE0 | GLIST | 0b101, 512))).containsExactly(0, GLIST | 0b101, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void shouldReturnNoMoreThanTheAllocationLength() {
        assertThat(good(Cdbs.readDefectData10(PLIST | GLIST, 2))).containsExactly(0, PLIST | GLIST);
        assertThat(good(Cdbs.readDefectData12(PLIST, 5))).containsExactly(0, PLIST, 0, 0, 0);
        ScsiResponse none = h.run(Cdbs.readDefectData10(PLIST, 0));
        assertThat(none.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(none.dataIn()).isNull();
    }

    @Test
    void shouldIgnoreTheAddressDescriptorIndexOfAnEmptyList() {
        byte[] cdb = Cdbs.readDefectData12(GLIST | 0b100, 64);
        Bytes.putU32(cdb, 2, 1000);
        assertThat(good(cdb)).containsExactly(0, GLIST | 0b100, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void shouldNeedAReadyMedium() {
        assertThat(h.run(Cdbs.startStopUnit(false, 0, false, false)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.sense(h.run(Cdbs.readDefectData10(PLIST, 64))))
                .isEqualTo(Harness.expected(SenseReason.NOT_READY_INITIALIZING_COMMAND_REQUIRED));
        assertThat(Harness.sense(h.run(Cdbs.readDefectData12(PLIST, 64))))
                .isEqualTo(Harness.expected(SenseReason.NOT_READY_INITIALIZING_COMMAND_REQUIRED));
    }
}
