package io.jtarget.scsi;

import static io.jtarget.scsi.CommandDescriptor.MediumAccess.NONE;
import static io.jtarget.scsi.CommandDescriptor.MediumAccess.READ;
import static io.jtarget.scsi.CommandDescriptor.MediumAccess.WRITE;

import io.jtarget.scsi.CommandDescriptor.MediumAccess;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * Operation code (and service action) → command descriptor: the one place that decides which commands
 * exist, what CDB bits each evaluates (reported by REPORT SUPPORTED OPERATION CODES, SPC-5 §6.35) and
 * on which logical units. An opcode with no entry is INVALID COMMAND OPERATION CODE; an unknown service
 * action of a known opcode is INVALID FIELD IN CDB (SPC-5 §4.2.5.1).
 */
final class CommandTable {
    /** CONTROL byte bits we evaluate: NACA (SAM-5 §5.2). */
    private static final int CTRL = Cdb.CONTROL_NACA;
    private static final int FF = 0xFF;
    /** RDPROTECT/WRPROTECT + DPO + FUA (SBC-4 Table 59). */
    private static final int RW = 0xF8;
    /** VRPROTECT + DPO + BYTCHK. */
    private static final int VERIFY = 0xE0 | BlockCdbLayout.DPO | BlockCdbLayout.BYTCHK_MASK;
    /** SA field mask in byte 1 of service action commands (SPC-5 §4.2.5.2). */
    static final int SERVICE_ACTION_MASK = 0x1F;
    /** The SERVICE ACTION field: byte 1, bits 4-0. */
    static final int SERVICE_ACTION_BYTE = 1;
    static final int SERVICE_ACTION_BIT = 4;

    private final CommandDescriptor[] byOpcode = new CommandDescriptor[256];
    /** Service action tables of opcodes that have service actions, indexed by service action. */
    private final CommandDescriptor[][] byServiceAction = new CommandDescriptor[256][];
    private final List<CommandDescriptor> all = new ArrayList<>();

