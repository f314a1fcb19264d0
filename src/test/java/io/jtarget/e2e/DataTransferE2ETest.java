package io.jtarget.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.Capacity;
import io.jtarget.testinit.Cdbs;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.ScsiRequest;
import io.jtarget.testinit.ScsiResult;
import io.jtarget.testinit.ScsiTask;
import io.jtarget.testinit.SessionParameters;
import io.jtarget.testinit.TestInitiator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Data-In splitting, the three ways write data travels (immediate, unsolicited, R2T-solicited),
 * residuals, and random write/read-back on a RAM and a file LUN (RFC 7143 §11.3–§11.8, §13).
 * Each test works in its own LBA range so tests do not see each other's data.
 */
class DataTransferE2ETest {
    @RegisterExtension
    static final E2eTarget target = E2eTarget.withDefaults();

    @ParameterizedTest(name = "MaxRecvDataSegmentLength={0}")
    @ValueSource(ints = {512, 4096, 8192, 65536, 262144, 1048576})
    void shouldSplitDataInWithinInitiatorsLimitWhenReading(int maxRecv) throws Exception {
        try (TestInitiator initiator = target.loginReady(E2eTarget.options().maxRecvDataSegmentLength(maxRecv))) {
            int bs = initiator.blockSize(E2eTarget.RAM_LUN);
            byte[] data = Bytes.random(1 << 20, maxRecv);
            long lba = 0;
            initiator.write16(E2eTarget.RAM_LUN, lba, data, false).requireGood();
            ScsiResult read = initiator.read16(E2eTarget.RAM_LUN, lba, data.length / bs).requireGood();
            assertThat(read.data()).isEqualTo(data);
            assertThat(read.largestDataIn()).isLessThanOrEqualTo(maxRecv);
            int maxBurst = initiator.negotiated().maxBurstLength();
            int perPdu = Math.min(maxRecv, maxBurst);
            assertThat(read.dataInPdus()).as("Data-In PDUs for 1 MiB").isGreaterThanOrEqualTo(data.length / perPdu);
        }
    }

    @ParameterizedTest(name = "ImmediateData={0} InitialR2T={1} FirstBurstLength={2} MaxBurstLength={3}")
    @CsvSource({
        "true,  true,  65536, 262144",
        "false, true,  65536, 262144",
        "true,  false, 65536, 262144",
        "false, false, 65536, 262144",
        "true,  false, 4096,  8192",
        "false, true,  512,   4096",
    })
    void shouldWriteThroughEveryDataOutPathWhenNegotiated(boolean immediate, boolean initialR2T, int firstBurst,
            int maxBurst) throws Exception {
        LoginOptions options = E2eTarget.options().immediateData(immediate).initialR2T(initialR2T)
                .firstBurstLength(firstBurst).maxBurstLength(maxBurst);
        try (TestInitiator initiator = target.loginReady(options)) {
            SessionParameters p = initiator.negotiated();
            // The path this row means to take: the target must accept the offered ImmediateData/InitialR2T.
            assertThat(p.immediateData()).as("negotiated ImmediateData").isEqualTo(immediate);
            assertThat(p.initialR2T()).as("negotiated InitialR2T").isEqualTo(initialR2T);
            int bs = initiator.blockSize(E2eTarget.FILE_LUN);
            long lba = 4096 + (long) (immediate ? 1 : 0) * 2048 + (initialR2T ? 1 : 0) * 1024;
            for (int length : new int[] {bs, 3 * bs, 64 * 1024, 300 * 1024 + bs}) {
                byte[] data = Bytes.random(length, length + firstBurst);
                ScsiResult w = initiator.write10(E2eTarget.FILE_LUN, lba, data, false).requireGood();
                assertThat(w.solicitedBytes()).as("R2T-solicited Data-Out: everything not sent unsolicited")
                        .isEqualTo(length - w.immediateBytes() - w.unsolicitedBytes());
                if (w.solicitedBytes() > 0) {
                    assertThat(w.largestR2t()).isLessThanOrEqualTo(p.maxBurstLength());
                    assertThat(w.r2ts()).isGreaterThanOrEqualTo(ceilDiv(w.solicitedBytes(), p.maxBurstLength()));
                }
                ScsiResult r = initiator.read10(E2eTarget.FILE_LUN, lba, length / bs).requireGood();
                assertThat(r.data()).isEqualTo(data);
            }
        }
    }

