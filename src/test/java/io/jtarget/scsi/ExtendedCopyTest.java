package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * EXTENDED COPY(LID1) (SPC-4 §6.4) between logical units named by their NAA designators, and RECEIVE COPY
 * RESULTS (SPC-4 §6.18). The copy manager keeps results per I_T nexus, LUN and list identifier for the
 * whole JVM, so every test uses list identifiers of its own.
 */
class ExtendedCopyTest {
    private static final int BS = 512;
    private static final long BLOCKS = 4096;
    private static final AtomicInteger SERIALS = new AtomicInteger();
    /** LIST ID USAGE (parameter list header byte 1 bits 4-3). */
    private static final int HOLD = 0b00;
    private static final int NO_LIST_ID = 0b11;

    private final String serial = "xcopy-" + SERIALS.incrementAndGet() + "-" + System.nanoTime();
    private final FakeBlockDevice source = new FakeBlockDevice(BS, BLOCKS, true);
    private final FakeBlockDevice destination = new FakeBlockDevice(BS, BLOCKS, true);
    /** One server's copy manager: every harness of a test shares it, as every target of a server does. */
    private final CopyTargets copyTargets = new CopyTargets();
    private final Harness h = new Harness(List.of(
            new LogicalUnit(0, source, false, serial + "-src"),
            new LogicalUnit(1, destination, false, serial + "-dst")), copyTargets);
    private final List<Harness> others = new ArrayList<>();

    @AfterEach
    void release() {
        others.forEach(Harness::close);
        h.close();
    }

    /** The NAA designator with logical unit association from the Device Identification VPD page. */
    private static byte[] naa(Harness target, int lun) {
        ScsiResponse r = target.run(Harness.NEXUS, lun, Cdbs.inquiry(true, InquiryData.PAGE_DEVICE_IDENTIFICATION, 255), null, 0);
        byte[] page = Harness.data(r);
        for (int off = 4; off < 4 + Bytes.u16(page, 2); off += 4 + Bytes.u8(page, off + 3)) {
            if ((page[off + 1] & 0x3F) == (InquiryData.ASSOCIATION_LOGICAL_UNIT | InquiryData.DESIGNATOR_NAA)) {
                return Arrays.copyOfRange(page, off + 4, off + 4 + Bytes.u8(page, off + 3));
            }
        }
        throw new AssertionError("no NAA designator on LUN " + lun);
    }

    /** Identification descriptor CSCD descriptor (SPC-4 §6.4.5.6): E4h, LU ID TYPE 00b, direct access. */
    private static byte[] cscd(byte[] naa, int diskBlockLength) {
        byte[] d = new byte[CopyCommands.CSCD_DESCRIPTOR_LENGTH];
        d[0] = (byte) CopyCommands.CSCD_IDENTIFICATION;
        d[4] = (byte) InquiryData.CODE_SET_BINARY;
        d[5] = (byte) (InquiryData.ASSOCIATION_LOGICAL_UNIT | InquiryData.DESIGNATOR_NAA);
        d[7] = (byte) naa.length;
        System.arraycopy(naa, 0, d, 8, naa.length);
        Bytes.putU24(d, CopyCommands.DISK_BLOCK_LENGTH_OFFSET, diskBlockLength); // block device parameters
        return d;
    }

    /** Block device to block device segment descriptor (SPC-4 §6.4.6.5): 02h, DESCRIPTOR LENGTH 0018h. */
    private static byte[] segment(int sourceIndex, int destinationIndex, int blocks, long sourceLba, long destinationLba) {
        byte[] d = new byte[CopyCommands.SEGMENT_HEADER_LENGTH + CopyCommands.SEGMENT_BLOCK_TO_BLOCK_LENGTH];
        d[0] = (byte) CopyCommands.SEGMENT_BLOCK_TO_BLOCK;
        Bytes.putU16(d, 2, CopyCommands.SEGMENT_BLOCK_TO_BLOCK_LENGTH);
        Bytes.putU16(d, 4, sourceIndex);
        Bytes.putU16(d, 6, destinationIndex);
        Bytes.putU16(d, 10, blocks);
        Bytes.putU64(d, 12, sourceLba);
        Bytes.putU64(d, 20, destinationLba);
        return d;
    }

