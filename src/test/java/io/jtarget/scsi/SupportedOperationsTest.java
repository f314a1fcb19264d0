package io.jtarget.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * REPORT SUPPORTED OPERATION CODES (SPC-5 §6.35) and REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-5 §6.36),
 * and the sense-key specific field pointer of the CDB errors they and unknown service actions report.
 */
class SupportedOperationsTest {
    private static final int ALL = SupportedOperations.OPTIONS_ALL;
    private static final int OPCODE = SupportedOperations.OPTIONS_OPCODE;
    private static final int OPCODE_SA = SupportedOperations.OPTIONS_OPCODE_SERVICE_ACTION;
    private static final int OPCODE_MAYBE_SA = SupportedOperations.OPTIONS_OPCODE_MAYBE_SERVICE_ACTION;

    private final Harness fixed = new Harness();
    private final Harness thin = Harness.thin(8192, 512, "rsoc-thin");

    @AfterEach
    void release() {
        fixed.close();
        thin.close();
    }

    private Harness harness(boolean thinProvisioned) {
        return thinProvisioned ? thin : fixed;
    }

    private static byte[] good(Harness h, byte[] cdb) {
        ScsiResponse r = h.run(cdb);
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        return Harness.data(r);
    }

    /** "opcode" or "opcode/sa" of every command, in table order. */
    private static List<String> expectedCommands(LogicalUnit lu) {
        List<String> names = new ArrayList<>();
        for (CommandDescriptor d : new CommandTable(new SpcCommands(Harness.TARGET, nexus -> new int[] {0})).all()) {
            if (d.availableOn(lu)) {
                names.add(name(d.usage()[0] & 0xff, d.hasServiceAction() ? d.serviceAction() : -1));
            }
        }
        return names;
    }

    private static String name(int opcode, int serviceAction) {
        return serviceAction < 0 ? String.format("%02x", opcode) : String.format("%02x/%02x", opcode, serviceAction);
    }

    /** The commands of an all_commands parameter data list (SPC-5 Table 252/253). */
    private static List<String> listed(byte[] all, int descriptorLength) {
        assertThat(Bytes.u32(all, 0)).isEqualTo(all.length - 4);
        List<String> names = new ArrayList<>();
        for (int off = 4; off < all.length; off += descriptorLength) {
            boolean servactv = (all[off + 5] & SupportedOperations.SERVACTV) != 0;
            names.add(name(Bytes.u8(all, off), servactv ? Bytes.u16(all, off + 2) : -1));
            assertThat(Bytes.u16(all, off + 6)).as("CDB LENGTH of %02x", all[off]).isEqualTo(Cdb.length(Bytes.u8(all, off)));
            assertThat(all[off + 1]).isZero();
            assertThat(all[off + 4]).isZero();
        }
        return names;
    }

