package io.jtarget.iser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DataMovementTest {
    static final RemoteBuffer SOURCE = new RemoteBuffer(0x1234, 0x7f00_0000_2000L);

    @Test
    void shouldReadEverythingAfterTheImmediateDataWhenInitialR2TIsYes() throws Exception {
        DataMovement.WritePlan plan = DataMovement.write(1 << 20, 8192, true, 65536, SOURCE);

        assertThat(plan.unsolicitedLength()).isEqualTo(8192);
        assertThat(plan.unsolicitedDataOutLength()).isZero();
        assertThat(plan.rdmaReadLength()).isEqualTo((1 << 20) - 8192);
        assertThat(plan.source()).isEqualTo(SOURCE);
    }

    @Test
    void shouldExpectUnsolicitedDataOutUpToFirstBurstWhenInitialR2TIsNo() throws Exception {
        DataMovement.WritePlan plan = DataMovement.write(1 << 20, 8192, false, 65536, SOURCE);

        assertThat(plan.unsolicitedLength()).isEqualTo(65536);
        assertThat(plan.unsolicitedDataOutLength()).isEqualTo(65536 - 8192);
        assertThat(plan.rdmaReadLength()).isEqualTo((1 << 20) - 65536);
    }

    @Test
    void shouldNeedNoRdmaReadWhenTheWholeWriteCameImmediately() throws Exception {
        DataMovement.WritePlan plan = DataMovement.write(4096, 4096, true, 65536, null);
        assertThat(plan.rdmaReadLength()).isZero();

        DataMovement.WritePlan unsolicited = DataMovement.write(32768, 8192, false, 65536, null);
        assertThat(unsolicited.rdmaReadLength()).isZero();
        assertThat(unsolicited.unsolicitedDataOutLength()).isEqualTo(32768 - 8192);
    }

    @Test
    void shouldRefuseSolicitedDataWithoutAWriteStag() {
        assertThatThrownBy(() -> DataMovement.write(65536, 8192, true, 65536, null))
                .isInstanceOf(DataMovement.InvalidTransfer.class).hasMessageContaining("write STag");
    }

    @Test
    void shouldRefuseImmediateDataBeyondTheExpectedLengthOrFirstBurst() {
        assertThatThrownBy(() -> DataMovement.write(512, 1024, true, 65536, SOURCE))
                .isInstanceOf(DataMovement.InvalidTransfer.class).hasMessageContaining("expected length");
        assertThatThrownBy(() -> DataMovement.write(1 << 20, 16384, true, 8192, SOURCE))
                .isInstanceOf(DataMovement.InvalidTransfer.class).hasMessageContaining("FirstBurstLength");
    }

    @Test
    void shouldWriteAtMostTheExpectedLengthOfReadData() throws Exception {
        DataMovement.ReadPlan plan = DataMovement.read(4096, SOURCE);
        assertThat(plan.transferLength(8192)).isEqualTo(4096);
        assertThat(plan.transferLength(512)).isEqualTo(512);
    }

    @Test
    void shouldRefuseDataInWithoutAReadStagButAllowAReadOfNothing() throws Exception {
        assertThatThrownBy(() -> DataMovement.read(512, null)).isInstanceOf(DataMovement.InvalidTransfer.class)
                .hasMessageContaining("read STag");
        assertThat(DataMovement.read(0, null).transferLength(100)).isZero();
    }
}
