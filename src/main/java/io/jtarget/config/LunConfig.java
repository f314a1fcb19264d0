package io.jtarget.config;

/**
 * One logical unit of a target.
 *
 * @param lun the LUN number (0..16383, SAM-5 flat/peripheral addressing)
 * @param backing what stores its blocks
 * @param readOnly writes answered with DATA PROTECT
 */
public record LunConfig(int lun, BackingSpec backing, boolean readOnly) {
    public LunConfig {
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("LUN number out of range 0..16383: " + lun);
        }
    }
}
