package io.jtarget.config;

import io.jtarget.backstore.BackingSpec;

/**
 * One logical unit of a target.
 *
 * @param lun the LUN number (0..16383, SAM-5 flat/peripheral addressing)
 * @param backing what stores its blocks
 * @param readOnly writes answered with DATA PROTECT
 * @param removable reported as removable medium (INQUIRY RMB=1): the initiator may eject and load it
 *     with START STOP UNIT and lock it with PREVENT ALLOW MEDIUM REMOVAL
 */
public record LunConfig(int lun, BackingSpec backing, boolean readOnly, boolean removable) {
    public LunConfig {
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("LUN number out of range 0..16383: " + lun);
        }
    }

    /** A fixed (non-removable) medium. */
    public LunConfig(int lun, BackingSpec backing, boolean readOnly) {
        this(lun, backing, readOnly, false);
    }
}
