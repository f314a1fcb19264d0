package io.jtarget.scsi;

import static io.jtarget.scsi.CommandDescriptor.MediumAccess.NONE;
import static io.jtarget.scsi.CommandDescriptor.MediumAccess.READ;
import static io.jtarget.scsi.CommandDescriptor.MediumAccess.WRITE;

import io.jtarget.scsi.CommandDescriptor.MediumAccess;

/**
 * Operation code → command descriptor: the one place that decides which commands exist. An opcode
 * with no entry is INVALID COMMAND OPERATION CODE.
 */
final class CommandTable {
    private final CommandDescriptor[] byOpcode = new CommandDescriptor[256];

    CommandTable(SpcCommands spc) {
        add(ScsiOpcode.TEST_UNIT_READY, "TEST UNIT READY", READ, spc::testUnitReady);
        add(ScsiOpcode.REQUEST_SENSE, "REQUEST SENSE", NONE, spc::requestSense);
        add(ScsiOpcode.INQUIRY, "INQUIRY", NONE, spc::inquiry);
        add(ScsiOpcode.REPORT_LUNS, "REPORT LUNS", NONE, spc::reportLuns);
        add(ScsiOpcode.MODE_SENSE_6, "MODE SENSE(6)", NONE, t -> spc.modeSense(t, false));
        add(ScsiOpcode.MODE_SENSE_10, "MODE SENSE(10)", NONE, t -> spc.modeSense(t, true));
        add(ScsiOpcode.MODE_SELECT_6, "MODE SELECT(6)", NONE, t -> spc.modeSelect(t, false));
        add(ScsiOpcode.MODE_SELECT_10, "MODE SELECT(10)", NONE, t -> spc.modeSelect(t, true));
        add(ScsiOpcode.PERSISTENT_RESERVE_IN, "PERSISTENT RESERVE IN", NONE, ReservationCommands::persistentReserveIn);
        add(ScsiOpcode.PERSISTENT_RESERVE_OUT, "PERSISTENT RESERVE OUT", NONE, ReservationCommands::persistentReserveOut);
        add(ScsiOpcode.RESERVE_6, "RESERVE(6)", NONE, t -> ReservationCommands.reserve(t, false));
        add(ScsiOpcode.RESERVE_10, "RESERVE(10)", NONE, t -> ReservationCommands.reserve(t, true));
        add(ScsiOpcode.RELEASE_6, "RELEASE(6)", NONE, t -> ReservationCommands.release(t, false));
        add(ScsiOpcode.RELEASE_10, "RELEASE(10)", NONE, t -> ReservationCommands.release(t, true));
        // MAINTENANCE IN: REPORT TARGET PORT GROUPS. MAINTENANCE OUT (SET TARGET PORT GROUPS) stays
        // unsupported: ALUA is implicit only (SPC-5 §5.16).
        add(ScsiOpcode.MAINTENANCE_IN, "MAINTENANCE IN", NONE, t -> AluaCommands.maintenanceIn(t, t.lu().targetPorts()));

        add(ScsiOpcode.READ_CAPACITY_10, "READ CAPACITY(10)", READ, SbcCommands::readCapacity10);
        add(ScsiOpcode.SERVICE_ACTION_IN_16, "SERVICE ACTION IN(16)", READ, SbcCommands::serviceActionIn16);
        add(ScsiOpcode.START_STOP_UNIT, "START STOP UNIT", NONE, SbcCommands::startStopUnit);
        add(ScsiOpcode.PREVENT_ALLOW_MEDIUM_REMOVAL, "PREVENT ALLOW MEDIUM REMOVAL", NONE, SbcCommands::preventAllowMediumRemoval);

        add(ScsiOpcode.READ_6, "READ(6)", READ, t -> BlockCommands.read(t, BlockCdbLayout.SIX));
        add(ScsiOpcode.READ_10, "READ(10)", READ, t -> BlockCommands.read(t, BlockCdbLayout.TEN));
        add(ScsiOpcode.READ_12, "READ(12)", READ, t -> BlockCommands.read(t, BlockCdbLayout.TWELVE));
        add(ScsiOpcode.READ_16, "READ(16)", READ, t -> BlockCommands.read(t, BlockCdbLayout.SIXTEEN));
        add(ScsiOpcode.WRITE_6, "WRITE(6)", WRITE, t -> BlockCommands.write(t, BlockCdbLayout.SIX));
        add(ScsiOpcode.WRITE_10, "WRITE(10)", WRITE, t -> BlockCommands.write(t, BlockCdbLayout.TEN));
        add(ScsiOpcode.WRITE_12, "WRITE(12)", WRITE, t -> BlockCommands.write(t, BlockCdbLayout.TWELVE));
        add(ScsiOpcode.WRITE_16, "WRITE(16)", WRITE, t -> BlockCommands.write(t, BlockCdbLayout.SIXTEEN));
        add(ScsiOpcode.VERIFY_10, "VERIFY(10)", READ, t -> BlockCommands.verify(t, BlockCdbLayout.TEN));
        add(ScsiOpcode.VERIFY_12, "VERIFY(12)", READ, t -> BlockCommands.verify(t, BlockCdbLayout.TWELVE));
        add(ScsiOpcode.VERIFY_16, "VERIFY(16)", READ, t -> BlockCommands.verify(t, BlockCdbLayout.SIXTEEN));
        add(ScsiOpcode.WRITE_AND_VERIFY_10, "WRITE AND VERIFY(10)", WRITE, t -> BlockCommands.writeAndVerify(t, BlockCdbLayout.TEN));
        add(ScsiOpcode.WRITE_AND_VERIFY_12, "WRITE AND VERIFY(12)", WRITE, t -> BlockCommands.writeAndVerify(t, BlockCdbLayout.TWELVE));
        add(ScsiOpcode.WRITE_AND_VERIFY_16, "WRITE AND VERIFY(16)", WRITE, t -> BlockCommands.writeAndVerify(t, BlockCdbLayout.SIXTEEN));
        add(ScsiOpcode.PRE_FETCH_10, "PRE-FETCH(10)", READ, t -> BlockCommands.preFetch(t, BlockCdbLayout.TEN));
        add(ScsiOpcode.PRE_FETCH_16, "PRE-FETCH(16)", READ, t -> BlockCommands.preFetch(t, BlockCdbLayout.SIXTEEN));
        add(ScsiOpcode.SYNCHRONIZE_CACHE_10, "SYNCHRONIZE CACHE(10)", READ, t -> BlockCommands.synchronizeCache(t, BlockCdbLayout.TEN));
        add(ScsiOpcode.SYNCHRONIZE_CACHE_16, "SYNCHRONIZE CACHE(16)", READ, t -> BlockCommands.synchronizeCache(t, BlockCdbLayout.SIXTEEN));
    }

    private void add(int opcode, String name, MediumAccess access, CommandExecutor executor) {
        byOpcode[opcode] = new CommandDescriptor(name, access, executor);
    }

    /** @return the descriptor, or null for an unsupported operation code */
    CommandDescriptor lookup(int opcode) {
        return byOpcode[opcode & 0xff];
    }
}