    CommandTable(SpcCommands spc) {
        add(ScsiOpcode.TEST_UNIT_READY, "TEST UNIT READY", READ, spc::testUnitReady, 0, 0, 0, 0, CTRL);
        add(ScsiOpcode.REQUEST_SENSE, "REQUEST SENSE", NONE, spc::requestSense, 0x01, 0, 0, FF, CTRL);
        add(ScsiOpcode.INQUIRY, "INQUIRY", NONE, spc::inquiry, 0x03, FF, FF, FF, CTRL);
        add(ScsiOpcode.REPORT_LUNS, "REPORT LUNS", NONE, spc::reportLuns, 0, FF, 0, 0, 0, FF, FF, FF, FF, 0, CTRL);
        add(ScsiOpcode.MODE_SENSE_6, "MODE SENSE(6)", NONE, t -> spc.modeSense(t, false), 0x08, FF, FF, FF, CTRL);
        add(ScsiOpcode.MODE_SENSE_10, "MODE SENSE(10)", NONE, t -> spc.modeSense(t, true), 0x18, FF, FF, 0, 0, 0, FF, FF, CTRL);
        add(ScsiOpcode.MODE_SELECT_6, "MODE SELECT(6)", NONE, t -> spc.modeSelect(t, false), 0x11, 0, 0, FF, CTRL);
        add(ScsiOpcode.MODE_SELECT_10, "MODE SELECT(10)", NONE, t -> spc.modeSelect(t, true), 0x11, 0, 0, 0, 0, 0, FF, FF, CTRL);

        // Reservations (SPC-5 §6.16, §6.17; RESERVE/RELEASE from SPC-2 §7.21-§7.24).
        String[] prIn = {"READ KEYS", "READ RESERVATION", "REPORT CAPABILITIES", "READ FULL STATUS"};
        for (int sa = 0; sa < prIn.length; sa++) {
            addServiceAction(ScsiOpcode.PERSISTENT_RESERVE_IN, sa, "PERSISTENT RESERVE IN (" + prIn[sa] + ")", NONE,
                    ReservationCommands::persistentReserveIn, lu -> true, 0, 0, 0, 0, 0, FF, FF, CTRL);
        }
        String[] prOut = {"REGISTER", "RESERVE", "RELEASE", "CLEAR", "PREEMPT", "PREEMPT AND ABORT",
            "REGISTER AND IGNORE EXISTING KEY", "REGISTER AND MOVE"};
        for (int sa = 0; sa < prOut.length; sa++) {
            addServiceAction(ScsiOpcode.PERSISTENT_RESERVE_OUT, sa, "PERSISTENT RESERVE OUT (" + prOut[sa] + ")", NONE,
                    ReservationCommands::persistentReserveOut, lu -> true, FF, 0, 0, FF, FF, FF, FF, CTRL);
        }
        add(ScsiOpcode.RESERVE_6, "RESERVE(6)", NONE, t -> ReservationCommands.reserve(t, false), 0, 0, 0, 0, CTRL);
        add(ScsiOpcode.RELEASE_6, "RELEASE(6)", NONE, t -> ReservationCommands.release(t, false), 0, 0, 0, 0, CTRL);
        add(ScsiOpcode.RESERVE_10, "RESERVE(10)", NONE, t -> ReservationCommands.reserve(t, true), 0, 0, 0, 0, 0, 0, FF, FF, CTRL);
        add(ScsiOpcode.RELEASE_10, "RELEASE(10)", NONE, t -> ReservationCommands.release(t, true), 0, 0, 0, 0, 0, 0, FF, FF, CTRL);
        // ALUA (SPC-5 §5.16, §6.36): implicit only, so MAINTENANCE OUT (SET TARGET PORT GROUPS) stays unsupported.
        addServiceAction(ScsiOpcode.MAINTENANCE_IN, AluaCommands.RTPG_FORMAT_MASK | ScsiOpcode.SA_REPORT_TARGET_PORT_GROUPS,
                ScsiOpcode.SA_REPORT_TARGET_PORT_GROUPS, "REPORT TARGET PORT GROUPS", NONE,
                t -> AluaCommands.reportTargetPortGroups(t, t.lu().targetPorts()), lu -> true,
                0, 0, 0, 0, FF, FF, FF, FF, 0, CTRL);

        add(ScsiOpcode.READ_CAPACITY_10, "READ CAPACITY(10)", READ, SbcCommands::readCapacity10, 0, FF, FF, FF, FF, 0, 0, 0x01, CTRL);
        addServiceAction(ScsiOpcode.SERVICE_ACTION_IN_16, ScsiOpcode.SA_READ_CAPACITY_16, "READ CAPACITY(16)", READ,
                SbcCommands::readCapacity16, lu -> true, 0, 0, 0, 0, 0, 0, 0, 0, FF, FF, FF, FF, 0, CTRL);
        addServiceAction(ScsiOpcode.SERVICE_ACTION_IN_16, ScsiOpcode.SA_GET_LBA_STATUS, "GET LBA STATUS", READ,
                ProvisioningCommands::getLbaStatus, LogicalUnit::thinProvisioned,
                FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, CTRL);
        add(ScsiOpcode.START_STOP_UNIT, "START STOP UNIT", NONE, SbcCommands::startStopUnit, 0x01, 0, 0, 0xF7, CTRL);
        add(ScsiOpcode.PREVENT_ALLOW_MEDIUM_REMOVAL, "PREVENT ALLOW MEDIUM REMOVAL", NONE, SbcCommands::preventAllowMediumRemoval, 0, 0, 0, 0x03, CTRL);

        add(ScsiOpcode.READ_6, "READ(6)", READ, t -> BlockCommands.read(t, BlockCdbLayout.SIX), 0x1F, FF, FF, FF, CTRL);
        add(ScsiOpcode.READ_10, "READ(10)", READ, t -> BlockCommands.read(t, BlockCdbLayout.TEN), rw10(RW));
        add(ScsiOpcode.READ_12, "READ(12)", READ, t -> BlockCommands.read(t, BlockCdbLayout.TWELVE), rw12(RW));
        add(ScsiOpcode.READ_16, "READ(16)", READ, t -> BlockCommands.read(t, BlockCdbLayout.SIXTEEN), rw16(RW));
        add(ScsiOpcode.WRITE_6, "WRITE(6)", WRITE, t -> BlockCommands.write(t, BlockCdbLayout.SIX), 0x1F, FF, FF, FF, CTRL);
        add(ScsiOpcode.WRITE_10, "WRITE(10)", WRITE, t -> BlockCommands.write(t, BlockCdbLayout.TEN), rw10(RW));
        add(ScsiOpcode.WRITE_12, "WRITE(12)", WRITE, t -> BlockCommands.write(t, BlockCdbLayout.TWELVE), rw12(RW));
        add(ScsiOpcode.WRITE_16, "WRITE(16)", WRITE, t -> BlockCommands.write(t, BlockCdbLayout.SIXTEEN), rw16(RW));
        add(ScsiOpcode.VERIFY_10, "VERIFY(10)", READ, t -> BlockCommands.verify(t, BlockCdbLayout.TEN), rw10(VERIFY));
        add(ScsiOpcode.VERIFY_12, "VERIFY(12)", READ, t -> BlockCommands.verify(t, BlockCdbLayout.TWELVE), rw12(VERIFY));
        add(ScsiOpcode.VERIFY_16, "VERIFY(16)", READ, t -> BlockCommands.verify(t, BlockCdbLayout.SIXTEEN), rw16(VERIFY));
        // WRITE AND VERIFY evaluates BYTCHK's low bit only (00b/01b; 1xb is rejected, SBC-4 §5.44).
        add(ScsiOpcode.WRITE_AND_VERIFY_10, "WRITE AND VERIFY(10)", WRITE, t -> BlockCommands.writeAndVerify(t, BlockCdbLayout.TEN), rw10(VERIFY));
        add(ScsiOpcode.WRITE_AND_VERIFY_12, "WRITE AND VERIFY(12)", WRITE, t -> BlockCommands.writeAndVerify(t, BlockCdbLayout.TWELVE), rw12(VERIFY));
        add(ScsiOpcode.WRITE_AND_VERIFY_16, "WRITE AND VERIFY(16)", WRITE, t -> BlockCommands.writeAndVerify(t, BlockCdbLayout.SIXTEEN), rw16(VERIFY));
        add(ScsiOpcode.PRE_FETCH_10, "PRE-FETCH(10)", READ, t -> BlockCommands.preFetch(t, BlockCdbLayout.TEN), rw10(0));
        add(ScsiOpcode.PRE_FETCH_16, "PRE-FETCH(16)", READ, t -> BlockCommands.preFetch(t, BlockCdbLayout.SIXTEEN), rw16(0));
        add(ScsiOpcode.SYNCHRONIZE_CACHE_10, "SYNCHRONIZE CACHE(10)", READ, t -> BlockCommands.synchronizeCache(t, BlockCdbLayout.TEN), rw10(BlockCommands.SYNC_IMMED));
        add(ScsiOpcode.SYNCHRONIZE_CACHE_16, "SYNCHRONIZE CACHE(16)", READ, t -> BlockCommands.synchronizeCache(t, BlockCdbLayout.SIXTEEN), rw16(BlockCommands.SYNC_IMMED));

        // Logical block provisioning (SBC-4 §4.7).
        add(ScsiOpcode.WRITE_SAME_10, "WRITE SAME(10)", WRITE, t -> ProvisioningCommands.writeSame(t, BlockCdbLayout.TEN), rw10(0xFE));
        add(ScsiOpcode.WRITE_SAME_16, "WRITE SAME(16)", WRITE, t -> ProvisioningCommands.writeSame(t, BlockCdbLayout.SIXTEEN), rw16(0xFF));
        addIf(ScsiOpcode.UNMAP, "UNMAP", WRITE, ProvisioningCommands::unmap, LogicalUnit::thinProvisioned,
                ProvisioningCommands.UNMAP_ANCHOR, 0, 0, 0, 0, 0, FF, FF, CTRL);

        // Atomic read-modify-write commands (SBC-4 §5.3, §5.11, §5.46).
        add(ScsiOpcode.COMPARE_AND_WRITE, "COMPARE AND WRITE", WRITE, AtomicCommands::compareAndWrite,
                RW, FF, FF, FF, FF, FF, FF, FF, FF, 0, 0, 0, FF, 0, CTRL);
        add(ScsiOpcode.ORWRITE_16, "ORWRITE(16)", WRITE, AtomicCommands::orWrite, rw16(RW));
        add(ScsiOpcode.WRITE_ATOMIC_16, "WRITE ATOMIC(16)", WRITE, AtomicCommands::writeAtomic,
                RW, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, CTRL);

        // Medium maintenance (SBC-4 §5.18/§5.19 READ DEFECT DATA, §5.30 SANITIZE).
        add(ScsiOpcode.READ_DEFECT_DATA_10, "READ DEFECT DATA(10)", READ, t -> MediumCommands.readDefectData(t, false),
                0, 0x1F, 0, 0, 0, 0, FF, FF, CTRL);
        add(ScsiOpcode.READ_DEFECT_DATA_12, "READ DEFECT DATA(12)", READ, t -> MediumCommands.readDefectData(t, true),
                0x1F, FF, FF, FF, FF, FF, FF, FF, FF, 0, CTRL);
        int[] sanitize = {ScsiOpcode.SA_SANITIZE_OVERWRITE, ScsiOpcode.SA_SANITIZE_BLOCK_ERASE,
            ScsiOpcode.SA_SANITIZE_CRYPTO_ERASE, ScsiOpcode.SA_SANITIZE_EXIT_FAILURE_MODE};
        String[] sanitizeNames = {"SANITIZE (OVERWRITE)", "SANITIZE (BLOCK ERASE)", "SANITIZE (CRYPTOGRAPHIC ERASE)",
            "SANITIZE (EXIT FAILURE MODE)"};
        for (int i = 0; i < sanitize.length; i++) {
            // BLOCK and CRYPTOGRAPHIC ERASE deallocate, so only a thin LU offers them.
            Predicate<LogicalUnit> offered = sanitize[i] == ScsiOpcode.SA_SANITIZE_OVERWRITE
                    || sanitize[i] == ScsiOpcode.SA_SANITIZE_EXIT_FAILURE_MODE ? lu -> true : LogicalUnit::thinProvisioned;
            // IMMED and AUSE share byte 1 with the service action.
            addServiceAction(ScsiOpcode.SANITIZE, sanitize[i] | MediumCommands.SANITIZE_IMMED | MediumCommands.SANITIZE_AUSE,
                    sanitize[i], sanitizeNames[i], WRITE, MediumCommands::sanitize, offered, 0, 0, 0, 0, 0, FF, FF, CTRL);
        }

        // Third-party copy (SPC-4 §6.4 EXTENDED COPY(LID1), §6.18 RECEIVE COPY RESULTS).
        addServiceAction(ScsiOpcode.EXTENDED_COPY, ScsiOpcode.SA_EXTENDED_COPY_LID1, "EXTENDED COPY(LID1)", WRITE,
                CopyCommands::extendedCopy, lu -> true, 0, 0, 0, 0, 0, 0, 0, 0, FF, FF, FF, FF, 0, CTRL);
        addServiceAction(ScsiOpcode.RECEIVE_COPY_RESULTS, ScsiOpcode.SA_COPY_STATUS, "RECEIVE COPY RESULTS (COPY STATUS)",
                NONE, CopyCommands::receiveCopyResults, lu -> true, FF, 0, 0, 0, 0, 0, 0, 0, FF, FF, FF, FF, 0, CTRL);
        addServiceAction(ScsiOpcode.RECEIVE_COPY_RESULTS, ScsiOpcode.SA_OPERATING_PARAMETERS,
                "RECEIVE COPY RESULTS (OPERATING PARAMETERS)", NONE, CopyCommands::receiveCopyResults, lu -> true,
                0, 0, 0, 0, 0, 0, 0, 0, FF, FF, FF, FF, 0, CTRL);
        addServiceAction(ScsiOpcode.RECEIVE_COPY_RESULTS, ScsiOpcode.SA_FAILED_SEGMENT_DETAILS,
                "RECEIVE COPY RESULTS (FAILED SEGMENT DETAILS)", NONE, CopyCommands::receiveCopyResults, lu -> true,
                FF, 0, 0, 0, 0, 0, 0, 0, FF, FF, FF, FF, 0, CTRL);

        // Command and task management function support (SPC-5 §6.35, §6.36).
        addServiceAction(ScsiOpcode.MAINTENANCE_IN, ScsiOpcode.SA_REPORT_SUPPORTED_OPERATION_CODES,
                "REPORT SUPPORTED OPERATION CODES", NONE, t -> SupportedOperations.reportOpcodes(t, this), lu -> true,
                0x87, FF, FF, FF, FF, FF, FF, FF, 0, CTRL);
        addServiceAction(ScsiOpcode.MAINTENANCE_IN, ScsiOpcode.SA_REPORT_SUPPORTED_TMFS,
                "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS", NONE, SupportedOperations::reportTaskManagementFunctions,
                lu -> true, SupportedOperations.RSTMF_REPD, 0, 0, 0, FF, FF, FF, FF, 0, CTRL);
    }

