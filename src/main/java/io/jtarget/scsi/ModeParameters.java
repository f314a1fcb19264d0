package io.jtarget.scsi;

/**
 * The current values of the mode parameters an application client may change (SPC-5 §6.11):
 * caching page WCE (SBC-4 §6.5.5), control page D_SENSE and SWP (SPC-5 §7.5.8).
 *
 * @param writeCacheEnabled WCE: completed writes may sit in a volatile cache
 * @param descriptorSense D_SENSE: report sense data in descriptor format
 * @param softwareWriteProtect SWP: the logical unit refuses writes as if write protected
 * @param taskAbortedStatus TAS (SPC-5 §7.5.8, SAM-5 §5.6): tasks aborted by another I_T nexus' task
 *     management (or PREEMPT AND ABORT) end with TASK ABORTED status instead of silently
 */
record ModeParameters(
        boolean writeCacheEnabled, boolean descriptorSense, boolean softwareWriteProtect, boolean taskAbortedStatus) {

    ModeParameters(boolean writeCacheEnabled, boolean descriptorSense, boolean softwareWriteProtect) {
        this(writeCacheEnabled, descriptorSense, softwareWriteProtect, false);
    }

    ModeParameters withTaskAbortedStatus(boolean tas) {
        return new ModeParameters(writeCacheEnabled, descriptorSense, softwareWriteProtect, tas);
    }

    /** Values after power on and after a reset (no saved pages: SPC-5 §6.11 — current = default). */
    static ModeParameters defaults(boolean deviceHasWriteCache) {
        return new ModeParameters(deviceHasWriteCache, false, false);
    }
}
