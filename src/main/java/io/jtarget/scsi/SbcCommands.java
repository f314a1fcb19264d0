package io.jtarget.scsi;

/** Block device commands that are not data transfers (SBC-4 §5): capacity, start/stop, medium removal. */
final class SbcCommands {
    static final int READ_CAPACITY_10_LENGTH = 8;
    static final int READ_CAPACITY_16_LENGTH = 32;
    static final int READ_CAPACITY_10_PMI = 0x01;
    static final long READ_CAPACITY_10_TOO_LARGE = 0xFFFF_FFFFL;
    /** READ CAPACITY(16) byte 14: LBPME and LBPRZ (SBC-4 §5.21.2 Table 94). */
    static final int READ_CAPACITY_16_LBP_OFFSET = 14;
    /** Byte 13, bits 3-0: LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT. */
    static final int READ_CAPACITY_16_EXPONENT_OFFSET = 13;
    static final int READ_CAPACITY_16_LBPME = 0x80;
    static final int READ_CAPACITY_16_LBPRZ = 0x40;

    static final int START_STOP_IMMED = 0x01;
    static final int START_STOP_START = 0x01;
    static final int START_STOP_LOEJ = 0x02;
    static final int START_STOP_NO_FLUSH = 0x04;

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
        // P_TYPE/PROT_EN and P_I_EXPONENT are zero: no protection information. LOGICAL BLOCKS PER
        // PHYSICAL BLOCK EXPONENT is the store's (LOWEST ALIGNED LBA 0: LBA 0 starts a physical block).
        // LBPME/LBPRZ (SBC-4 §5.21.2): a thin LU manages provisioning, and both stores read
        // deallocated blocks as zeros.
        data[READ_CAPACITY_16_EXPONENT_OFFSET] = (byte) Integer.numberOfTrailingZeros(
                lu.device().logicalBlocksPerPhysicalBlock());
        if (lu.thinProvisioned()) {
            data[READ_CAPACITY_16_LBP_OFFSET] = (byte) (READ_CAPACITY_16_LBPME | READ_CAPACITY_16_LBPRZ);
        }
        task.goodWithData(data, allocation);
    }

    /**
     * SBC-4 §5.27 START STOP UNIT. On a fixed-medium unit START=0 stops it (NOT READY, INITIALIZING
     * COMMAND REQUIRED for medium access until START=1), flushing first unless NO_FLUSH. On a removable
     * medium unit START=0 without LOEJ only flushes: like an optical drive it spins up again on the next
     * access, so the medium stays ready (libiscsi test_startstopunit_noloej). LOEJ ejects (START=0) or
     * loads (START=1) a removable medium unless a PREVENT ALLOW MEDIUM REMOVAL locks the mechanism; a
     * unit without removable medium refuses LOEJ. A POWER CONDITION other than START_VALID is accepted
     * and changes nothing: a virtual unit has no power states, and SPC-5 §2.4 lets a device server
     * ignore reserved values rather than reject them.
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
            task.good();
            return;
        }
        if (loej && !lu.removable()) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (loej && lu.removalPrevented()) {
            // The prevention locks the mechanism both ways (SBC-4 §5.15).
            task.fail(SenseReason.MEDIUM_REMOVAL_PREVENTED);
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
            lu.mediumState(LogicalUnit.MediumState.EJECTED);
        } else if (!lu.removable() && lu.mediumState() != LogicalUnit.MediumState.EJECTED) {
            lu.mediumState(LogicalUnit.MediumState.STOPPED);
        }
        if (noFlush) {
            task.good();
        } else {
            BlockCommands.flush(task, immediate);
        }
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
