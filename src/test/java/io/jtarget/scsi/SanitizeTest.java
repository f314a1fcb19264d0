package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.RamBlockDevice;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SANITIZE (SBC-4 §5.30) and the sanitize state of the logical unit (SBC-4 §4.11). */
class SanitizeTest {
    private static final int BS = 512;
    private static final byte[] PATTERN = {0x0F, 0x33, 0x5A};

    private final List<Harness> harnesses = new ArrayList<>();

    @AfterEach
    void release() {
        harnesses.forEach(Harness::close);
    }

    private Harness fake(long blocks) {
        Harness h = new Harness(new FakeBlockDevice(BS, blocks, true), false, false);
        harnesses.add(h);
        return h;
    }

    private Harness thinRam() {
        Harness h = Harness.thin(8192, BS, "sanitize-thin");
        harnesses.add(h);
        return h;
    }

    private static ScsiResponse overwrite(Harness h, boolean immed, byte[] list) {
        return h.runWithData(Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_OVERWRITE, immed, false, list.length), list);
    }

    /** One block as OVERWRITE fills it: the pattern repeated from the start of every block. */
    private static byte[] block(byte[] pattern, boolean inverted) {
        byte[] b = new byte[BS];
        for (int i = 0; i < BS; i++) {
            b[i] = (byte) (inverted ? ~pattern[i % pattern.length] : pattern[i % pattern.length]);
        }
        return b;
    }

    private static void assertEveryBlock(FakeBlockDevice device, long blocks, byte[] expected) {
        for (long lba = 0; lba < blocks; lba++) {
            assertThat(device.bytes(lba, 1)).as("LBA %d", lba).isEqualTo(expected);
        }
    }

    private static void completeAll(FakeBlockDevice device) {
        while (device.pendingCount() > 0) {
            device.completeNext();
        }
    }

    private static int[] requestSense(Harness h) {
        ScsiResponse r = h.run(Cdbs.requestSense(false, 18));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        return Harness.senseOf(Harness.data(r));
    }

    @Test
    void shouldWriteThePatternOverEveryBlockWhenOverwriteCompletes() {
        long blocks = 2 * 2048 + 3; // two 1 MiB pieces and a short last one
        Harness h = fake(blocks);
        h.device.fill(0, (int) blocks, (byte) 0xAA);
        // The 1 MiB piece is filled byte by byte; paranoid leak tracking would record every byte written.
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        ScsiResponse r;
        try {
            r = overwrite(h, false, Cdbs.overwriteParameters(false, 1, PATTERN));
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        // SBC-4 §5.30.2: a pattern shorter than a block is repeated to fill each block (3 does not divide 512,
        // so a pattern continued across block boundaries would differ from block 1 on).
        assertEveryBlock(h.device, blocks, block(PATTERN, false));
        assertThat(h.device.writes).isEqualTo(3);
        assertThat(h.device.lastWriteFua).isTrue();
        // SBC-4 §4.11.1: the sanitized data is on the medium when the command ends.
        assertThat(h.device.flushes).isEqualTo(1);
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldWriteAOneBlockPatternUnchangedWhenPatternLengthIsTheBlockLength() {
        Harness h = fake(16);
        byte[] pattern = new byte[BS];
        for (int i = 0; i < BS; i++) {
            pattern[i] = (byte) (i * 31 + 7);
        }
        assertThat(overwrite(h, false, Cdbs.overwriteParameters(false, 1, pattern)).status()).isEqualTo(ScsiStatus.GOOD);
        assertEveryBlock(h.device, 16, pattern);
    }

    @Test
    void shouldRunCountPassesInvertingThePatternOnAlternatePassesWhenInvertIsSet() {
        Harness h = fake(16); // one piece per pass
        h.device.manual = true;
        assertThat(overwrite(h, true, Cdbs.overwriteParameters(true, 3, PATTERN)).status()).isEqualTo(ScsiStatus.GOOD);
        // SBC-4 §5.30.2: INVERT=1 inverts the pattern between consecutive passes: normal, inverted, normal.
        h.device.completeNext();
        assertEveryBlock(h.device, 16, block(PATTERN, false));
        h.device.completeNext();
        assertEveryBlock(h.device, 16, block(PATTERN, true));
        h.device.completeNext();
        assertEveryBlock(h.device, 16, block(PATTERN, false));
        assertThat(h.device.writes).isEqualTo(3);
        assertThat(h.device.flushes).isZero();
        h.device.completeNext(); // the final flush
        assertThat(h.device.pendingCount()).isZero();
        assertThat(h.device.flushes).isEqualTo(1);
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldLeaveTheInvertedPatternAfterAnEvenNumberOfInvertedPasses() {
        Harness h = fake(16);
        assertThat(overwrite(h, false, Cdbs.overwriteParameters(true, 2, PATTERN)).status()).isEqualTo(ScsiStatus.GOOD);
        assertEveryBlock(h.device, 16, block(PATTERN, true));
        assertThat(h.device.writes).isEqualTo(2);
    }

    @Test
    void shouldRepeatThePatternWithoutInvertingWhenInvertIsClear() {
        Harness h = fake(16);
        h.device.manual = true;
        assertThat(overwrite(h, true, Cdbs.overwriteParameters(false, 2, PATTERN)).status()).isEqualTo(ScsiStatus.GOOD);
        h.device.completeNext();
        h.device.fill(0, 16, (byte) 0); // the second pass must write the pattern again
        h.device.completeNext();
        assertEveryBlock(h.device, 16, block(PATTERN, false));
        completeAll(h.device);
        assertThat(h.device.writes).isEqualTo(2);
    }

    @Test
    void shouldReturnGoodBeforeTheSanitizeFinishesWhenImmedIsSet() {
        Harness h = fake(16);
        h.device.manual = true;
        ScsiResponse r = overwrite(h, true, Cdbs.overwriteParameters(false, 1, PATTERN)); // completes inline
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.pendingCount()).isEqualTo(1);
        assertThat(h.device.bytes(0, 1)).containsOnly(0);
        assertThat(Harness.sense(h.run(Cdbs.testUnitReady()))).isEqualTo(Harness.expected(SenseReason.NOT_READY_SANITIZE_IN_PROGRESS));
        completeAll(h.device);
        assertEveryBlock(h.device, 16, block(PATTERN, false));
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldCompleteOnlyOnceTheDataIsFlushedWhenImmedIsClear() {
        Harness h = fake(16);
        h.device.manual = true;
        byte[] list = Cdbs.overwriteParameters(false, 2, PATTERN);
        List<ScsiResponse> got = new ArrayList<>();
        h.submit(Harness.NEXUS, 0, 900, Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_OVERWRITE, false, false, list.length), list,
                list.length, got::add);
        assertThat(got).isEmpty();
        h.device.completeNext();
        h.device.completeNext();
        assertThat(got).as("both passes written, flush outstanding").isEmpty();
        assertThat(h.device.pendingCount()).isEqualTo(1);
        h.device.completeNext();
        assertThat(got).hasSize(1);
        assertThat(got.get(0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.flushes).isEqualTo(1);
    }

    @Test
    void shouldServeOnlyInquiryReportLunsRequestSenseAndMaintenanceInWhileSanitizing() {
        Harness h = fake(16);
        h.device.manual = true;
        assertThat(overwrite(h, true, Cdbs.overwriteParameters(false, 1, PATTERN)).status()).isEqualTo(ScsiStatus.GOOD);
        int[] inProgress = Harness.expected(SenseReason.NOT_READY_SANITIZE_IN_PROGRESS);
        // SBC-4 §4.11.3: other commands end with NOT READY, LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS.
        assertThat(Harness.sense(h.run(Cdbs.testUnitReady()))).isEqualTo(inProgress);
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)))).isEqualTo(inProgress);
        assertThat(Harness.sense(h.runWithData(Cdbs.rw10(ScsiOpcode.WRITE_10, 0, 1, 0), new byte[BS]))).isEqualTo(inProgress);
        assertThat(Harness.sense(h.run(Cdbs.startStopUnit(false, 0, false, true)))).isEqualTo(inProgress);
        assertThat(Harness.sense(h.run(Cdbs.readCapacity16(32)))).isEqualTo(inProgress);
        assertThat(Harness.sense(h.run(Harness.OTHER, Cdbs.testUnitReady()))).isEqualTo(inProgress);
        byte[] again = Cdbs.overwriteParameters(false, 1, PATTERN);
        assertThat(Harness.sense(overwrite(h, true, again))).isEqualTo(inProgress);
        assertThat(Harness.sense(h.run(Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_EXIT_FAILURE_MODE, false, false, 0))))
                .isEqualTo(inProgress);

        assertThat(h.run(Cdbs.inquiry(false, 0, 96)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.inquiry(true, 0x83, 255)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.reportLuns(0, 64)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.reportTmfs(false, 4)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.reportOpcodes(false, 0, 0, 0, 64)).status()).isEqualTo(ScsiStatus.GOOD);
        // SBC-4 §4.11.3: REQUEST SENSE reports the sanitize in progress, in either format.
        assertThat(requestSense(h)).isEqualTo(inProgress);
        ScsiResponse descriptor = h.run(Cdbs.requestSense(true, 252));
        assertThat(Harness.data(descriptor)[0] & 0x7f).isEqualTo(0x72);
        assertThat(Harness.senseOf(Harness.data(descriptor))).isEqualTo(inProgress);
        assertThat(h.device.bytes(0, 1)).containsOnly(0);

        completeAll(h.device);
        h.device.manual = false;
        assertThat(requestSense(h)).isEqualTo(Harness.expected(SenseReason.NO_SENSE));
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.data(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)))).isEqualTo(block(PATTERN, false));
    }

    @Test
    void shouldWaitForCommandsInFlightBeforeOverwriting() {
        Harness h = fake(16);
        h.device.manual = true;
        List<ScsiResponse> read = new ArrayList<>();
        h.submit(Harness.NEXUS, 0, 901, Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0), null, BS, read::add);
        assertThat(h.device.pendingCount()).isEqualTo(1);
        assertThat(overwrite(h, true, Cdbs.overwriteParameters(false, 1, PATTERN)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.pendingCount()).as("the sanitize waits for the read's range").isEqualTo(1);
        h.device.completeNext();
        assertThat(read).hasSize(1);
        assertThat(Harness.data(read.get(0))).containsOnly(0);
        assertThat(h.device.pendingCount()).isEqualTo(1);
        completeAll(h.device);
        assertEveryBlock(h.device, 16, block(PATTERN, false));
    }

    @ParameterizedTest
    @ValueSource(ints = {ScsiOpcode.SA_SANITIZE_BLOCK_ERASE, ScsiOpcode.SA_SANITIZE_CRYPTO_ERASE})
    void shouldDeallocateEveryBlockOfAThinLuWithBlockOrCryptographicErase(int serviceAction) {
        Harness h = thinRam();
        RamBlockDevice ram = (RamBlockDevice) h.lu.device();
        byte[] data = new byte[8192 * BS];
        Arrays.fill(data, (byte) 'x');
        assertThat(h.runWithData(Cdbs.rw16(ScsiOpcode.WRITE_16, 0, 8192, 0), data).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(ram.allocatedBytes()).isEqualTo(4L << 20);

        assertThat(h.run(Cdbs.sanitize(serviceAction, false, false, 0)).status()).isEqualTo(ScsiStatus.GOOD);
        // B1h WABEREQ/WACEREQ=01b: reads after the erase succeed and return zeros (LBPRZ=1).
        assertThat(ram.allocatedBytes()).isZero();
        ScsiResponse r = h.run(Cdbs.rw16(ScsiOpcode.READ_16, 0, 8192, 0));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.data(r)).containsOnly(0);
        byte[] b1 = Harness.data(h.run(Cdbs.inquiry(true, 0xB1, 255)));
        assertThat(b1[7] & 0xF0).isEqualTo(InquiryData.WABEREQ_READS_SUCCEED | InquiryData.WACEREQ_READS_SUCCEED);
    }

    @ParameterizedTest
    @ValueSource(ints = {ScsiOpcode.SA_SANITIZE_BLOCK_ERASE, ScsiOpcode.SA_SANITIZE_CRYPTO_ERASE})
    void shouldReportEraseInProgressUntilTheDeallocationAndFlushFinish(int serviceAction) {
        Harness h = fake(256);
        h.device.thin = true;
        h.device.fill(0, 256, (byte) 9);
        h.device.manual = true;
        assertThat(h.run(Cdbs.sanitize(serviceAction, true, false, 0)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0))))
                .isEqualTo(Harness.expected(SenseReason.NOT_READY_SANITIZE_IN_PROGRESS));
        h.device.completeNext(); // the deallocation
        assertThat(h.device.deallocations).isEqualTo(1);
        assertThat(Harness.sense(h.run(Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.NOT_READY_SANITIZE_IN_PROGRESS));
        h.device.completeNext(); // the flush
        assertThat(h.device.pendingCount()).isZero();
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.bytes(0, 256)).containsOnly(0);
    }

    @ParameterizedTest
    @ValueSource(ints = {ScsiOpcode.SA_SANITIZE_BLOCK_ERASE, ScsiOpcode.SA_SANITIZE_CRYPTO_ERASE})
    void shouldNotOfferBlockOrCryptographicEraseOnAFullyProvisionedLu(int serviceAction) {
        Harness h = fake(16);
        h.device.fill(0, 16, (byte) 3);
        // A service action the LU does not offer, of an opcode it has: INVALID FIELD IN CDB (SPC-5 §4.2.5.1).
        assertThat(Harness.sense(h.run(Cdbs.sanitize(serviceAction, false, false, 0))))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(Harness.sense(h.run(Cdbs.sanitize(serviceAction, true, false, 0))))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(h.device.bytes(0, 16)).containsOnly(3);
        assertThat(h.device.deallocations + h.device.writes + h.device.flushes).isZero();
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        byte[] b1 = Harness.data(h.run(Cdbs.inquiry(true, 0xB1, 255)));
        assertThat(b1[7] & 0xF0).isZero(); // WABEREQ/WACEREQ 00b: not specified, as nothing is erased
    }

    @Test
    void shouldCompleteExitFailureModeAtOnceWithoutTouchingTheMediumWhenNoSanitizeFailed() {
        Harness h = fake(16);
        h.device.fill(0, 16, (byte) 4);
        h.device.manual = true;
        assertThat(h.run(Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_EXIT_FAILURE_MODE, false, false, 0)).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.pendingCount()).isZero();
        assertThat(h.device.bytes(0, 16)).containsOnly(4);
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRejectAParameterListForServiceActionsOtherThanOverwrite() {
        Harness h = thinRam();
        // SBC-4 §5.30.3-§5.30.5: PARAMETER LIST LENGTH shall be zero, else INVALID FIELD IN CDB.
        for (int sa : new int[] {ScsiOpcode.SA_SANITIZE_BLOCK_ERASE, ScsiOpcode.SA_SANITIZE_CRYPTO_ERASE,
            ScsiOpcode.SA_SANITIZE_EXIT_FAILURE_MODE}) {
            assertThat(Harness.sense(h.runWithData(Cdbs.sanitize(sa, false, false, 8), new byte[8]))).as("SA %02x", sa)
                    .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        }
        assertThat(h.lu.sanitizing()).isFalse();
    }

    @Test
    void shouldRejectOverwriteParameterListLengthsOutsideFiveToBlockLengthPlusFour() {
        Harness h = fake(16);
        h.device.fill(0, 16, (byte) 5);
        // SBC-4 §5.30.2: the list is the 4-byte header and a 1..block-length pattern; any other length is
        // an invalid field in the CDB.
        for (int length : new int[] {0, 1, 4, BS + 5, 0xFFFF}) {
            byte[] list = new byte[length];
            assertThat(Harness.sense(h.runWithData(Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_OVERWRITE, false, false, length), list)))
                    .as("parameter list length %d", length)
                    .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        }
        assertThat(h.device.bytes(0, 16)).containsOnly(5);
        assertThat(overwrite(h, false, Cdbs.overwriteParameters(false, 1, (byte) 0x77)).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.device.bytes(0, 16)).containsOnly(0x77);
    }

    @Test
    void shouldRejectInvalidOverwriteParameters() {
        Harness h = fake(16);
        h.device.fill(0, 16, (byte) 6);
        int[] invalid = Harness.expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        // OVERWRITE COUNT 0 is reserved.
        assertThat(Harness.sense(overwrite(h, false, Cdbs.overwriteParameters(false, 0, PATTERN)))).isEqualTo(invalid);
        // TEST field (byte 0 bits 6-5) other than 00b.
        byte[] test = Cdbs.overwriteParameters(false, 1, PATTERN);
        test[0] |= 0x20;
        assertThat(Harness.sense(overwrite(h, false, test))).isEqualTo(invalid);
        // INITIALIZATION PATTERN LENGTH 0, and one that disagrees with the parameter list length.
        byte[] zero = Cdbs.overwriteParameters(false, 1, PATTERN);
        Bytes.putU16(zero, 2, 0);
        assertThat(Harness.sense(overwrite(h, false, zero))).isEqualTo(invalid);
        byte[] longer = Cdbs.overwriteParameters(false, 1, PATTERN);
        Bytes.putU16(longer, 2, PATTERN.length + 1);
        assertThat(Harness.sense(overwrite(h, false, longer))).isEqualTo(invalid);
        assertThat(h.device.bytes(0, 16)).containsOnly(6);
        assertThat(h.device.writes).isZero();
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRejectSetReservedCdbBits() {
        Harness h = fake(16);
        byte[] list = Cdbs.overwriteParameters(false, 1, PATTERN);
        byte[] znr = Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_OVERWRITE, false, false, list.length);
        znr[1] |= MediumCommands.SANITIZE_RESERVED; // ZNR belongs to zoned block devices only
        assertThat(Harness.sense(h.runWithData(znr, list))).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        for (int i = 2; i <= 6; i++) {
            byte[] cdb = Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_OVERWRITE, false, false, list.length);
            cdb[i] = 1;
            assertThat(Harness.sense(h.runWithData(cdb, list))).as("reserved byte %d", i)
                    .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        }
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldRejectAnOverwriteWhoseDataOutIsShorterThanTheParameterList() {
        Harness h = fake(16);
        byte[] list = Cdbs.overwriteParameters(false, 1, PATTERN);
        byte[] cdb = Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_OVERWRITE, false, false, list.length);
        assertThat(Harness.sense(h.runWithData(cdb, Arrays.copyOf(list, list.length - 1))))
                .isEqualTo(Harness.expected(SenseReason.PARAMETER_LIST_LENGTH_ERROR));
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldRefuseToSanitizeAWriteProtectedLu() {
        Harness h = new Harness(new FakeBlockDevice(BS, 64, true), true, false);
        harnesses.add(h);
        byte[] list = Cdbs.overwriteParameters(false, 1, PATTERN);
        assertThat(Harness.sense(overwrite(h, false, list))).isEqualTo(Harness.expected(SenseReason.WRITE_PROTECTED));
        assertThat(h.device.writes).isZero();
    }

    @Test
    void shouldEndWithAMediumErrorAndLeaveTheSanitizeStateWhenAWriteFails() {
        Harness h = fake(16);
        h.device.failNext = true;
        ScsiResponse r = overwrite(h, false, Cdbs.overwriteParameters(false, 1, PATTERN));
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(SenseReason.SANITIZE_COMMAND_FAILED));
        // MEDIUM ERROR, SANITIZE COMMAND FAILED: ASC/ASCQ 31h/03h (SPC-5 Annex F).
        assertThat(Harness.expected(SenseReason.SANITIZE_COMMAND_FAILED)).containsExactly(SenseKey.MEDIUM_ERROR, 0x31, 0x03);
        assertThat(h.lu.sanitizing()).isFalse();
        // The LU range is free again: a later sanitize runs.
        assertThat(overwrite(h, false, Cdbs.overwriteParameters(false, 1, PATTERN)).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldFailMediumAccessUntilExitFailureModeAfterAFailedUnrestrictedSanitize() {
        Harness h = fake(16);
        h.device.failNext = true;
        byte[] list = Cdbs.overwriteParameters(false, 1, PATTERN);
        ScsiResponse failed = h.runWithData(Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_OVERWRITE, false, true, list.length), list);
        assertThat(Harness.sense(failed)).isEqualTo(Harness.expected(SenseReason.SANITIZE_COMMAND_FAILED));
        // SBC-4 §4.11: after a failed sanitize the medium is not accessible until the failure is exited: by a
        // sanitize that completes without error or, when AUSE was one, by EXIT FAILURE MODE.
        assertThat(Harness.sense(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)))).isEqualTo(Harness.expected(SenseReason.SANITIZE_COMMAND_FAILED));
        assertThat(h.run(Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_EXIT_FAILURE_MODE, false, false, 0)).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldRejectExitFailureModeAfterAFailedRestrictedSanitize() {
        Harness h = fake(16);
        h.device.failNext = true;
        byte[] list = Cdbs.overwriteParameters(false, 1, PATTERN);
        assertThat(overwrite(h, false, list).status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        // SBC-4 §5.30.1 (AUSE): a sanitize with AUSE=0 that completed with an error can only be left by a
        // sanitize that completes without error; EXIT FAILURE MODE is terminated with INVALID FIELD IN CDB.
        assertThat(Harness.sense(h.run(Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_EXIT_FAILURE_MODE, false, false, 0))))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        assertThat(overwrite(h, false, list).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(h.run(Cdbs.rw10(ScsiOpcode.READ_10, 0, 1, 0)).status()).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void shouldReportProgressInRequestSenseWhileSanitizing() {
        Harness h = fake(16);
        h.device.manual = true;
        assertThat(overwrite(h, true, Cdbs.overwriteParameters(false, 2, PATTERN)).status()).isEqualTo(ScsiStatus.GOOD);
        h.device.completeNext(); // half done
        byte[] sense = Harness.data(h.run(Cdbs.requestSense(false, 18)));
        assertThat(Harness.senseOf(sense)).isEqualTo(Harness.expected(SenseReason.NOT_READY_SANITIZE_IN_PROGRESS));
        // Fixed format bytes 15-17: SKSV=1 and a PROGRESS INDICATION (fraction of 65536) below 65536.
        assertThat(sense[15] & 0x80).isEqualTo(0x80);
        assertThat(Bytes.u16(sense, 16)).isGreaterThan(0);
        completeAll(h.device);
    }

    @Test
    void shouldAnswerAbortAtOnceAndKeepSanitizingWhenTheSanitizeCommandIsAborted() {
        Harness h = fake(16);
        h.device.manual = true;
        byte[] list = Cdbs.overwriteParameters(false, 1, PATTERN);
        java.util.List<ScsiResponse> sanitize = new java.util.ArrayList<>();
        long tag = 9_000;
        h.submit(Harness.NEXUS, 0, tag, Cdbs.sanitize(ScsiOpcode.SA_SANITIZE_OVERWRITE, false, false, list.length), list,
                list.length, sanitize::add);
        assertThat(sanitize).isEmpty();
        java.util.List<TaskManagementResponse> tmf = new java.util.ArrayList<>();
        h.core.taskManagement(new TaskManagementRequest(Harness.NEXUS, 0, TaskManagementFunction.ABORT_TASK, tag), tmf::add);
        // SBC-4 §4.11: the sanitize operation outlives its aborted command: the abort is answered now,
        // while the medium stays NOT READY / SANITIZE IN PROGRESS until the overwrite is done.
        assertThat(tmf).containsExactly(TaskManagementResponse.FUNCTION_COMPLETE);
        assertThat(sanitize).hasSize(1);
        assertThat(Harness.sense(h.run(Cdbs.testUnitReady())))
                .isEqualTo(Harness.expected(SenseReason.NOT_READY_SANITIZE_IN_PROGRESS));
        completeAll(h.device);
        assertThat(h.run(Cdbs.testUnitReady()).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(sanitize).hasSize(1);
    }
}
