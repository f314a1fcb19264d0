package io.jtarget.scsi;

/** Block device commands that are not data transfers (SBC-4 §5): capacity, start/stop, medium removal. */
final class SbcCommands {
    static final int READ_CAPACITY_10_LENGTH = 8;
    static final int READ_CAPACITY_16_LENGTH = 32;
    static final int READ_CAPACITY_10_PMI = 0x01;
    static final long READ_CAPACITY_10_TOO_LARGE = 0xFFFF_FFFFL;
    /** READ CAPACITY(16) byte 14: LBPME and LBPRZ (SBC-4 §5.21.2 Table 94). */
    static final int READ_CAPACITY_16_LBP_OFFSET = 14;
    static final int READ_CAPACITY_16_LBPME = 0x80;
    static final int READ_CAPACITY_16_LBPRZ = 0x40;

    static final int START_STOP_IMMED = 0x01;
    static final int START_STOP_START = 0x01;
    static final int START_STOP_LOEJ = 0x02;
    static final int START_STOP_NO_FLUSH = 0x04;
    /**
     * SBC-4 §5.27 Table 96 POWER CONDITION values we accept: ACTIVE, IDLE, STANDBY, LU_CONTROL,
     * FORCE_IDLE_0, FORCE_STANDBY_0. The unit is always active, so they change nothing.
     */
    static final int[] ACCEPTED_POWER_CONDITIONS = {0x1, 0x2, 0x3, 0x7, 0xA, 0xB};

    static final int PREVENT_MASK = 0x03;
    static final int PREVENT_ALLOW = 0x00;
    static final int PREVENT_PREVENT = 0x01;

    private SbcCommands() {}

    /** SBC-4 §5.20: RETURNED LOGICAL BLOCK ADDRESS is FFFFFFFFh when the last LBA does not fit. */
    static void readCapacity10(ScsiTask task) {
        byte[] cdb = task.cdb();
        boolean pmi = (cdb[8] & READ_CAPACITY_10_PMI) != 0;
        if (!pmi && Bytes.u32(cdb, 2) != 0) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        LogicalUnit lu = task.lu();
        long lastLba = lu.device().blockCount() - 1;
        byte[] data = new byte[READ_CAPACITY_10_LENGTH];
        Bytes.putU32(data, 0, Math.min(lastLba, READ_CAPACITY_10_TOO_LARGE));
        Bytes.putU32(data, 4, lu.device().blockSize());
        task.goodWithData(data, READ_CAPACITY_10_LENGTH);
    }

    /** READ CAPACITY(16), SBC-4 §5.21; the command table dispatched its service action. */
    static void readCapacity16(ScsiTask task) {
        byte[] cdb = task.cdb();
        int allocation = (int) Math.min(Bytes.u32(cdb, 10), Integer.MAX_VALUE);
        LogicalUnit lu = task.lu();
        byte[] data = new byte[READ_CAPACITY_16_LENGTH];
        Bytes.putU64(data, 0, lu.device().blockCount() - 1);
        Bytes.putU32(data, 8, lu.device().blockSize());
        // P_TYPE/PROT_EN, P_I_EXPONENT/LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT and LOWEST ALIGNED LBA
        // are zero: no protection, 1:1 physical blocks. LBPME/LBPRZ (SBC-4 §5.21.2): a thin LU manages
        // provisioning, and both stores read deallocated blocks as zeros.
        if (lu.thinProvisioned()) {
            data[READ_CAPACITY_16_LBP_OFFSET] = (byte) (READ_CAPACITY_16_LBPME | READ_CAPACITY_16_LBPRZ);
        }
        task.goodWithData(data, allocation);
    }

    /**
     * SBC-4 §5.27 START STOP UNIT. START=0 stops the unit (NOT READY, INITIALIZING COMMAND REQUIRED
     * for medium access until START=1), flushing first unless NO_FLUSH. LOEJ ejects (START=0) or loads
     * (START=1) a removable medium, unless a PREVENT ALLOW MEDIUM REMOVAL prevents it; a unit without
     * removable medium refuses LOEJ (libiscsi test_startstopunit_simple expects failure with RMB=0).
     */
    static void startStopUnit(ScsiTask task) {
        byte[] cdb = task.cdb();
        LogicalUnit lu = task.lu();
        boolean immediate = (cdb[1] & START_STOP_IMMED) != 0;
        int powerCondition = Bytes.u8(cdb, 4) >>> 4;
        boolean start = (cdb[4] & START_STOP_START) != 0;
        boolean loej = (cdb[4] & START_STOP_LOEJ) != 0;
        boolean noFlush = (cdb[4] & START_STOP_NO_FLUSH) != 0;
        if (powerCondition != 0) {
            // START and LOEJ are ignored with a power condition (SBC-4 §5.27).
            if (isAcceptedPowerCondition(powerCondition)) {
                task.good();
            } else {
                task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            }
            return;
        }
        if (loej && !lu.removable()) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (start) {
            if (!loej && lu.mediumState() == LogicalUnit.MediumState.EJECTED) {
                task.fail(SenseReason.MEDIUM_NOT_PRESENT);
                return;
            }
            lu.mediumState(LogicalUnit.MediumState.READY);
            task.good();
            return;
        }
        if (loej) {
            if (lu.removalPrevented()) {
                task.fail(SenseReason.MEDIUM_REMOVAL_PREVENTED);
                return;
            }
            lu.mediumState(LogicalUnit.MediumState.EJECTED);
        } else if (lu.mediumState() != LogicalUnit.MediumState.EJECTED) {
            lu.mediumState(LogicalUnit.MediumState.STOPPED);
        }
        if (noFlush) {
            task.good();
        } else {
            BlockCommands.flush(task, immediate);
        }
    }

    private static boolean isAcceptedPowerCondition(int value) {
        for (int accepted : ACCEPTED_POWER_CONDITIONS) {
            if (accepted == value) {
                return true;
            }
        }
        return false;
    }

    /** SBC-4 §5.15: the prevention is held per I_T nexus; 10b and 11b are obsolete. */
    static void preventAllowMediumRemoval(ScsiTask task) {
        int prevent = task.cdb()[4] & PREVENT_MASK;
        if (prevent != PREVENT_ALLOW && prevent != PREVENT_PREVENT) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        task.lu().preventRemoval(task.command().nexus(), prevent == PREVENT_PREVENT);
        task.good();
    }
}