    /** Parameter list: the 16-byte header (SPC-4 Table 105), the CSCD descriptors, the segment descriptors. */
    private static byte[] list(int listId, int listIdUsage, List<byte[]> cscds, List<byte[]> segments) {
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        cscds.forEach(c::writeBytes);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        segments.forEach(s::writeBytes);
        byte[] header = new byte[CopyCommands.HEADER_LENGTH];
        header[0] = (byte) listId;
        header[1] = (byte) (listIdUsage << 3);
        Bytes.putU16(header, 2, c.size());
        Bytes.putU32(header, 8, s.size());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(header);
        all.writeBytes(c.toByteArray());
        all.writeBytes(s.toByteArray());
        return all.toByteArray();
    }

    private List<byte[]> bothLus() {
        return List.of(cscd(naa(h, 0), BS), cscd(naa(h, 1), BS));
    }

    private ScsiResponse xcopy(byte[] list) {
        return h.runWithData(Cdbs.extendedCopy(list.length), list);
    }

    private byte[] copyResults(int serviceAction, int listId) {
        ScsiResponse r = h.run(Cdbs.receiveCopyResults(serviceAction, listId, 1024));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        return Harness.data(r);
    }

    private void assertCopyStatus(int listId, int status, int segments, long bytes) {
        byte[] d = copyResults(ScsiOpcode.SA_COPY_STATUS, listId);
        // SPC-4 §6.18.2 Table 242: AVAILABLE DATA 8, COPY MANAGER STATUS, SEGMENTS PROCESSED, TRANSFER COUNT
        // UNITS 00h (bytes), TRANSFER COUNT.
        assertThat(d).hasSize(12);
        assertThat(Bytes.u32(d, 0)).isEqualTo(8);
        assertThat(d[4] & 0x7F).isEqualTo(status);
        assertThat(Bytes.u16(d, 5)).isEqualTo(segments);
        assertThat(d[7]).isZero();
        assertThat(Bytes.u32(d, 8)).isEqualTo(bytes);
    }

    private static void fillPattern(FakeBlockDevice device, long lba, int blocks, int seed) {
        for (int b = 0; b < blocks; b++) {
            device.fill(lba + b, 1, (byte) (b * 7 + seed));
        }
    }

    private static int[] copyAborted(int asc, int ascq) {
        return new int[] {SenseKey.COPY_ABORTED, asc, ascq};
    }

