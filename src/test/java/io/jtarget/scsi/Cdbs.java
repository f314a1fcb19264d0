package io.jtarget.scsi;

/** CDB builders for tests. */
final class Cdbs {
    private Cdbs() {}

    static byte[] testUnitReady() {
        return new byte[6];
    }

    static byte[] inquiry(boolean evpd, int page, int allocation) {
        byte[] c = new byte[6];
        c[0] = (byte) ScsiOpcode.INQUIRY;
        c[1] = (byte) (evpd ? 1 : 0);
        c[2] = (byte) page;
        Bytes.putU16(c, 3, allocation);
        return c;
    }

    static byte[] requestSense(boolean desc, int allocation) {
        byte[] c = new byte[6];
        c[0] = (byte) ScsiOpcode.REQUEST_SENSE;
        c[1] = (byte) (desc ? 1 : 0);
        c[4] = (byte) allocation;
        return c;
    }

    static byte[] reportLuns(int select, int allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) ScsiOpcode.REPORT_LUNS;
        c[2] = (byte) select;
        Bytes.putU32(c, 6, allocation);
        return c;
    }

    static byte[] readCapacity10() {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.READ_CAPACITY_10;
        return c;
    }

    static byte[] readCapacity16(int allocation) {
        byte[] c = new byte[16];
        c[0] = (byte) ScsiOpcode.SERVICE_ACTION_IN_16;
        c[1] = (byte) ScsiOpcode.SA_READ_CAPACITY_16;
        Bytes.putU32(c, 10, allocation);
        return c;
    }

    static byte[] rw10(int opcode, long lba, int blocks, int flags) {
        byte[] c = new byte[10];
        c[0] = (byte) opcode;
        c[1] = (byte) flags;
        Bytes.putU32(c, 2, lba);
        Bytes.putU16(c, 7, blocks);
        return c;
    }

    static byte[] rw16(int opcode, long lba, long blocks, int flags) {
        byte[] c = new byte[16];
        c[0] = (byte) opcode;
        c[1] = (byte) flags;
        Bytes.putU64(c, 2, lba);
        Bytes.putU32(c, 10, blocks);
        return c;
    }

    static byte[] rw6(int opcode, int lba, int blocks) {
        byte[] c = new byte[6];
        c[0] = (byte) opcode;
        Bytes.putU24(c, 1, lba);
        c[4] = (byte) blocks;
        return c;
    }

    static byte[] modeSense6(int pc, int page, int subpage, boolean dbd, int allocation) {
        byte[] c = new byte[6];
        c[0] = (byte) ScsiOpcode.MODE_SENSE_6;
        c[1] = (byte) (dbd ? 0x08 : 0);
        c[2] = (byte) ((pc << 6) | page);
        c[3] = (byte) subpage;
        c[4] = (byte) allocation;
        return c;
    }

    static byte[] modeSense10(int pc, int page, boolean llbaa, int allocation) {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.MODE_SENSE_10;
        c[1] = (byte) (llbaa ? 0x10 : 0);
        c[2] = (byte) ((pc << 6) | page);
        Bytes.putU16(c, 7, allocation);
        return c;
    }

    static byte[] modeSelect6(int listLength) {
        byte[] c = new byte[6];
        c[0] = (byte) ScsiOpcode.MODE_SELECT_6;
        c[1] = 0x10;
        c[4] = (byte) listLength;
        return c;
    }

    static byte[] startStopUnit(boolean immed, int powerCondition, boolean loej, boolean start) {
        byte[] c = new byte[6];
        c[0] = (byte) ScsiOpcode.START_STOP_UNIT;
        c[1] = (byte) (immed ? 1 : 0);
        c[4] = (byte) ((powerCondition << 4) | (loej ? 2 : 0) | (start ? 1 : 0));
        return c;
    }

    static byte[] preventAllow(int prevent) {
        byte[] c = new byte[6];
        c[0] = (byte) ScsiOpcode.PREVENT_ALLOW_MEDIUM_REMOVAL;
        c[4] = (byte) prevent;
        return c;
    }

    /** SANITIZE (SBC-4 §5.30.1 Table 129): IMMED, AUSE and the service action share byte 1. */
    static byte[] sanitize(int serviceAction, boolean immed, boolean ause, int listLength) {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.SANITIZE;
        c[1] = (byte) ((immed ? MediumCommands.SANITIZE_IMMED : 0) | (ause ? MediumCommands.SANITIZE_AUSE : 0) | serviceAction);
        Bytes.putU16(c, 7, listLength);
        return c;
    }

    /** SANITIZE OVERWRITE parameter list (SBC-4 §5.30.2 Table 131). */
    static byte[] overwriteParameters(boolean invert, int count, byte... pattern) {
        byte[] list = new byte[4 + pattern.length];
        list[0] = (byte) ((invert ? MediumCommands.OVERWRITE_INVERT : 0) | count);
        Bytes.putU16(list, 2, pattern.length);
        System.arraycopy(pattern, 0, list, 4, pattern.length);
        return list;
    }

    /** UNMAP (SBC-4 §5.28 Table 103). */
    static byte[] unmap(int listLength) {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.UNMAP;
        Bytes.putU16(c, 7, listLength);
        return c;
    }

    /** UNMAP parameter list (SBC-4 §5.28.2): one block descriptor per LBA and count pair. */
    static byte[] unmapList(long... lbaAndCount) {
        int n = lbaAndCount.length / 2;
        byte[] list = new byte[8 + 16 * n];
        Bytes.putU16(list, 0, list.length - 2);
        Bytes.putU16(list, 2, 16 * n);
        for (int i = 0; i < n; i++) {
            Bytes.putU64(list, 8 + 16 * i, lbaAndCount[2 * i]);
            Bytes.putU32(list, 8 + 16 * i + 8, lbaAndCount[2 * i + 1]);
        }
        return list;
    }

    /** GET LBA STATUS (SBC-4 §5.9 Table 39). */
    static byte[] getLbaStatus(long lba, int allocation) {
        byte[] c = new byte[16];
        c[0] = (byte) ScsiOpcode.SERVICE_ACTION_IN_16;
        c[1] = (byte) ScsiOpcode.SA_GET_LBA_STATUS;
        Bytes.putU64(c, 2, lba);
        Bytes.putU32(c, 10, allocation);
        return c;
    }

    /** COMPARE AND WRITE (SBC-4 §5.3 Table 29). */
    static byte[] compareAndWrite(long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) ScsiOpcode.COMPARE_AND_WRITE;
        Bytes.putU64(c, 2, lba);
        c[AtomicCommands.CAW_BLOCKS_OFFSET] = (byte) blocks;
        return c;
    }

    /** WRITE ATOMIC(16) (SBC-4 §5.46 Table 137). */
    static byte[] writeAtomic16(long lba, int boundary, int blocks, int flags) {
        byte[] c = new byte[16];
        c[0] = (byte) ScsiOpcode.WRITE_ATOMIC_16;
        c[1] = (byte) flags;
        Bytes.putU64(c, 2, lba);
        Bytes.putU16(c, 10, boundary);
        Bytes.putU16(c, 12, blocks);
        return c;
    }

    /** EXTENDED COPY(LID1) (SPC-4 §6.4.1). */
    static byte[] extendedCopy(long listLength) {
        byte[] c = new byte[16];
        c[0] = (byte) ScsiOpcode.EXTENDED_COPY;
        c[1] = (byte) ScsiOpcode.SA_EXTENDED_COPY_LID1;
        Bytes.putU32(c, 10, listLength);
        return c;
    }

    /** RECEIVE COPY RESULTS (SPC-4 §6.18.1). */
    static byte[] receiveCopyResults(int serviceAction, int listId, int allocation) {
        byte[] c = new byte[16];
        c[0] = (byte) ScsiOpcode.RECEIVE_COPY_RESULTS;
        c[1] = (byte) serviceAction;
        c[2] = (byte) listId;
        Bytes.putU32(c, 10, allocation);
        return c;
    }

    /** REPORT SUPPORTED OPERATION CODES (SPC-5 §6.35.1). */
    static byte[] reportOpcodes(boolean rctd, int options, int opcode, int serviceAction, int allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) ScsiOpcode.MAINTENANCE_IN;
        c[1] = (byte) ScsiOpcode.SA_REPORT_SUPPORTED_OPERATION_CODES;
        c[2] = (byte) ((rctd ? SupportedOperations.RSOC_RCTD : 0) | options);
        c[3] = (byte) opcode;
        Bytes.putU16(c, 4, serviceAction);
        Bytes.putU32(c, 6, allocation);
        return c;
    }

    /** REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-5 §6.36.1). */
    static byte[] reportTmfs(boolean repd, int allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) ScsiOpcode.MAINTENANCE_IN;
        c[1] = (byte) ScsiOpcode.SA_REPORT_SUPPORTED_TMFS;
        c[2] = (byte) (repd ? SupportedOperations.RSTMF_REPD : 0);
        Bytes.putU32(c, 6, allocation);
        return c;
    }

    /** READ DEFECT DATA(10) (SBC-4 §5.18): REQ_PLIST, REQ_GLIST and DEFECT LIST FORMAT in byte 2. */
    static byte[] readDefectData10(int request, int allocation) {
        byte[] c = new byte[10];
        c[0] = (byte) ScsiOpcode.READ_DEFECT_DATA_10;
        c[2] = (byte) request;
        Bytes.putU16(c, 7, allocation);
        return c;
    }

    /** READ DEFECT DATA(12) (SBC-4 §5.19): the request bits in byte 1. */
    static byte[] readDefectData12(int request, int allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) ScsiOpcode.READ_DEFECT_DATA_12;
        c[1] = (byte) request;
        Bytes.putU32(c, 6, allocation);
        return c;
    }
}
