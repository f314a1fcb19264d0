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
}
