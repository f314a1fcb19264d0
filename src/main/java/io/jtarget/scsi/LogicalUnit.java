package io.jtarget.scsi;

import io.jtarget.backstore.BlockDevice;

/**
 * One logical unit: a block device plus its SCSI state (mode pages, unit attentions, task set).
 */
public final class LogicalUnit {
    // SKELETON: the SCSI emulation work fills this in; the constructor and accessors are the contract.

    private final int lun;
    private final BlockDevice device;
    private final boolean readOnly;
    private final String serial;

    /**
     * @param serial a stable identifier of this LU, unique per server: unit serial number (VPD 80h)
     *     and the seed of its NAA designator (VPD 83h); derive it from target name + LUN + backing
     *     so it survives restarts.
     */
    public LogicalUnit(int lun, BlockDevice device, boolean readOnly, String serial) {
        this.lun = lun;
        this.device = device;
        this.readOnly = readOnly;
        this.serial = serial;
    }

    public int lun() {
        return lun;
    }

    public BlockDevice device() {
        return device;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public String serial() {
        return serial;
    }
}
