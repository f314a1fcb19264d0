package io.jtarget.scsi;

/**
 * Which commands a reservation held by another I_T nexus lets through: the one table for every
 * operation code, transcribing SPC-5 §5.14.3 Table 67 ("SPC commands that are allowed in the
 * presence of various reservations") and SBC-4 §4.17 Table 14 (its block-command twin), plus the
 * SPC-2 RESERVE/RELEASE rule kept by SPC-5 Annex B.
 *
 * <p>The standard's tables have six columns (WE, EA, and "from a registered / not registered I_T
 * nexus" for the registrants-only and all-registrants types of each). Every row falls into one of
 * three shapes, so the table stores the shape:
 *
 * <ul>
 *   <li>{@link Access#ALLOWED} — allowed in every column (INQUIRY, REPORT LUNS, READ CAPACITY, ...);
 *   <li>{@link Access#READ} — allowed under Write Exclusive (any flavour), conflicts under Exclusive
 *       Access unless the nexus is registered for a registrants-only/all-registrants type (reads,
 *       VERIFY, PRE-FETCH, GET LBA STATUS, READ DEFECT DATA);
 *   <li>{@link Access#CONFLICT} — conflicts under WE and EA, allowed only from a registered nexus
 *       under the registrants-only/all-registrants types (writes, MODE SELECT/SENSE, LOG SELECT,
 *       SYNCHRONIZE CACHE, ...). Operation codes the table does not list take this shape.
 * </ul>
 */
final class ReservationTable {
    enum Access {
        ALLOWED,
        READ,
        CONFLICT
    }

    /**
     * Operation codes the table names that {@link ScsiOpcode} lacks. Those it leaves at CONFLICT (FORMAT
     * UNIT, REASSIGN BLOCKS, SEND/RECEIVE DIAGNOSTIC, READ/WRITE BUFFER, WRITE LONG, LOG SELECT, ...)
     * need no constant.
     */
    static final int READ_LONG_10 = 0x3E;
    static final int LOG_SENSE = 0x4D;
    static final int SECURITY_PROTOCOL_IN = 0xA2;
    static final int SERVICE_ACTION_IN_12 = 0xAB;

    /** SERVICE ACTION IN(16) service actions (SBC-4 Table 13). */
    static final int SA_READ_LONG_16 = 0x11;
    static final int SA_REPORT_REFERRALS = 0x13;
    /** SERVICE ACTION IN(12) READ MEDIA SERIAL NUMBER (SPC-5 §6.21). */
    static final int SA_READ_MEDIA_SERIAL_NUMBER = 0x01;

    static final int START_STOP_POWER_CONDITION_MASK = 0xF0;

    private static final Access[] BY_OPCODE = new Access[256];

    static {
        java.util.Arrays.fill(BY_OPCODE, Access.CONFLICT);
        // SPC-5 Table 67: allowed in every column.
        for (int op : new int[] {
            ScsiOpcode.INQUIRY, ScsiOpcode.REPORT_LUNS, ScsiOpcode.REQUEST_SENSE, ScsiOpcode.TEST_UNIT_READY,
            LOG_SENSE, ScsiOpcode.PERSISTENT_RESERVE_IN, ScsiOpcode.PERSISTENT_RESERVE_OUT,
            // MAINTENANCE IN: REPORT IDENTIFYING INFORMATION, REPORT TARGET PORT GROUPS, REPORT
            // ALIASES, REPORT SUPPORTED OPERATION CODES / TMFs, REPORT PRIORITY, REPORT TIMESTAMP,
            // MANAGEMENT PROTOCOL IN: all "Allowed".
            ScsiOpcode.MAINTENANCE_IN, SECURITY_PROTOCOL_IN,
            // SBC-4 Table 14: READ CAPACITY.
            ScsiOpcode.READ_CAPACITY_10,
            // RESERVE/RELEASE are decided by their own rules (SPC-5 Annex B, CRH=0).
            ScsiOpcode.RESERVE_6, ScsiOpcode.RELEASE_6, ScsiOpcode.RESERVE_10, ScsiOpcode.RELEASE_10
        }) {
            BY_OPCODE[op] = Access.ALLOWED;
        }
        // SBC-4 Table 14: reads — allowed under Write Exclusive, conflict under Exclusive Access.
        for (int op : new int[] {
            ScsiOpcode.READ_6, ScsiOpcode.READ_10, ScsiOpcode.READ_12, ScsiOpcode.READ_16,
            ScsiOpcode.VERIFY_10, ScsiOpcode.VERIFY_12, ScsiOpcode.VERIFY_16,
            ScsiOpcode.PRE_FETCH_10, ScsiOpcode.PRE_FETCH_16,
            ScsiOpcode.READ_DEFECT_DATA_10, ScsiOpcode.READ_DEFECT_DATA_12, READ_LONG_10
        }) {
            BY_OPCODE[op] = Access.READ;
        }
        // Everything else (WRITE*, WRITE AND VERIFY*, WRITE SAME*, ScsiOpcode.UNMAP, COMPARE AND WRITE, ORWRITE,
        // SYNCHRONIZE CACHE*, FORMAT UNIT, ScsiOpcode.SANITIZE, REASSIGN BLOCKS, WRITE LONG, MODE SELECT/SENSE,
        // LOG SELECT, READ/WRITE BUFFER, SEND/RECEIVE DIAGNOSTIC, EXTENDED COPY, RECEIVE COPY RESULTS,
        // MAINTENANCE OUT) stays CONFLICT, as the tables say.
    }

