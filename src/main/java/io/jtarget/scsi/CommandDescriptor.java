package io.jtarget.scsi;

import java.util.function.Predicate;

/**
 * What the pipeline needs to know about an operation code (and service action) before its executor
 * runs, and what REPORT SUPPORTED OPERATION CODES tells about it (SPC-5 §6.35).
 *
 * @param access whether the command touches the medium (refused while stopped or ejected) and
 *     whether it writes (refused while write protected)
 * @param serviceAction the service action, or {@link #NO_SERVICE_ACTION}
 * @param usage CDB USAGE DATA (SPC-5 §6.35.3): byte 0 the operation code, the service action in its
 *     field, elsewhere a 1 for every bit the executor evaluates; its length is the CDB length
 * @param available whether a logical unit offers the command (e.g. UNMAP only when thin provisioned);
 *     a command a LU does not offer is an unsupported operation code there
 */
record CommandDescriptor(
        String name,
        MediumAccess access,
        CommandExecutor executor,
        int serviceAction,
        byte[] usage,
        Predicate<LogicalUnit> available) {

    static final int NO_SERVICE_ACTION = -1;

    CommandDescriptor(String name, MediumAccess access, CommandExecutor executor) {
        this(name, access, executor, NO_SERVICE_ACTION, null, lu -> true);
    }

    boolean hasServiceAction() {
        return serviceAction != NO_SERVICE_ACTION;
    }

    boolean availableOn(LogicalUnit lu) {
        return lu == null || available.test(lu);
    }

    enum MediumAccess {
        /** Works in any medium state (INQUIRY, MODE SENSE, START STOP UNIT, ...). */
        NONE,
        /** Needs a ready medium (SBC-4 §4.20.3, SPC-5 §5.?: NOT READY otherwise). */
        READ,
        /** Needs a ready medium that is not write protected (SBC-4 §4.12). */
        WRITE
    }
}