    /** Fixed format sense bytes 15-17: SKSV=1, C/D=1 (in the CDB), BPV, BIT POINTER, FIELD POINTER. */
    private static void assertCdbFieldPointer(ScsiResponse r, int byteOffset, int bit) {
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        byte[] s = r.sense();
        assertThat(s).hasSize(18);
        assertThat(s[15] & 0xff).isEqualTo(0x80 | 0x40 | 0x08 | bit);
        assertThat(Bytes.u16(s, 16)).isEqualTo(byteOffset);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldListExactlyTheTableCommandsTheLuOffers(boolean thinProvisioned) {
        Harness h = harness(thinProvisioned);
        List<String> listed = listed(good(h, Cdbs.reportOpcodes(false, ALL, 0, 0, 65535)), 8);
        assertThat(listed).containsExactlyElementsOf(expectedCommands(h.lu));
        // Thin provisioning commands and the erasing sanitize service actions exist on a thin LU only.
        List<String> thinOnly = List.of("42", "9e/12", "48/02", "48/03");
        if (thinProvisioned) {
            assertThat(listed).containsAll(thinOnly);
        } else {
            assertThat(listed).doesNotContainAnyElementsOf(thinOnly);
        }
        assertThat(listed).contains("12", "a0", "28", "2a", "9e/10", "48/01", "48/1f", "83/00", "84/00", "84/03", "84/04",
                "a3/0c", "a3/0d", "8b", "9c", "37", "b7").doesNotHaveDuplicates();
    }

    @Test
    void shouldAppendATimeoutsDescriptorToEveryCommandWhenRctdIsSet() {
        byte[] all = good(fixed, Cdbs.reportOpcodes(true, ALL, 0, 0, 65535));
        int stride = 8 + SupportedOperations.TIMEOUTS_DESCRIPTOR_LENGTH;
        assertThat(listed(all, stride)).containsExactlyElementsOf(expectedCommands(fixed.lu));
        for (int off = 4; off < all.length; off += stride) {
            int opcode = Bytes.u8(all, off);
            assertThat(all[off + 5] & SupportedOperations.CTDP).isEqualTo(SupportedOperations.CTDP);
            // SPC-5 §6.35.4: DESCRIPTOR LENGTH 000Ah, NOMINAL 0 (not specified), RECOMMENDED in seconds.
            assertThat(Bytes.u16(all, off + 8)).isEqualTo(0x0A);
            assertThat(Bytes.u32(all, off + 12)).isZero();
            boolean wholeMedium = opcode == ScsiOpcode.SANITIZE || opcode == ScsiOpcode.EXTENDED_COPY
                    || opcode == ScsiOpcode.WRITE_SAME_10 || opcode == ScsiOpcode.WRITE_SAME_16;
            assertThat(Bytes.u32(all, off + 16)).as("timeout of %02x", opcode).isEqualTo(wholeMedium ? 3600 : 60);
        }
    }

    @Test
    void shouldTruncateTheListToTheAllocationLengthButReportItsFullLength() {
        int full = good(fixed, Cdbs.reportOpcodes(false, ALL, 0, 0, 65535)).length;
        byte[] four = good(fixed, Cdbs.reportOpcodes(false, ALL, 0, 0, 4));
        assertThat(four).hasSize(4);
        assertThat(Bytes.u32(four, 0)).isEqualTo(full - 4);
    }

    @Test
    void shouldReturnOneCommandWithoutServiceActionsForReportingOptions001() {
        byte[] d = good(fixed, Cdbs.reportOpcodes(false, OPCODE, ScsiOpcode.INQUIRY, 0x1234, 64));
        // SPC-5 Table 255: CTDP=0, SUPPORT 011b, CDB SIZE, then the CDB USAGE DATA (REQUESTED SERVICE ACTION ignored).
        assertThat(d).containsExactly(0x00, 0x03, 0x00, 0x06, 0x12, 0x03, 0xFF, 0xFF, 0xFF, Cdb.CONTROL_NACA);
        byte[] read16 = good(fixed, Cdbs.reportOpcodes(false, OPCODE, ScsiOpcode.READ_16, 0, 64));
        assertThat(Bytes.u16(read16, 2)).isEqualTo(16);
        assertThat(Arrays.copyOfRange(read16, 4, 6)).containsExactly(0x88, 0xF8);
    }

    @Test
    void shouldReportAnUnsupportedOpcodeAsNotSupported() {
        // FORMAT UNIT (04h) has no table entry: SUPPORT 001b, no CDB usage data.
        assertThat(good(fixed, Cdbs.reportOpcodes(false, OPCODE, 0x04, 0, 64))).containsExactly(0, 1, 0, 0);
        // UNMAP exists on a thin LU only.
        assertThat(good(fixed, Cdbs.reportOpcodes(false, OPCODE, ScsiOpcode.UNMAP, 0, 64))).containsExactly(0, 1, 0, 0);
        byte[] unmap = good(thin, Cdbs.reportOpcodes(false, OPCODE, ScsiOpcode.UNMAP, 0, 64));
        assertThat(unmap[1]).isEqualTo((byte) SupportedOperations.SUPPORT_STANDARD);
        assertThat(Bytes.u16(unmap, 2)).isEqualTo(10);
    }

    @Test
    void shouldRejectReportingOptions001ForAnOpcodeWithServiceActions() {
        // SPC-5 §6.35.1: 001b names an opcode without service actions; otherwise INVALID FIELD IN CDB.
        assertCdbFieldPointer(fixed.run(Cdbs.reportOpcodes(false, OPCODE, ScsiOpcode.SERVICE_ACTION_IN_16, 0x10, 64)), 2, 2);
        assertCdbFieldPointer(fixed.run(Cdbs.reportOpcodes(false, OPCODE, ScsiOpcode.SANITIZE, 1, 64)), 2, 2);
    }

    @Test
    void shouldReturnOneServiceActionForReportingOptions010() {
        byte[] d = good(fixed, Cdbs.reportOpcodes(false, OPCODE_SA, ScsiOpcode.SERVICE_ACTION_IN_16, ScsiOpcode.SA_READ_CAPACITY_16, 64));
        assertThat(d[1]).isEqualTo((byte) SupportedOperations.SUPPORT_STANDARD);
        assertThat(Bytes.u16(d, 2)).isEqualTo(16);
        assertThat(d).hasSize(20);
        assertThat(Arrays.copyOfRange(d, 4, 6)).containsExactly(0x9E, 0x10);
        // A service action the opcode does not have: not supported.
        assertThat(good(fixed, Cdbs.reportOpcodes(false, OPCODE_SA, ScsiOpcode.SERVICE_ACTION_IN_16, 0x1F, 64)))
                .containsExactly(0, 1, 0, 0);
        // SPC-5 §6.35.1: 010b names an opcode with service actions; otherwise INVALID FIELD IN CDB.
        assertCdbFieldPointer(fixed.run(Cdbs.reportOpcodes(false, OPCODE_SA, ScsiOpcode.INQUIRY, 0, 64)), 2, 2);
    }

    @Test
    void shouldReportTheErasingSanitizeServiceActionsOnAThinLuOnly() {
        for (int sa : new int[] {ScsiOpcode.SA_SANITIZE_BLOCK_ERASE, ScsiOpcode.SA_SANITIZE_CRYPTO_ERASE}) {
            assertThat(good(fixed, Cdbs.reportOpcodes(false, OPCODE_SA, ScsiOpcode.SANITIZE, sa, 64))).containsExactly(0, 1, 0, 0);
            byte[] d = good(thin, Cdbs.reportOpcodes(false, OPCODE_SA, ScsiOpcode.SANITIZE, sa, 64));
            // CDB USAGE DATA byte 1: IMMED, AUSE and the service action.
            assertThat(d).containsExactly(0, 3, 0, 10, 0x48, 0xA0 | sa, 0, 0, 0, 0, 0, 0xFF, 0xFF, Cdb.CONTROL_NACA);
        }
        for (Harness h : List.of(fixed, thin)) {
            assertThat(good(h, Cdbs.reportOpcodes(false, OPCODE_SA, ScsiOpcode.SANITIZE, ScsiOpcode.SA_SANITIZE_OVERWRITE, 64))[1])
                    .isEqualTo((byte) SupportedOperations.SUPPORT_STANDARD);
        }
    }

    @Test
    void shouldAnswerReportingOptions011ForOpcodesWithAndWithoutServiceActions() {
        // SPC-5 §6.35.1 (011b): an opcode without service actions is reported for service action 0 only.
        assertThat(good(fixed, Cdbs.reportOpcodes(false, OPCODE_MAYBE_SA, ScsiOpcode.INQUIRY, 0, 64))[1])
                .isEqualTo((byte) SupportedOperations.SUPPORT_STANDARD);
        assertThat(good(fixed, Cdbs.reportOpcodes(false, OPCODE_MAYBE_SA, ScsiOpcode.INQUIRY, 1, 64)))
                .containsExactly(0, 1, 0, 0);
        byte[] rc16 = good(fixed, Cdbs.reportOpcodes(false, OPCODE_MAYBE_SA, ScsiOpcode.SERVICE_ACTION_IN_16, 0x10, 64));
        assertThat(rc16[1]).isEqualTo((byte) SupportedOperations.SUPPORT_STANDARD);
        assertThat(rc16[5]).isEqualTo((byte) 0x10);
        assertThat(good(fixed, Cdbs.reportOpcodes(false, OPCODE_MAYBE_SA, ScsiOpcode.SERVICE_ACTION_IN_16, 0x1F, 64)))
                .containsExactly(0, 1, 0, 0);
        assertThat(good(fixed, Cdbs.reportOpcodes(false, OPCODE_MAYBE_SA, 0x04, 0, 64))).containsExactly(0, 1, 0, 0);
    }

    @Test
    void shouldAppendTheTimeoutsDescriptorToOneCommandWhenRctdIsSet() {
        byte[] d = good(fixed, Cdbs.reportOpcodes(true, OPCODE, ScsiOpcode.TEST_UNIT_READY, 0, 64));
        assertThat(d).hasSize(4 + 6 + 12);
        assertThat(d[1] & 0xff).isEqualTo(SupportedOperations.ONE_COMMAND_CTDP | SupportedOperations.SUPPORT_STANDARD);
        assertThat(Bytes.u16(d, 10)).isEqualTo(0x0A);
        assertThat(Bytes.u32(d, 14)).isZero();
        assertThat(Bytes.u32(d, 18)).isEqualTo(60);
        byte[] sanitize = good(fixed, Cdbs.reportOpcodes(true, OPCODE_SA, ScsiOpcode.SANITIZE, 1, 64));
        assertThat(sanitize).hasSize(4 + 10 + 12);
        assertThat(Bytes.u32(sanitize, 22)).isEqualTo(3600);
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5, 6, 7})
    void shouldRejectReservedReportingOptionsWithAFieldPointerToByte2(int options) {
        assertCdbFieldPointer(fixed.run(Cdbs.reportOpcodes(false, options, 0, 0, 64)), SupportedOperations.REPORTING_OPTIONS_BYTE,
                SupportedOperations.REPORTING_OPTIONS_BIT);
    }

