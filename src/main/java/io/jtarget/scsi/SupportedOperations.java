package io.jtarget.scsi;

import java.io.ByteArrayOutputStream;

/**
 * REPORT SUPPORTED OPERATION CODES (SPC-5 §6.35) and REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS
 * (SPC-5 §6.36). Everything reported comes from the {@link CommandTable} (which commands, their CDB
 * usage data, whether this LU offers them) and from what {@link TaskManager} executes.
 */
final class SupportedOperations {
    static final int RSOC_RCTD = 0x80;
    static final int RSOC_REPORTING_OPTIONS_MASK = 0x07;
    /** Where a bad REPORTING OPTIONS field is (byte 2, bits 2-0), for the sense field pointer. */
    static final int REPORTING_OPTIONS_BYTE = 2;
    static final int REPORTING_OPTIONS_BIT = 2;
    static final int OPTIONS_ALL = 0b000;
    static final int OPTIONS_OPCODE = 0b001;
    static final int OPTIONS_OPCODE_SERVICE_ACTION = 0b010;
    static final int OPTIONS_OPCODE_MAYBE_SERVICE_ACTION = 0b011;
    /** All-commands descriptor (SPC-5 Table 253) flags. */
    static final int CTDP = 0x02;
    static final int SERVACTV = 0x01;
    static final int COMMAND_DESCRIPTOR_LENGTH = 8;
    /** One-command parameter data (SPC-5 Table 255): CTDP bit and SUPPORT values. */
    static final int ONE_COMMAND_CTDP = 0x80;
    static final int SUPPORT_NOT_SUPPORTED = 0b001;
    static final int SUPPORT_STANDARD = 0b011;
    /** Command timeouts descriptor (SPC-5 §6.35.4): length field 0Ah, 12 bytes in all. */
    static final int TIMEOUTS_DESCRIPTOR_LENGTH = 12;
    /** Seconds; 0 in NOMINAL means "not specified", RECOMMENDED is what an initiator should allow. */
    static final int RECOMMENDED_TIMEOUT_SECONDS = 60;
    /** Whole-medium operations (SANITIZE, WRITE SAME to the end, EXTENDED COPY) may take much longer. */
    static final int LONG_RECOMMENDED_TIMEOUT_SECONDS = 3600;

    /** REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-5 Table 260). */
    static final int RSTMF_REPD = 0x80;
    static final int ATS = 0x80;
    static final int ATSS = 0x40;
    static final int CTSS = 0x10;
    static final int LURS = 0x08;
    static final int QTS = 0x04;
    static final int TRS = 0x02;
    static final int QAES = 0x04;
    static final int QTSS = 0x02;
    static final int RSTMF_BASIC_LENGTH = 4;
    static final int RSTMF_EXTENDED_LENGTH = 16;

    private SupportedOperations() {}

    static void reportOpcodes(ScsiTask task, CommandTable table) {
        byte[] cdb = task.cdb();
        boolean rctd = (cdb[2] & RSOC_RCTD) != 0;
        int options = cdb[2] & RSOC_REPORTING_OPTIONS_MASK;
        int opcode = Bytes.u8(cdb, 3);
        int serviceAction = Bytes.u16(cdb, 4);
        int allocation = (int) Math.min(Bytes.u32(cdb, 6), Integer.MAX_VALUE);
        task.commandTransferLength(allocation);
        LogicalUnit lu = task.lu();
        switch (options) {
            case OPTIONS_ALL -> task.goodWithData(allCommands(table, lu, rctd), allocation);
            case OPTIONS_OPCODE -> {
                if (table.hasServiceActions(opcode)) {
                    // SPC-5 §6.35.1: 001b is for opcodes without service actions.
                    task.failCdbField(SenseReason.INVALID_FIELD_IN_CDB, REPORTING_OPTIONS_BYTE, REPORTING_OPTIONS_BIT);
                    return;
                }
                task.goodWithData(oneCommand(table.lookup(opcode), lu, rctd), allocation);
            }
            case OPTIONS_OPCODE_SERVICE_ACTION -> {
                if (!table.hasServiceActions(opcode)) {
                    // SPC-5 §6.35.1: 010b is for opcodes with service actions.
                    task.failCdbField(SenseReason.INVALID_FIELD_IN_CDB, REPORTING_OPTIONS_BYTE, REPORTING_OPTIONS_BIT);
                    return;
                }
                task.goodWithData(oneCommand(table.lookup(opcode, serviceAction), lu, rctd), allocation);
            }
            case OPTIONS_OPCODE_MAYBE_SERVICE_ACTION -> {
                CommandDescriptor d = table.hasServiceActions(opcode)
                        ? table.lookup(opcode, serviceAction)
                        : serviceAction == 0 ? table.lookup(opcode) : null;
                task.goodWithData(oneCommand(d, lu, rctd), allocation);
            }
            default -> task.failCdbField(SenseReason.INVALID_FIELD_IN_CDB, REPORTING_OPTIONS_BYTE, REPORTING_OPTIONS_BIT);
        }
    }

