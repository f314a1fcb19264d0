package io.jtarget.scsi;

import java.util.Map;

/**
 * Asymmetric logical unit access, implicit only (SPC-5 §5.16): INQUIRY reports TPGS=01b, every
 * target port is in one target port group whose state is active/optimized and never changes, and
 * REPORT TARGET PORT GROUPS (SPC-5 §6.36) says so. SET TARGET PORT GROUPS is not supported, as
 * the standard allows when the TPGS field reports implicit asymmetric access only (SPC-5 §5.16).
 */
final class AluaCommands {
    /** The one target port group (reported in the VPD 83h target port group designator). */
    static final int TARGET_PORT_GROUP_ID = 1;

    /** INQUIRY byte 5 TPGS field (SPC-5 Table 148): 01b implicit asymmetric access only. */
    static final int TPGS_IMPLICIT = 0x10;

    /** REPORT TARGET PORT GROUPS PARAMETER DATA FORMAT (SPC-5 §6.36 Table 260). */
    static final int RTPG_FORMAT_SHIFT = 5;
    static final int RTPG_FORMAT_MASK = 0xE0;
    static final int RTPG_FORMAT_LENGTH_ONLY = 0b000;
    static final int RTPG_FORMAT_EXTENDED = 0b001;
    static final int RTPG_LENGTH_ONLY_HEADER = 4;
    static final int RTPG_EXTENDED_HEADER = 8;
    /** Extended header byte 4: FORMAT TYPE 001b in bits 6-4. */
    static final int RTPG_EXTENDED_FORMAT_TYPE = 0x10;
    /** IMPLICIT TRANSITION TIME: no transitions ever happen. */
    static final int IMPLICIT_TRANSITION_TIME = 0;

    /** Target port group descriptor (SPC-5 Table 262). */
    static final int DESCRIPTOR_HEADER = 8;
    static final int PORT_ENTRY_LENGTH = 4;
    static final int STATE_ACTIVE_OPTIMIZED = 0x0;
    /** AO_SUP: the only supported asymmetric access state. */
    static final int AO_SUP = 0x01;
    static final int STATUS_NO_STATUS = 0x00;

    private AluaCommands() {}

    /** SPC-5 §6.36 REPORT TARGET PORT GROUPS, both parameter data formats. */
    static void reportTargetPortGroups(ScsiTask task, Map<Integer, String> targetPorts) {
        byte[] cdb = task.cdb();
        long allocation = Bytes.u32(cdb, 6);
        int allocationLength = (int) Math.min(allocation, Integer.MAX_VALUE);
        task.commandTransferLength(allocationLength);
        int format = Bytes.u8(cdb, 1) >>> RTPG_FORMAT_SHIFT;
        if (format != RTPG_FORMAT_LENGTH_ONLY && format != RTPG_FORMAT_EXTENDED) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        task.goodWithData(reportTargetPortGroupsData(format == RTPG_FORMAT_EXTENDED,
                targetPorts.keySet().stream().mapToInt(Integer::intValue).sorted().toArray()), allocationLength);
    }

    static byte[] reportTargetPortGroupsData(boolean extended, int[] relativePortIds) {
        int header = extended ? RTPG_EXTENDED_HEADER : RTPG_LENGTH_ONLY_HEADER;
        // The target port count is one byte: a group lists at most 255 ports.
        int ports = Math.min(relativePortIds.length, 255);
        byte[] d = new byte[header + DESCRIPTOR_HEADER + PORT_ENTRY_LENGTH * ports];
        Bytes.putU32(d, 0, d.length - 4);
        if (extended) {
            d[4] = (byte) RTPG_EXTENDED_FORMAT_TYPE;
            d[5] = (byte) IMPLICIT_TRANSITION_TIME;
        }
        int off = header;
        d[off] = (byte) STATE_ACTIVE_OPTIMIZED; // PREF=0
        d[off + 1] = (byte) AO_SUP;
        Bytes.putU16(d, off + 2, TARGET_PORT_GROUP_ID);
        d[off + 5] = (byte) STATUS_NO_STATUS;
        d[off + 7] = (byte) ports;
        for (int i = 0; i < ports; i++) {
            Bytes.putU16(d, off + DESCRIPTOR_HEADER + PORT_ENTRY_LENGTH * i + 2, relativePortIds[i]);
        }
        return d;
    }
}