    @Test
    void shouldPointAtTheServiceActionFieldForAnUnknownServiceAction() {
        // SPC-5 §4.2.5.1: an unsupported service action of a supported opcode is an invalid field in the CDB
        // (byte 1, the SERVICE ACTION field's most significant bit is bit 4).
        byte[] maintenanceIn = Cdbs.reportTmfs(false, 64);
        maintenanceIn[1] = 0x1F;
        assertCdbFieldPointer(fixed.run(maintenanceIn), 1, 4);
        byte[] serviceActionIn = Cdbs.readCapacity16(32);
        serviceActionIn[1] = 0x1F;
        assertCdbFieldPointer(fixed.run(serviceActionIn), 1, 4);
    }

    @Test
    void shouldPutTheFieldPointerInADescriptorWhenDescriptorSenseIsEnabled() {
        byte[] control = Harness.data(fixed.run(Cdbs.modeSense6(ModePages.PC_CURRENT, ModePages.PAGE_CONTROL, 0, true, 255)));
        byte[] list = control.clone();
        Arrays.fill(list, 0, 4, (byte) 0); // mode parameter header, no block descriptor (DBD=1)
        list[4] &= 0x3F;
        list[6] |= ModePages.CONTROL_D_SENSE;
        assertThat(fixed.runWithData(Cdbs.modeSelect6(list.length), list).status()).isEqualTo(ScsiStatus.GOOD);

        ScsiResponse r = fixed.run(Cdbs.reportOpcodes(false, 7, 0, 0, 64));
        assertThat(Harness.sense(r)).isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        // SPC-5 §4.4.2.2: the sense key specific sense data descriptor (02h, ADDITIONAL LENGTH 06h) after the header.
        assertThat(r.sense()).containsExactly(0x72, 0x05, 0x24, 0x00, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0xCA, 0x00, 0x02, 0x00);
    }