    private static int[] rw10(int flags) {
        return new int[] {flags, FF, FF, FF, FF, 0, FF, FF, CTRL};
    }

    private static int[] rw12(int flags) {
        return new int[] {flags, FF, FF, FF, FF, FF, FF, FF, FF, 0, CTRL};
    }

    private static int[] rw16(int flags) {
        return new int[] {flags, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, FF, 0, CTRL};
    }

    private void add(int opcode, String name, MediumAccess access, CommandExecutor executor, int... usageAfterOpcode) {
        addIf(opcode, name, access, executor, lu -> true, usageAfterOpcode);
    }

    private void addIf(int opcode, String name, MediumAccess access, CommandExecutor executor,
            Predicate<LogicalUnit> available, int... usageAfterOpcode) {
        CommandDescriptor d = new CommandDescriptor(name, access, executor, CommandDescriptor.NO_SERVICE_ACTION,
                usage(opcode, CommandDescriptor.NO_SERVICE_ACTION, usageAfterOpcode), available);
        byOpcode[opcode] = d;
        all.add(d);
    }

    private void addServiceAction(int opcode, int serviceAction, String name, MediumAccess access,
            CommandExecutor executor, Predicate<LogicalUnit> available, int... usageAfterServiceAction) {
        addServiceAction(opcode, serviceAction, serviceAction, name, access, executor, available, usageAfterServiceAction);
    }

