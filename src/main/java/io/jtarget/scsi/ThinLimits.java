package io.jtarget.scsi;

/**
 * Limits of the provisioning and atomic commands, reported in the Block Limits VPD page (SBC-4 §6.6.4)
 * and enforced by the commands themselves: the one place both read them from.
 */
final class ThinLimits {
    /**
     * MAXIMUM UNMAP LBA COUNT: blocks one UNMAP may deallocate in total (libiscsi's Block Limits sanity
     * check allows at most 2^20).
     */
    static final long MAX_UNMAP_LBA_COUNT = 1L << 20;
    /** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT (the 16-bit parameter list length allows 4095). */
    static final int MAX_UNMAP_DESCRIPTORS = 1024;
    /**
     * MAXIMUM WRITE SAME LENGTH in blocks: what WRITE SAME(10) can express. Larger ranges are what UNMAP is
     * for; it keeps one WRITE SAME's exclusive hold on its range short.
     */
    static final long MAX_WRITE_SAME_BLOCKS = 0xFFFF;
    /** MAXIMUM COMPARE AND WRITE LENGTH (one byte in the page and in the CDB). */
    static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;

    private ThinLimits() {}
}