    private ReservationTable() {}

    /** The shape of the CDB's row in SPC-5 Table 67 / SBC-4 Table 14. */
    static Access access(byte[] cdb) {
        int opcode = cdb[0] & 0xff;
        return switch (opcode) {
            case ScsiOpcode.SERVICE_ACTION_IN_16 -> switch (cdb[1] & CommandTable.SERVICE_ACTION_MASK) {
                case ScsiOpcode.SA_READ_CAPACITY_16, SA_REPORT_REFERRALS -> Access.ALLOWED;
                case ScsiOpcode.SA_GET_LBA_STATUS, SA_READ_LONG_16 -> Access.READ;
                default -> Access.CONFLICT;
            };
            case SERVICE_ACTION_IN_12 -> (cdb[1] & CommandTable.SERVICE_ACTION_MASK) == SA_READ_MEDIA_SERIAL_NUMBER
                    ? Access.ALLOWED
                    : Access.CONFLICT;
            // SBC-4 Table 14: START=1 with POWER CONDITION 0h is allowed; stopping or a power
            // condition change conflicts.
            case ScsiOpcode.START_STOP_UNIT -> cdb.length > 4
                            && (cdb[4] & SbcCommands.START_STOP_START) != 0
                            && (cdb[4] & START_STOP_POWER_CONDITION_MASK) == 0
                    ? Access.ALLOWED
                    : Access.CONFLICT;
            // PREVENT=00b (allow removal) is allowed; a prevention conflicts.
            case ScsiOpcode.PREVENT_ALLOW_MEDIUM_REMOVAL -> cdb.length > 4 && (cdb[4] & SbcCommands.PREVENT_MASK) == 0
                    ? Access.ALLOWED
                    : Access.CONFLICT;
            default -> BY_OPCODE[opcode];
        };
    }

    /**
     * SPC-2 §5.5.1 (kept by SPC-5 Annex B): while another I_T nexus holds a RESERVE(6)/(10)
     * reservation only INQUIRY, REQUEST SENSE, REPORT LUNS, RELEASE (answered GOOD without effect)
     * and PREVENT ALLOW MEDIUM REMOVAL with PREVENT=0 proceed; everything else, PERSISTENT RESERVE
     * IN/OUT included, is RESERVATION CONFLICT.
     */
    static boolean allowedUnderReserve(byte[] cdb) {
        int opcode = cdb[0] & 0xff;
        return switch (opcode) {
            case ScsiOpcode.INQUIRY, ScsiOpcode.REQUEST_SENSE, ScsiOpcode.REPORT_LUNS,
                    ScsiOpcode.RELEASE_6, ScsiOpcode.RELEASE_10 -> true;
            case ScsiOpcode.PREVENT_ALLOW_MEDIUM_REMOVAL -> cdb.length > 4 && (cdb[4] & SbcCommands.PREVENT_MASK) == 0;
            default -> false;
        };
    }
}