    /** @param byte1Usage usage of CDB byte 1: the service action plus any flag bits sharing the byte */
    private void addServiceAction(int opcode, int byte1Usage, int serviceAction, String name, MediumAccess access,
            CommandExecutor executor, Predicate<LogicalUnit> available, int... usageAfterServiceAction) {
        int[] afterOpcode = new int[usageAfterServiceAction.length + 1];
        afterOpcode[0] = byte1Usage;
        System.arraycopy(usageAfterServiceAction, 0, afterOpcode, 1, usageAfterServiceAction.length);
        CommandDescriptor d = new CommandDescriptor(name, access, executor, serviceAction,
                usage(opcode, serviceAction, afterOpcode), available);
        if (byServiceAction[opcode] == null) {
            byServiceAction[opcode] = new CommandDescriptor[SERVICE_ACTION_MASK + 1];
        }
        byServiceAction[opcode][serviceAction] = d;
        all.add(d);
    }

    private static byte[] usage(int opcode, int serviceAction, int[] afterOpcode) {
        byte[] usage = new byte[afterOpcode.length + 1];
        usage[0] = (byte) opcode;
        for (int i = 0; i < afterOpcode.length; i++) {
            usage[i + 1] = (byte) afterOpcode[i];
        }
        if (usage.length != Cdb.length(opcode)) {
            throw new IllegalStateException("CDB usage of " + Integer.toHexString(opcode) + " is " + usage.length
                    + " bytes, the CDB " + Cdb.length(opcode));
        }
        return usage;
    }

