package io.jtarget.testinit;

/** CDB builders for the commands tests use (SPC-5, SBC-4). All fields big-endian. */
public final class Cdbs {
    private Cdbs() {}

    public static final int INQUIRY = 0x12;
    public static final int READ_10 = 0x28;
    public static final int WRITE_10 = 0x2A;
    public static final int SYNCHRONIZE_CACHE_10 = 0x35;
    public static final int READ_16 = 0x88;
    public static final int WRITE_16 = 0x8A;
    public static final int SERVICE_ACTION_IN_16 = 0x9E;
    public static final int READ_CAPACITY_16_SERVICE_ACTION = 0x10;
    public static final int REPORT_LUNS = 0xA0;

    /** SBC-4 §5.9/§5.41: the FUA bit in byte 1 of READ/WRITE(10/16). */
    public static final int FUA = 0x08;

    public static byte[] testUnitReady() {
        return new byte[6];
    }

    /** SPC-5 §6.7 INQUIRY; {@code evpd} with {@code pageCode} asks for a VPD page. */
    public static byte[] inquiry(boolean evpd, int pageCode, int allocationLength) {
        byte[] cdb = new byte[6];
        cdb[0] = INQUIRY;
        cdb[1] = (byte) (evpd ? 1 : 0);
        cdb[2] = (byte) pageCode;
        Bytes.putShort(cdb, 3, allocationLength);
        return cdb;
    }

    /** SBC-4 §5.20 READ CAPACITY (16). */
    public static byte[] readCapacity16(int allocationLength) {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) SERVICE_ACTION_IN_16;
        cdb[1] = READ_CAPACITY_16_SERVICE_ACTION;
        Bytes.putInt(cdb, 10, allocationLength);
        return cdb;
    }

    public static byte[] read10(long lba, int blocks) {
        return rw10(READ_10, lba, blocks, false);
    }

    public static byte[] write10(long lba, int blocks, boolean fua) {
        return rw10(WRITE_10, lba, blocks, fua);
    }

    public static byte[] read16(long lba, int blocks) {
        return rw16(READ_16, lba, blocks, false);
    }

    public static byte[] write16(long lba, int blocks, boolean fua) {
        return rw16(WRITE_16, lba, blocks, fua);
    }

    private static byte[] rw10(int opcode, long lba, int blocks, boolean fua) {
        if (lba < 0 || lba > 0xFFFFFFFFL || blocks < 0 || blocks > 0xFFFF) {
            throw new IllegalArgumentException("LBA/length do not fit a 10-byte CDB");
        }
        byte[] cdb = new byte[10];
        cdb[0] = (byte) opcode;
        cdb[1] = (byte) (fua ? FUA : 0);
        Bytes.putInt(cdb, 2, (int) lba);
        Bytes.putShort(cdb, 7, blocks);
        return cdb;
    }

    private static byte[] rw16(int opcode, long lba, int blocks, boolean fua) {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) opcode;
        cdb[1] = (byte) (fua ? FUA : 0);
        Bytes.putLong(cdb, 2, lba);
        Bytes.putInt(cdb, 10, blocks);
        return cdb;
    }

    public static byte[] synchronizeCache10() {
        byte[] cdb = new byte[10];
        cdb[0] = SYNCHRONIZE_CACHE_10;
        return cdb;
    }

    /** SPC-5 §6.33 REPORT LUNS, select report 0 (all LUNs). */
    public static byte[] reportLuns(int allocationLength) {
        byte[] cdb = new byte[12];
        cdb[0] = (byte) REPORT_LUNS;
        Bytes.putInt(cdb, 6, allocationLength);
        return cdb;
    }
}
