package io.jtarget.scsi;

/** Generic CDB layout facts (SAM-5 §5.2, SPC-5 §4.2.5). */
final class Cdb {
    /** CONTROL byte NACA bit (SAM-5 §5.2 Table 21). */
    static final int CONTROL_NACA = 0x04;

    private Cdb() {}

    /** CDB length by operation code group (SPC-5 §4.2.5.1 Table 9); -1 for groups we never accept. */
    static int length(int opcode) {
        return switch (opcode >>> 5) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 4 -> 16;
            case 5 -> 12;
            default -> -1;
        };
    }

    static boolean nacaSet(byte[] cdb, int length) {
        return (cdb[length - 1] & CONTROL_NACA) != 0;
    }

    /**
     * True when {@code [lba, lba + blocks)} lies within a medium of {@code capacity} blocks. {@code lba}
     * is unsigned 64-bit; computed without overflow (SBC-4 §4.5: LBA plus transfer length beyond the
     * capacity is LOGICAL BLOCK ADDRESS OUT OF RANGE).
     */
    static boolean inRange(long lba, long blocks, long capacity) {
        return Long.compareUnsigned(lba, capacity) <= 0 && blocks <= capacity - lba;
    }
}
