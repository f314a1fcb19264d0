package io.jtarget.scsi;

/** Runs one parsed command; completes the task exactly once (inline or from a backend callback). */
@FunctionalInterface
interface CommandExecutor {
    void execute(ScsiTask task);
}