    @Test
    void shouldCopyBlocksBetweenTwoLogicalUnitsNamedByTheirNaaDesignators() {
        fillPattern(source, 1000, 2100, 1); // more than one 1 MiB piece
        fillPattern(destination, 0, 4, 50);
        destination.fill(1499, 1, (byte) 'L');
        destination.fill(3600, 1, (byte) 'R');
        byte[] list = list(0x11, HOLD, bothLus(), List.of(
                segment(0, 1, 2100, 1000, 1500),
                segment(1, 1, 4, 0, 4000))); // within one LU
        assertThat(xcopy(list).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(destination.bytes(1500, 2100)).isEqualTo(source.bytes(1000, 2100));
        assertThat(destination.bytes(4000, 4)).isEqualTo(destination.bytes(0, 4));
        assertThat(destination.bytes(1499, 1)).containsOnly('L');
        assertThat(destination.bytes(3600, 1)).containsOnly('R');
        assertThat(source.writes).isZero();
        assertCopyStatus(0x11, CopyCommands.STATUS_GOOD, 2, 2104L * BS);
    }

    @Test
    void shouldAcceptAnyPriority() {
        fillPattern(source, 0, 8, 9);
        byte[] list = list(0x12, HOLD, bothLus(), List.of(segment(0, 1, 8, 0, 100)));
        list[1] |= 0x07; // PRIORITY 7h, the lowest: valid (SPC-4 §6.4.3), not a reason to refuse the copy
        assertThat(xcopy(list).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(destination.bytes(100, 8)).isEqualTo(source.bytes(0, 8));
    }

    @Test
    void shouldCopyToALogicalUnitOfAnotherTarget() {
        FakeBlockDevice remote = new FakeBlockDevice(BS, 64, true);
        Harness other = new Harness(List.of(new LogicalUnit(0, remote, false, serial + "-remote")), copyTargets);
        others.add(other);
        fillPattern(source, 0, 8, 3);
        byte[] list = list(0x12, HOLD, List.of(cscd(naa(h, 0), BS), cscd(naa(other, 0), BS)),
                List.of(segment(0, 1, 8, 0, 56)));
        assertThat(xcopy(list).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(remote.bytes(56, 8)).isEqualTo(source.bytes(0, 8));
    }

    @Test
    void shouldReportGoodStatusAndNoSenseDataInFailedSegmentDetailsAfterASuccessfulCopy() {
        byte[] list = list(0x13, HOLD, bothLus(), List.of(segment(0, 1, 1, 0, 0)));
        assertThat(xcopy(list).status()).isEqualTo(ScsiStatus.GOOD);
        byte[] d = copyResults(ScsiOpcode.SA_FAILED_SEGMENT_DETAILS, 0x13);
        // SPC-4 §6.18.5 Table 247: AVAILABLE DATA, COPY COMMAND STATUS (byte 56), SENSE DATA LENGTH (58-59).
        assertThat(d).hasSize(60);
        assertThat(Bytes.u32(d, 0)).isEqualTo(56);
        assertThat(d[56]).isEqualTo((byte) ScsiStatus.GOOD);
        assertThat(Bytes.u16(d, 58)).isZero();
    }

    @Test
    void shouldReportTheOperatingParametersTheCopyManagerEnforces() {
        byte[] d = copyResults(ScsiOpcode.SA_OPERATING_PARAMETERS, 0);
        // SPC-4 §6.18.4 Table 244.
        assertThat(d).hasSize(46);
        assertThat(Bytes.u32(d, 0)).isEqualTo(42);
        assertThat(d[4] & 0x01).as("SNLID").isEqualTo(1);
        assertThat(Bytes.u16(d, 8)).as("MAXIMUM CSCD DESCRIPTOR COUNT").isEqualTo(16);
        assertThat(Bytes.u16(d, 10)).as("MAXIMUM SEGMENT DESCRIPTOR COUNT").isEqualTo(64);
        assertThat(Bytes.u32(d, 12)).as("MAXIMUM DESCRIPTOR LIST LENGTH").isEqualTo(16384);
        assertThat(Bytes.u32(d, 16)).as("MAXIMUM SEGMENT LENGTH").isEqualTo(64L << 20);
        assertThat(Bytes.u32(d, 20)).as("MAXIMUM INLINE DATA LENGTH").isZero();
        assertThat(Bytes.u32(d, 24)).as("HELD DATA LIMIT").isZero();
        assertThat(Bytes.u32(d, 28)).as("MAXIMUM STREAM DEVICE TRANSFER SIZE").isZero();
        assertThat(Bytes.u16(d, 34)).as("TOTAL CONCURRENT COPIES").isEqualTo(16);
        assertThat(d[36]).as("MAXIMUM CONCURRENT COPIES").isEqualTo((byte) 16);
        assertThat(d[37]).as("DATA SEGMENT GRANULARITY (log2)").isEqualTo((byte) 9);
        assertThat(d[43]).as("IMPLEMENTED DESCRIPTOR LIST LENGTH").isEqualTo((byte) 2);
        assertThat(Arrays.copyOfRange(d, 44, 46)).containsExactly(0x02, 0xE4);
        // The Third-party Copy VPD page's parameter data descriptor (0004h) reports the same limits.
        byte[] tpc = Harness.data(h.run(Cdbs.inquiry(true, InquiryData.PAGE_THIRD_PARTY_COPY, 1024)));
        int off = 4;
        while (Bytes.u16(tpc, off) != InquiryData.TPC_PARAMETER_DATA) {
            off += 4 + Bytes.u16(tpc, off + 2);
        }
        assertThat(Bytes.u16(tpc, off + 8)).isEqualTo(Bytes.u16(d, 8));
        assertThat(Bytes.u16(tpc, off + 10)).isEqualTo(Bytes.u16(d, 10));
        assertThat(Bytes.u32(tpc, off + 12)).isEqualTo(Bytes.u32(d, 12));
        assertThat(Bytes.u32(tpc, off + 16)).isEqualTo(Bytes.u32(d, 20));
    }

    @Test
    void shouldRecordTheFailedSegmentWhenASegmentOverrunsTheDestination() {
        fillPattern(source, 0, 4, 9);
        byte[] list = list(0x14, HOLD, bothLus(), List.of(
                segment(0, 1, 4, 0, 0),
                segment(0, 1, 2, 0, BLOCKS - 1)));
        // SPC-4 Annex D: writing past the end of the destination is COPY TARGET DEVICE DATA OVERRUN.
        assertThat(Harness.sense(xcopy(list))).isEqualTo(copyAborted(0x0D, 0x02));
        assertThat(destination.bytes(0, 4)).isEqualTo(source.bytes(0, 4));
        assertThat(destination.bytes(BLOCKS - 1, 1)).containsOnly(0);
        assertCopyStatus(0x14, CopyCommands.STATUS_ERROR, 1, 4L * BS);

        byte[] d = copyResults(ScsiOpcode.SA_FAILED_SEGMENT_DETAILS, 0x14);
        assertThat(d).hasSize(60 + 18);
        assertThat(Bytes.u32(d, 0)).isEqualTo(74);
        assertThat(d[56]).isEqualTo((byte) ScsiStatus.CHECK_CONDITION);
        assertThat(Bytes.u16(d, 58)).isEqualTo(18);
        assertThat(Harness.senseOf(Arrays.copyOfRange(d, 60, 78))).isEqualTo(copyAborted(0x0D, 0x02));
    }

    @Test
    void shouldAbortWithDataUnderrunWhenASegmentReadsPastTheEndOfTheSource() {
        byte[] list = list(0x15, HOLD, bothLus(), List.of(segment(0, 1, 3, BLOCKS - 2, 0)));
        assertThat(Harness.sense(xcopy(list))).isEqualTo(copyAborted(0x0D, 0x03));
        assertThat(destination.writes).isZero();
        assertCopyStatus(0x15, CopyCommands.STATUS_ERROR, 0, 0);
    }

    @Test
    void shouldAbortWhenACopyTargetCannotBeReached() {
        byte[] unknown = naa(h, 1).clone();
        unknown[15] ^= 0x5A;
        byte[] list = list(0x16, HOLD, List.of(cscd(naa(h, 0), BS), cscd(unknown, BS)),
                List.of(segment(0, 1, 1, 0, 0)));
        // SPC-4 §6.4.5: a CSCD naming a logical unit the copy manager cannot reach: UNREACHABLE COPY TARGET.
        assertThat(Harness.sense(xcopy(list))).isEqualTo(copyAborted(0x08, 0x04));
        // A segment naming a CSCD descriptor the list does not have (libiscsi ExtendedCopy.ValidSegDescr).
        byte[] noSuchIndex = list(0x16, HOLD, bothLus(), List.of(segment(0, 2, 1, 0, 0)));
        assertThat(Harness.sense(xcopy(noSuchIndex))).isEqualTo(copyAborted(0x08, 0x04));
        assertThat(destination.writes).isZero();
    }

    @Test
    void shouldAbortWithCopyAbortedReadOrWriteErrorsWhenACopyTargetFails() {
        byte[] list = list(0x17, HOLD, bothLus(), List.of(segment(0, 1, 1, 0, 0)));
        source.failNext = true;
        assertThat(Harness.sense(xcopy(list))).isEqualTo(copyAborted(0x11, 0x00));
        destination.failNext = true;
        assertThat(Harness.sense(xcopy(list))).isEqualTo(copyAborted(0x0C, 0x00));
        assertCopyStatus(0x17, CopyCommands.STATUS_ERROR, 0, 0);
    }

    @Test
    void shouldRejectUnsupportedDescriptorTypeCodes() {
        byte[] fibreChannel = cscd(naa(h, 1), BS);
        fibreChannel[0] = (byte) 0xE0; // Fibre Channel N_Port_Name CSCD
        assertThat(Harness.sense(xcopy(list(0x18, HOLD, List.of(cscd(naa(h, 0), BS), fibreChannel),
                List.of(segment(0, 1, 1, 0, 0)))))).isEqualTo(Harness.expected(SenseReason.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE));
        byte[] blockToStream = segment(0, 1, 1, 0, 0);
        blockToStream[0] = 0x00;
        assertThat(Harness.sense(xcopy(list(0x18, HOLD, bothLus(), List.of(blockToStream)))))
                .isEqualTo(Harness.expected(SenseReason.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE));
        assertThat(destination.writes).isZero();
    }

    @Test
    void shouldRejectMoreDescriptorsThanTheOperatingParametersAllow() {
        byte[] parameters = copyResults(ScsiOpcode.SA_OPERATING_PARAMETERS, 0);
        int maxCscds = Bytes.u16(parameters, 8);
        int maxSegments = Bytes.u16(parameters, 10);
        byte[] one = cscd(naa(h, 0), BS);
        List<byte[]> tooManyCscds = new ArrayList<>();
        for (int i = 0; i <= maxCscds; i++) {
            tooManyCscds.add(one);
        }
        assertThat(Harness.sense(xcopy(list(0x19, HOLD, tooManyCscds, List.of(segment(0, 0, 1, 0, 1))))))
                .isEqualTo(Harness.expected(SenseReason.TOO_MANY_TARGET_DESCRIPTORS));
        List<byte[]> tooManySegments = new ArrayList<>();
        for (int i = 0; i <= maxSegments; i++) {
            tooManySegments.add(segment(0, 1, 1, i, i));
        }
        assertThat(Harness.sense(xcopy(list(0x19, HOLD, bothLus(), tooManySegments))))
                .isEqualTo(Harness.expected(SenseReason.TOO_MANY_SEGMENT_DESCRIPTORS));
        assertThat(destination.writes).isZero();
        // Exactly the maximum is fine.
        assertThat(xcopy(list(0x19, HOLD, bothLus(), tooManySegments.subList(0, maxSegments))).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(destination.writes).isEqualTo(maxSegments);
    }

    @Test
    void shouldRejectParameterListsShorterThanTheirContents() {
        int[] lengthError = Harness.expected(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        byte[] list = list(0x1A, HOLD, bothLus(), List.of(segment(0, 1, 1, 0, 0)));
        // Shorter than the header; truncating a CSCD descriptor; truncating the segment descriptor
        // (libiscsi ExtendedCopy.Param).
        for (int length : new int[] {15, 16 + 32 + 31, list.length - 1}) {
            byte[] cut = Arrays.copyOf(list, length);
            assertThat(Harness.sense(h.runWithData(Cdbs.extendedCopy(length), cut))).as("length %d", length)
                    .isEqualTo(lengthError);
        }
        // Less Data-Out than the PARAMETER LIST LENGTH says.
        assertThat(Harness.sense(h.runWithData(Cdbs.extendedCopy(list.length), Arrays.copyOf(list, list.length - 4))))
                .isEqualTo(lengthError);
        assertThat(destination.writes).isZero();
    }

    @Test
    void shouldRejectInvalidFieldsInTheParameterList() {
        int[] invalid = Harness.expected(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
        List<byte[]> segments = List.of(segment(0, 1, 1, 0, 0));
        // LIST ID USAGE 11b needs LIST IDENTIFIER 0.
        assertThat(Harness.sense(xcopy(list(0x1B, NO_LIST_ID, bothLus(), segments)))).isEqualTo(invalid);
        // DISK BLOCK LENGTH other than the logical unit's.
        assertThat(Harness.sense(xcopy(list(0x1B, HOLD, List.of(cscd(naa(h, 0), BS), cscd(naa(h, 1), 4096)), segments))))
                .isEqualTo(invalid);
        // A designator that is not an NAA designator of a logical unit (EUI-64; target port association).
        byte[] eui = cscd(naa(h, 1), BS);
        eui[5] = (byte) (InquiryData.ASSOCIATION_LOGICAL_UNIT | 0x2);
        assertThat(Harness.sense(xcopy(list(0x1B, HOLD, List.of(cscd(naa(h, 0), BS), eui), segments)))).isEqualTo(invalid);
        byte[] port = cscd(naa(h, 1), BS);
        port[5] = (byte) (InquiryData.ASSOCIATION_TARGET_PORT | InquiryData.DESIGNATOR_NAA);
        assertThat(Harness.sense(xcopy(list(0x1B, HOLD, List.of(cscd(naa(h, 0), BS), port), segments)))).isEqualTo(invalid);
        // A peripheral device type other than direct access.
        byte[] tape = cscd(naa(h, 1), BS);
        tape[1] = 0x01;
        assertThat(Harness.sense(xcopy(list(0x1B, HOLD, List.of(cscd(naa(h, 0), BS), tape), segments)))).isEqualTo(invalid);
        // A segment DESCRIPTOR LENGTH other than 0018h.
        byte[] longSegment = Arrays.copyOf(segment(0, 1, 1, 0, 0), 32);
        Bytes.putU16(longSegment, 2, 0x1C);
        assertThat(Harness.sense(xcopy(list(0x1B, HOLD, bothLus(), List.of(longSegment))))).isEqualTo(invalid);
        // INLINE DATA LENGTH beyond MAXIMUM INLINE DATA LENGTH (0).
        byte[] withInline = Arrays.copyOf(list(0x1B, HOLD, bothLus(), segments), 16 + 64 + 28 + 4);
        Bytes.putU32(withInline, 12, 4);
        assertThat(Harness.sense(xcopy(withInline))).isEqualTo(invalid);
        assertThat(destination.writes).isZero();
    }

    @Test
    void shouldTreatAZeroParameterListLengthAsNoCopy() {
        ScsiResponse r = h.run(Cdbs.extendedCopy(0));
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(source.writes + destination.writes).isZero();
    }

    @Test
    void shouldRejectReceiveCopyResultsForAListIdentifierNoCopyUsed() {
        for (int sa : new int[] {ScsiOpcode.SA_COPY_STATUS, ScsiOpcode.SA_FAILED_SEGMENT_DETAILS}) {
            assertThat(Harness.sense(h.run(Cdbs.receiveCopyResults(sa, 0xEE, 1024))))
                    .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        }
    }

    @Test
    void shouldKeepNoResultsWhenTheListHasNoListIdentifier() {
        fillPattern(source, 0, 2, 4);
        assertThat(xcopy(list(0, NO_LIST_ID, bothLus(), List.of(segment(0, 1, 2, 0, 10)))).status())
                .isEqualTo(ScsiStatus.GOOD);
        assertThat(destination.bytes(10, 2)).isEqualTo(source.bytes(0, 2));
        assertThat(Harness.sense(h.run(Cdbs.receiveCopyResults(ScsiOpcode.SA_COPY_STATUS, 0, 1024))))
                .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
    }

    @Test
    void shouldReportTheCopyInProgressWhileItRuns() {
        fillPattern(source, 0, 4, 6);
        source.manual = true;
        byte[] list = list(0x1C, HOLD, bothLus(), List.of(segment(0, 1, 4, 0, 0)));
        List<ScsiResponse> done = new ArrayList<>();
        h.submit(Harness.NEXUS, 0, 500, Cdbs.extendedCopy(list.length), list, list.length, done::add);
        assertThat(done).isEmpty();
        assertCopyStatus(0x1C, CopyCommands.STATUS_IN_PROGRESS, 0, 0);
        // FAILED SEGMENT DETAILS of a copy still running: no details yet.
        assertThat(copyResults(ScsiOpcode.SA_FAILED_SEGMENT_DETAILS, 0x1C)).containsExactly(0, 0, 0, 0);
        source.completeNext();
        assertThat(done).hasSize(1);
        assertThat(done.get(0).status()).isEqualTo(ScsiStatus.GOOD);
        assertThat(destination.bytes(0, 4)).isEqualTo(source.bytes(0, 4));
        assertCopyStatus(0x1C, CopyCommands.STATUS_GOOD, 1, 4L * BS);
    }
}