    @Test
    void shouldAskForDataInSeveralR2TsWhenWriteExceedsMaxBurstLength() throws Exception {
        LoginOptions options = E2eTarget.options().immediateData(false).initialR2T(true)
                .firstBurstLength(4096).maxBurstLength(4096);
        try (TestInitiator initiator = target.loginReady(options)) {
            assertThat(initiator.negotiated().maxBurstLength()).isLessThanOrEqualTo(4096);
            byte[] data = Bytes.random(256 * 1024, 7);
            int bs = initiator.blockSize(E2eTarget.RAM_LUN);
            ScsiResult w = initiator.write10(E2eTarget.RAM_LUN, 8192, data, true).requireGood();
            assertThat(w.r2ts()).isGreaterThanOrEqualTo(data.length / 4096);
            assertThat(w.largestR2t()).isLessThanOrEqualTo(4096);
            assertThat(w.solicitedBytes()).isEqualTo(data.length);
            assertThat(initiator.read10(E2eTarget.RAM_LUN, 8192, data.length / bs).requireGood().data()).isEqualTo(data);
        }
    }

    @ParameterizedTest(name = "LUN {0}")
    @ValueSource(ints = {E2eTarget.RAM_LUN, E2eTarget.FILE_LUN})
    void shouldReadBackWhatWasWrittenWhenWritingRandomExtents(int lun) throws Exception {
        Random random = new Random(20261101L + lun);
        try (TestInitiator initiator = target.loginReady(E2eTarget.options().maxRecvDataSegmentLength(16384)
                .immediateData(true).initialR2T(false))) {
            Capacity capacity = initiator.capacity(lun);
            int bs = capacity.blockSize();
            // This test owns LBAs [regionStart, regionStart + regionBlocks).
            long regionStart = capacity.blockCount() / 2;
            int regionBlocks = (int) Math.min(8192, capacity.blockCount() - regionStart);
            byte[] shadow = readRange(initiator, lun, regionStart, regionBlocks, bs);
            for (int i = 0; i < 60; i++) {
                int blocks = 1 + random.nextInt(Math.min(256, regionBlocks));
                long offset = random.nextInt(regionBlocks - blocks + 1);
                byte[] data = new byte[blocks * bs];
                random.nextBytes(data);
                boolean fua = random.nextBoolean();
                ScsiResult w = random.nextBoolean()
                        ? initiator.write10(lun, regionStart + offset, data, fua)
                        : initiator.write16(lun, regionStart + offset, data, fua);
                w.requireGood();
                System.arraycopy(data, 0, shadow, (int) offset * bs, data.length);
                ScsiResult r = random.nextBoolean()
                        ? initiator.read10(lun, regionStart + offset, blocks)
                        : initiator.read16(lun, regionStart + offset, blocks);
                assertThat(r.requireGood().data()).as("read back LBA %d +%d", regionStart + offset, blocks).isEqualTo(data);
            }
            initiator.synchronizeCache(lun).requireGood();
            assertThat(readRange(initiator, lun, regionStart, regionBlocks, bs))
                    .as("whole region after all writes (catches misplaced writes)").isEqualTo(shadow);
        }
    }

    @Test
    void shouldKeepDataApartWhenManyCommandsAreOutstanding() throws Exception {
        try (TestInitiator initiator = target.loginReady(E2eTarget.options().immediateData(true).initialR2T(false))) {
            int bs = initiator.blockSize(E2eTarget.RAM_LUN);
            long base = 20000;
            int commands = 32;
            List<byte[]> payloads = new ArrayList<>();
            List<ScsiTask> writes = new ArrayList<>();
            for (int i = 0; i < commands; i++) {
                byte[] data = Bytes.random(8 * bs, 100 + i);
                payloads.add(data);
                writes.add(initiator.submit(ScsiRequest.write(E2eTarget.RAM_LUN, Cdbs.write10(base + 8L * i, 8, false), data)));
            }
            for (ScsiTask t : writes) {
                initiator.await(t).requireGood();
            }
            List<ScsiTask> reads = new ArrayList<>();
            for (int i = 0; i < commands; i++) {
                reads.add(initiator.submit(ScsiRequest.read(E2eTarget.RAM_LUN, Cdbs.read10(base + 8L * i, 8), 8 * bs)));
            }
            for (int i = 0; i < commands; i++) {
                assertThat(initiator.await(reads.get(i)).requireGood().data()).isEqualTo(payloads.get(i));
            }
        }
    }

    @Test
    void shouldReportUnderflowWhenReadTransfersLessThanExpected() throws Exception {
        try (TestInitiator initiator = target.loginReady()) {
            int bs = initiator.blockSize(E2eTarget.RAM_LUN);
            ScsiResult r = initiator.execute(ScsiRequest.read(E2eTarget.RAM_LUN, Cdbs.read10(0, 1), 4 * bs)).requireGood();
            assertThat(r.residualUnderflow()).isTrue();
            assertThat(r.residualOverflow()).isFalse();
            assertThat(r.residualCount()).isEqualTo(3 * bs);
            assertThat(r.data()).hasSize(bs);
        }
    }