    private static byte[] allCommands(CommandTable table, LogicalUnit lu, boolean rctd) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (CommandDescriptor d : table.all()) {
            if (!d.availableOn(lu)) {
                continue;
            }
            byte[] entry = new byte[COMMAND_DESCRIPTOR_LENGTH];
            entry[0] = d.usage()[0];
            if (d.hasServiceAction()) {
                Bytes.putU16(entry, 2, d.serviceAction());
                entry[5] |= SERVACTV;
            }
            if (rctd) {
                entry[5] |= CTDP;
            }
            Bytes.putU16(entry, 6, d.usage().length);
            list.writeBytes(entry);
            if (rctd) {
                list.writeBytes(timeouts(d));
            }
        }
        byte[] body = list.toByteArray();
        byte[] data = new byte[4 + body.length];
        Bytes.putU32(data, 0, body.length);
        System.arraycopy(body, 0, data, 4, body.length);
        return data;
    }

    private static byte[] oneCommand(CommandDescriptor d, LogicalUnit lu, boolean rctd) {
        if (d == null || !d.availableOn(lu)) {
            byte[] data = new byte[4];
            data[1] = (byte) SUPPORT_NOT_SUPPORTED;
            return data;
        }
        byte[] usage = d.usage();
        byte[] data = new byte[4 + usage.length + (rctd ? TIMEOUTS_DESCRIPTOR_LENGTH : 0)];
        data[1] = (byte) ((rctd ? ONE_COMMAND_CTDP : 0) | SUPPORT_STANDARD);
        Bytes.putU16(data, 2, usage.length);
        System.arraycopy(usage, 0, data, 4, usage.length);
        if (rctd) {
            System.arraycopy(timeouts(d), 0, data, 4 + usage.length, TIMEOUTS_DESCRIPTOR_LENGTH);
        }
        return data;
    }

    /** SPC-5 §6.35.4 command timeouts descriptor. */
    private static byte[] timeouts(CommandDescriptor d) {
        byte[] t = new byte[TIMEOUTS_DESCRIPTOR_LENGTH];
        Bytes.putU16(t, 0, TIMEOUTS_DESCRIPTOR_LENGTH - 2);
        int opcode = d.usage()[0] & 0xff;
        boolean whole = opcode == ScsiOpcode.SANITIZE || opcode == ScsiOpcode.EXTENDED_COPY
                || opcode == ScsiOpcode.WRITE_SAME_10 || opcode == ScsiOpcode.WRITE_SAME_16;
        Bytes.putU32(t, 8, whole ? LONG_RECOMMENDED_TIMEOUT_SECONDS : RECOMMENDED_TIMEOUT_SECONDS);
        return t;
    }

    /**
     * SPC-5 §6.36: the functions {@link TaskManager} executes: ABORT TASK, ABORT TASK SET, CLEAR TASK SET,
     * LOGICAL UNIT RESET, QUERY TASK, TARGET RESET, QUERY ASYNCHRONOUS EVENT and QUERY TASK SET. CLEAR ACA
     * is always rejected (NormACA=0), so it is not reported.
     */
    static void reportTaskManagementFunctions(ScsiTask task) {
        byte[] cdb = task.cdb();
        boolean repd = (cdb[2] & RSTMF_REPD) != 0;
        int allocation = (int) Math.min(Bytes.u32(cdb, 6), Integer.MAX_VALUE);
        task.commandTransferLength(allocation);
        if (allocation < RSTMF_BASIC_LENGTH) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB); // SPC-5 §6.36.1: less than 4 is an error
            return;
        }
        byte[] data = new byte[repd ? RSTMF_EXTENDED_LENGTH : RSTMF_BASIC_LENGTH];
        data[0] = (byte) (ATS | ATSS | CTSS | LURS | QTS | TRS);
        data[1] = (byte) (QAES | QTSS);
        if (repd) {
            data[3] = (byte) (RSTMF_EXTENDED_LENGTH - RSTMF_BASIC_LENGTH);
        }
        task.goodWithData(data, allocation);
    }
}
