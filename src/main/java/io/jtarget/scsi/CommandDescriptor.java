package io.jtarget.scsi;

/**
 * What the pipeline needs to know about an operation code before its executor runs.
 *
 * @param access whether the command touches the medium (refused while stopped or ejected) and
 *     whether it writes (refused while write protected)
 */
record CommandDescriptor(String name, MediumAccess access, CommandExecutor executor) {

    enum MediumAccess {
        /** Works in any medium state (INQUIRY, MODE SENSE, START STOP UNIT, ...). */
        NONE,
        /** Needs a ready medium (SBC-4 §4.20.3, SPC-5 §5.?: NOT READY otherwise). */
        READ,
        /** Needs a ready medium that is not write protected (SBC-4 §4.12). */
        WRITE
    }
}
