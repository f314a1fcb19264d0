package io.jtarget.iscsi.session;

import io.jtarget.scsi.ScsiTargetCore;

/** A target as iSCSI exports it: its iSCSI name and the SCSI core serving its LUNs. */
public record ExportedTarget(String name, ScsiTargetCore core) {}