    @Test
    void shouldReportTheTaskManagementFunctionsInTheBasicFormat() {
        byte[] d = good(fixed, Cdbs.reportTmfs(false, 64));
        // SPC-5 Table 260: ATS ATSS CACAS CTSS LURS QTS TRS WAKES | QAES QTSS ITNRS.
        assertThat(d).containsExactly(0xDE, 0x06, 0x00, 0x00);
    }

    @Test
    void shouldReportTheTaskManagementFunctionsInTheExtendedFormatWhenRepdIsSet() {
        byte[] d = good(fixed, Cdbs.reportTmfs(true, 64));
        // REPD=1: ADDITIONAL DATA LENGTH 0Ch; TMFTMOV=0, so no timeouts are reported.
        assertThat(d).containsExactly(0xDE, 0x06, 0x00, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(good(fixed, Cdbs.reportTmfs(true, 4))).containsExactly(0xDE, 0x06, 0x00, 0x0C);
    }

    @Test
    void shouldRejectAnAllocationLengthBelowFourForTaskManagementFunctions() {
        // SPC-5 §6.36.1: an ALLOCATION LENGTH below 4 is an invalid field in the CDB.
        for (int allocation : new int[] {0, 3}) {
            assertThat(Harness.sense(fixed.run(Cdbs.reportTmfs(false, allocation))))
                    .isEqualTo(Harness.expected(SenseReason.INVALID_FIELD_IN_CDB));
        }
    }

    @Test
    void shouldReportExactlyTheFunctionsTheTaskManagerPerforms() {
        byte[] d = good(fixed, Cdbs.reportTmfs(false, 4));
        Map<TaskManagementFunction, Boolean> reported = new EnumMap<>(TaskManagementFunction.class);
        reported.put(TaskManagementFunction.ABORT_TASK, (d[0] & SupportedOperations.ATS) != 0);
        reported.put(TaskManagementFunction.ABORT_TASK_SET, (d[0] & SupportedOperations.ATSS) != 0);
        reported.put(TaskManagementFunction.CLEAR_ACA, (d[0] & 0x20) != 0);
        reported.put(TaskManagementFunction.CLEAR_TASK_SET, (d[0] & SupportedOperations.CTSS) != 0);
        reported.put(TaskManagementFunction.LOGICAL_UNIT_RESET, (d[0] & SupportedOperations.LURS) != 0);
        reported.put(TaskManagementFunction.QUERY_TASK, (d[0] & SupportedOperations.QTS) != 0);
        reported.put(TaskManagementFunction.TARGET_WARM_RESET, (d[0] & SupportedOperations.TRS) != 0);
        reported.put(TaskManagementFunction.QUERY_ASYNCHRONOUS_EVENT, (d[1] & SupportedOperations.QAES) != 0);
        reported.put(TaskManagementFunction.QUERY_TASK_SET, (d[1] & SupportedOperations.QTSS) != 0);
        assertThat(d[1] & 0x01).as("ITNRS: there is no I_T NEXUS RESET").isZero();
        for (Map.Entry<TaskManagementFunction, Boolean> e : reported.entrySet()) {
            List<TaskManagementResponse> answer = new ArrayList<>();
            fixed.core.taskManagement(new TaskManagementRequest(Harness.NEXUS, 0, e.getKey(), 77), answer::add);
            assertThat(answer).hasSize(1);
            assertThat(answer.get(0) != TaskManagementResponse.FUNCTION_REJECTED).as("%s performed", e.getKey())
                    .isEqualTo(e.getValue());
        }
    }
}
