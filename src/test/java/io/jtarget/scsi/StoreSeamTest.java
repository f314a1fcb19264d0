package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.StoreException;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the core does with the store seam: typed store errors become their own sense, a store's own COMPARE AND
 * WRITE and WRITE SAME replace the emulation, a resized store raises CAPACITY DATA HAS CHANGED, and reservation
 * state goes through a {@link ReservationStore}.
 */
class StoreSeamTest {
    private static final int BS = 512;
    private final FakeBlockDevice device = new FakeBlockDevice(BS, 2048, true);
    private final Harness h = new Harness(device, false, false);

    @AfterEach
    void close() {
        h.close();
    }

    @ParameterizedTest
    @CsvSource({
        "TIMEOUT, LOGICAL_UNIT_COMMUNICATION_TIME_OUT",
        "UNAVAILABLE, LOGICAL_UNIT_COMMUNICATION_FAILURE",
        "FENCED, NOT_READY_BECOMING_READY",
        "NO_SPACE, SPACE_ALLOCATION_FAILED_WRITE_PROTECT",
        "READ_ONLY, WRITE_PROTECTED",
        "MEDIUM, WRITE_ERROR",
    })
    void shouldAnswerAWriteWithTheSenseOfTheStoreFailureKind(StoreException.Kind kind, SenseReason expected) {
        device.failNext = true;
        device.failure = new StoreException(kind, "injected " + kind);
        ScsiResponse r = h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[BS]);
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(expected));
    }

    @Test
    void shouldAnswerAReadTimeoutWithCommunicationTimeOutAndAnUntypedFailureWithMediumError() {
        device.failNext = true;
        device.failure = new StoreException(StoreException.Kind.TIMEOUT, "no answer");
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0))))
                .isEqualTo(new int[] {SenseKey.ABORTED_COMMAND, 0x08, 0x01});
        device.failNext = true;
        device.failure = new IOException("disk on fire");
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0))))
                .isEqualTo(new int[] {SenseKey.MEDIUM_ERROR, 0x11, 0x00});
        // The LU serves the next command as before.
        assertThat(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldLetTheStoreCompareAndWriteWhenItCanInsteadOfReadingUnderTheRangeLock() {
        device.storeAtomics = true;
        device.fill(10, 1, (byte) 7);
        byte[] matching = caw((byte) 7, (byte) 9);
        assertThat(h.runWithData(Cdbs.compareAndWrite(10, 1), matching).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(device.bytes(10, 1)).containsOnly(9);
        assertThat(device.storeCompareAndWrites).isEqualTo(1);
        assertThat(device.reads).as("no emulated read-compare-write").isZero();
        assertThat(device.writes).isZero();

        byte[] stale = caw((byte) 9, (byte) 1); // the medium holds 9s now
        stale[3] = 8;
        stale[5] = 8;
        ScsiResponse miscompare = h.runWithData(Cdbs.compareAndWrite(10, 1), stale);
        assertThat(Harness.sense(miscompare)).isEqualTo(Harness.expected(SenseReason.MISCOMPARE_DURING_VERIFY));
        assertThat(Bytes.u32(miscompare.sense(), SenseData.FIXED_INFORMATION_OFFSET)).isEqualTo(3);
        assertThat(device.bytes(10, 1)).containsOnly(9);
    }

    @Test
    void shouldEmulateCompareAndWriteWhenTheStoreDoesNotDoIt() {
        device.fill(10, 1, (byte) 7);
        assertThat(h.runWithData(Cdbs.compareAndWrite(10, 1), caw((byte) 7, (byte) 9)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(device.storeCompareAndWrites).isZero();
        assertThat(device.reads).isEqualTo(1);
        assertThat(device.writes).isEqualTo(1);
        assertThat(device.bytes(10, 1)).containsOnly(9);
    }

    @Test
    void shouldLetTheStoreWriteSameInOneRequest() {
        device.storeAtomics = true;
        byte[] block = new byte[BS];
        Arrays.fill(block, (byte) 0x5A);
        assertThat(h.runWithData(Cdbs.rw16(ScsiOpcode.WRITE_SAME_16, 100, 300, 0), block).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(device.storeWriteSames).isEqualTo(1);
        assertThat(device.writes).isZero();
        assertThat(device.bytes(100, 300)).containsOnly(0x5A);
        assertThat(device.bytes(400, 1)).containsOnly(0);
    }

    @Test
    void shouldRaiseCapacityDataHasChangedOnEveryNexusWhenTheStoreIsResized() {
        device.resize(4096);
        for (ItNexus nexus : new ItNexus[] {Harness.NEXUS, Harness.OTHER}) {
            assertThat(Harness.sense(h.run(nexus, Cdbs.testUnitReady())))
                    .isEqualTo(new int[] {SenseKey.UNIT_ATTENTION, 0x2A, 0x09});
            byte[] capacity = Harness.data(h.run(nexus, Cdbs.readCapacity10()));
            assertThat(Bytes.u32(capacity, 0)).isEqualTo(4095);
        }
    }

    @Test
    void shouldKeepAptplStateInAnyReservationStore() throws Exception {
        InMemoryReservationStore store = new InMemoryReservationStore();
        h.lu.persistReservationsIn(store);
        byte[] register = PersistentReservationsTest.params(0, 0xAAAA, ReservationCommands.PROUT_APTPL);
        assertThat(h.run(Harness.NEXUS, 0, PersistentReservationsTest.proutCdb(
                ReservationCommands.PROUT_REGISTER, 0, register.length), register, register.length).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(store.saved).isNotNull();
        assertThat(new String(store.saved, java.nio.charset.StandardCharsets.UTF_8)).contains("aaaa");

        try (Harness restarted = new Harness()) {
            restarted.lu.persistReservationsIn(store);
            byte[] keys = Harness.data(restarted.run(Harness.NEXUS,
                    PersistentReservationsTest.prin(ReservationCommands.PRIN_READ_KEYS, 256)));
            assertThat(Bytes.u32(keys, 4)).isEqualTo(8);
            assertThat(Bytes.u64(keys, 8)).isEqualTo(0xAAAA);
        }
    }

    private static byte[] caw(byte compare, byte write) {
        byte[] data = new byte[2 * BS];
        Arrays.fill(data, 0, BS, compare);
        Arrays.fill(data, BS, 2 * BS, write);
        return data;
    }

    private static final class InMemoryReservationStore implements ReservationStore {
        byte[] saved;

        @Override
        public byte[] load() {
            return saved;
        }

        @Override
        public void save(byte[] state) {
            saved = state.clone();
        }

        @Override
        public void delete() {
            saved = null;
        }
    }
}