    @Test
    void shouldReportOverflowWhenReadWantsMoreThanExpected() throws Exception {
        try (TestInitiator initiator = target.loginReady()) {
            int bs = initiator.blockSize(E2eTarget.RAM_LUN);
            byte[] data = Bytes.random(4 * bs, 11);
            initiator.write10(E2eTarget.RAM_LUN, 30000, data, false).requireGood();
            ScsiResult r = initiator.execute(ScsiRequest.read(E2eTarget.RAM_LUN, Cdbs.read10(30000, 4), bs)).requireGood();
            assertThat(r.residualOverflow()).isTrue();
            assertThat(r.residualCount()).isEqualTo(3 * bs);
            assertThat(r.data()).isEqualTo(Arrays.copyOf(data, bs));
        }
    }

    @Test
    void shouldWriteOnlyWhatTheCdbAsksWhenExpectedLengthIsLarger() throws Exception {
        try (TestInitiator initiator = target.loginReady(E2eTarget.options().immediateData(false).initialR2T(true))) {
            int bs = initiator.blockSize(E2eTarget.RAM_LUN);
            byte[] before = Bytes.random(2 * bs, 12);
            initiator.write10(E2eTarget.RAM_LUN, 31000, before, false).requireGood();
            byte[] data = Bytes.random(2 * bs, 13);
            ScsiResult w = initiator.execute(ScsiRequest.write(E2eTarget.RAM_LUN, Cdbs.write10(31000, 1, false), data))
                    .requireGood();
            assertThat(w.residualUnderflow()).isTrue();
            assertThat(w.residualCount()).isEqualTo(bs);
            byte[] after = initiator.read10(E2eTarget.RAM_LUN, 31000, 2).requireGood().data();
            assertThat(Arrays.copyOf(after, bs)).isEqualTo(Arrays.copyOf(data, bs));
            assertThat(Arrays.copyOfRange(after, bs, 2 * bs)).as("block beyond the CDB's length untouched")
                    .isEqualTo(Arrays.copyOfRange(before, bs, 2 * bs));
        }
    }

    @Test
    void shouldWriteOnlyExpectedLengthWhenCdbAsksForMore() throws Exception {
        try (TestInitiator initiator = target.loginReady(E2eTarget.options().immediateData(false).initialR2T(true))) {
            int bs = initiator.blockSize(E2eTarget.RAM_LUN);
            byte[] before = Bytes.random(2 * bs, 14);
            initiator.write10(E2eTarget.RAM_LUN, 32000, before, false).requireGood();
            byte[] data = Bytes.random(bs, 15);
            ScsiResult w = initiator.execute(ScsiRequest.write(E2eTarget.RAM_LUN, Cdbs.write10(32000, 2, false), data));
            // libiscsi's iSCSIResiduals expects GOOD with overflow and only EDTL bytes written.
            assertThat(w.isGood()).as("status %s", w).isTrue();
            assertThat(w.residualOverflow()).isTrue();
            assertThat(w.residualCount()).isEqualTo(bs);
            byte[] after = initiator.read10(E2eTarget.RAM_LUN, 32000, 2).requireGood().data();
            assertThat(Arrays.copyOf(after, bs)).isEqualTo(data);
            assertThat(Arrays.copyOfRange(after, bs, 2 * bs)).as("block beyond the expected length untouched")
                    .isEqualTo(Arrays.copyOfRange(before, bs, 2 * bs));
        }
    }

    @Test
    void shouldReportCapacityAndLunsWhenAsked() throws Exception {
        try (TestInitiator initiator = target.loginReady()) {
            assertThat(initiator.reportLuns()).containsExactlyInAnyOrder(E2eTarget.RAM_LUN, E2eTarget.FILE_LUN);
            assertThat(initiator.capacity(E2eTarget.RAM_LUN).bytes()).isEqualTo(E2eTarget.RAM_BYTES);
            assertThat(initiator.capacity(E2eTarget.FILE_LUN).bytes()).isEqualTo(E2eTarget.FILE_BYTES);
        }
    }

    @Test
    void shouldRefuseReadWhenLbaIsBeyondTheEnd() throws Exception {
        try (TestInitiator initiator = target.loginReady()) {
            Capacity c = initiator.capacity(E2eTarget.RAM_LUN);
            ScsiResult r = initiator.read16(E2eTarget.RAM_LUN, c.lastLba(), 2);
            assertThat(r.isCheckCondition()).as("%s", r).isTrue();
            // SBC-4 §4.5: LOGICAL BLOCK ADDRESS OUT OF RANGE, ILLEGAL REQUEST 21h/00h
            assertThat(r.sense().is(0x5, 0x21, 0x00)).as("%s", r.sense()).isTrue();
        }
    }

    private static byte[] readRange(TestInitiator initiator, int lun, long lba, int blocks, int bs) throws Exception {
        byte[] out = new byte[blocks * bs];
        for (int done = 0; done < blocks; done += 1024) {
            int n = Math.min(1024, blocks - done);
            byte[] chunk = initiator.read16(lun, lba + done, n).requireGood().data();
            System.arraycopy(chunk, 0, out, done * bs, chunk.length);
        }
        return out;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
