package io.jtarget.scsi;

/** Where LBA and transfer length sit in the 6-, 10-, 12- and 16-byte block command CDBs (SBC-4 §5). */
enum BlockCdbLayout {
    /** READ(6)/WRITE(6), SBC-4 §5.14/§5.43: 21-bit LBA; TRANSFER LENGTH 0 means 256 blocks. */
    SIX {
        @Override
        long lba(byte[] cdb) {
            return Bytes.u24(cdb, 1) & 0x1F_FFFF;
        }

        @Override
        long blocks(byte[] cdb) {
            int n = Bytes.u8(cdb, 4);
            return n == 0 ? 256 : n;
        }
    },
    TEN {
        @Override
        long lba(byte[] cdb) {
            return Bytes.u32(cdb, 2);
        }

        @Override
        long blocks(byte[] cdb) {
            return Bytes.u16(cdb, 7);
        }
    },
    TWELVE {
        @Override
        long lba(byte[] cdb) {
            return Bytes.u32(cdb, 2);
        }

        @Override
        long blocks(byte[] cdb) {
            return Bytes.u32(cdb, 6);
        }
    },
    SIXTEEN {
        @Override
        long lba(byte[] cdb) {
            return Bytes.u64(cdb, 2);
        }

        @Override
        long blocks(byte[] cdb) {
            return Bytes.u32(cdb, 10);
        }
    };

    /** Byte 1 of the 10/12/16-byte forms (SBC-4 Table 59 and alike). */
    static final int FLAGS_BYTE = 1;
    /** RDPROTECT / WRPROTECT / VRPROTECT: protection information is not supported, so must be 0. */
    static final int PROTECT_MASK = 0xE0;
    static final int DPO = 0x10;
    static final int FUA = 0x08;
    /** VERIFY / WRITE AND VERIFY BYTCHK field (SBC-4 §5.30 Table 85). */
    static final int BYTCHK_MASK = 0x06;
    static final int BYTCHK_SHIFT = 1;

    /** Unsigned 64-bit LBA. */
    abstract long lba(byte[] cdb);

    /** Number of logical blocks, 0..2^32-1. */
    abstract long blocks(byte[] cdb);

    boolean hasFlagsByte() {
        return this != SIX;
    }

    boolean protectFieldSet(byte[] cdb) {
        return hasFlagsByte() && (cdb[FLAGS_BYTE] & PROTECT_MASK) != 0;
    }

    boolean fua(byte[] cdb) {
        return hasFlagsByte() && (cdb[FLAGS_BYTE] & FUA) != 0;
    }

    int bytchk(byte[] cdb) {
        return (cdb[FLAGS_BYTE] & BYTCHK_MASK) >>> BYTCHK_SHIFT;
    }
}