    /**
     * The descriptor of an opcode without service actions (see {@link #hasServiceActions}).
     *
     * @return the descriptor, or null for an unsupported operation code or one with service actions
     */
    CommandDescriptor lookup(int opcode) {
        return byOpcode[opcode & 0xff];
    }

    /**
     * The descriptor of the command in {@code cdb}: by operation code, and by service action for opcodes
     * that have them (an unknown service action yields a descriptor that fails with INVALID FIELD IN CDB).
     *
     * @return null for an unsupported operation code
     */
    CommandDescriptor lookup(byte[] cdb) {
        int opcode = cdb[0] & 0xff;
        if (!hasServiceActions(opcode)) {
            return byOpcode[opcode];
        }
        if (cdb.length < 2) {
            return UNKNOWN_SERVICE_ACTION;
        }
        CommandDescriptor d = byServiceAction[opcode][cdb[1] & SERVICE_ACTION_MASK];
        return d != null ? d : UNKNOWN_SERVICE_ACTION;
    }

    /** The descriptor of one service action, or null. */
    CommandDescriptor lookup(int opcode, int serviceAction) {
        CommandDescriptor[] table = byServiceAction[opcode & 0xff];
        if (table == null || serviceAction < 0 || serviceAction > SERVICE_ACTION_MASK) {
            return null;
        }
        return table[serviceAction];
    }

    boolean hasServiceActions(int opcode) {
        return byServiceAction[opcode & 0xff] != null;
    }

    /** Every command, in registration order. */
    List<CommandDescriptor> all() {
        return Collections.unmodifiableList(all);
    }

    /** SPC-5 §4.2.5.1: a service action the opcode does not have is an invalid field in the CDB. */
    private static final CommandDescriptor UNKNOWN_SERVICE_ACTION = new CommandDescriptor(
            "unknown service action", NONE,
            t -> t.failCdbField(SenseReason.INVALID_FIELD_IN_CDB, SERVICE_ACTION_BYTE, SERVICE_ACTION_BIT));
}
