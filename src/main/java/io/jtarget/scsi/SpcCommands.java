package io.jtarget.scsi;

import java.util.function.Function;

/** Primary commands (SPC-5 §6): INQUIRY, REQUEST SENSE, REPORT LUNS, TEST UNIT READY, MODE SENSE/SELECT. */
final class SpcCommands {
    static final int INQUIRY_EVPD = 0x01;
    static final int INQUIRY_CMDDT = 0x02;

    static final int REQUEST_SENSE_DESC = 0x01;

    /** REPORT LUNS SELECT REPORT (SPC-5 §6.33 Table 208). */
    static final int SELECT_ALL_BUT_WELL_KNOWN = 0x00;
    static final int SELECT_WELL_KNOWN_ONLY = 0x01;
    static final int SELECT_ALL = 0x02;
    static final int LUN_LIST_HEADER_LENGTH = 8;
    static final int LUN_ENTRY_LENGTH = 8;
    /** SAM-5 §4.7.7.3 flat space addressing method. */
    static final int FLAT_SPACE_ADDRESSING = 0x40;

    static final int MODE_SENSE_DBD = 0x08;
    static final int MODE_SENSE_LLBAA = 0x10;
    static final int MODE_SELECT_PF = 0x10;
    static final int MODE_SELECT_SP = 0x01;
    /** Concurrent MODE SELECTs retry validation against the newest values at most this often. */
    private static final int MODE_SELECT_ATTEMPTS = 16;

    private final String targetName;
    /** The LUNs an I_T nexus sees (all of the target's, or those its initiator is mapped to). */
    private final Function<ItNexus, int[]> luns;

    SpcCommands(String targetName, Function<ItNexus, int[]> luns) {
        this.targetName = targetName;
        this.luns = luns;
    }

    /** SPC-5 §6.47: the medium state was already checked by the pipeline. */
    void testUnitReady(ScsiTask task) {
        task.good();
    }

    /** SPC-5 §6.7. Also answers for a LUN with no logical unit (peripheral qualifier 011b). */
    void inquiry(ScsiTask task) {
        byte[] cdb = task.cdb();
        int allocation = Bytes.u16(cdb, 3);
        task.commandTransferLength(allocation);
        boolean evpd = (cdb[1] & INQUIRY_EVPD) != 0;
        int page = Bytes.u8(cdb, 2);
        if ((cdb[1] & INQUIRY_CMDDT) != 0 || (!evpd && page != 0)) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (!evpd) {
            task.goodWithData(InquiryData.standard(task.lu()), allocation);
            return;
        }
        if (task.lu() == null) {
            task.fail(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED);
            return;
        }
        byte[] data = InquiryData.vpd(page, task.lu(), targetName, task.command().nexus());
        if (data == null) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        task.goodWithData(data, allocation);
    }

    /**
     * SPC-5 §6.39: returns (and clears) a pending unit attention, else the state that would fail a
     * medium access command, else NO SENSE; in the format the DESC bit asks for.
     */
    void requestSense(ScsiTask task) {
        byte[] cdb = task.cdb();
        int allocation = Bytes.u8(cdb, 4);
        boolean descriptor = (cdb[1] & REQUEST_SENSE_DESC) != 0;
        LogicalUnit lu = task.lu();
        SenseReason reason;
        if (lu == null) {
            reason = SenseReason.LOGICAL_UNIT_NOT_SUPPORTED;
        } else {
            reason = lu.unitAttentions().take(task.command().nexus());
            if (reason == null && lu.sanitizing()) {
                // SBC-4 §4.11.3: REQUEST SENSE reports the sanitize in progress, and how far it is.
                task.goodWithData(SenseData.encodeProgress(SenseReason.NOT_READY_SANITIZE_IN_PROGRESS,
                        lu.sanitizeProgress(), descriptor), allocation);
                return;
            }
            if (reason == null) {
                reason = switch (lu.mediumState()) {
                    case READY -> SenseReason.NO_SENSE;
                    case STOPPED -> SenseReason.NOT_READY_INITIALIZING_COMMAND_REQUIRED;
                    case EJECTED -> SenseReason.MEDIUM_NOT_PRESENT;
                };
            }
        }
        task.goodWithData(SenseData.encode(reason, descriptor), allocation);
    }

    /** SPC-5 §6.33: every LUN of the target; peripheral addressing below 256, flat space above (SAM-5 §4.7.7). */
    void reportLuns(ScsiTask task) {
        byte[] cdb = task.cdb();
        long allocation = Bytes.u32(cdb, 6);
        int allocationLength = (int) Math.min(allocation, Integer.MAX_VALUE);
        task.commandTransferLength(allocationLength);
        int select = Bytes.u8(cdb, 2);
        int[] list = switch (select) {
            case SELECT_ALL_BUT_WELL_KNOWN, SELECT_ALL -> luns.apply(task.command().nexus());
            case SELECT_WELL_KNOWN_ONLY -> new int[0];
            default -> null;
        };
        if (list == null) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        byte[] data = new byte[LUN_LIST_HEADER_LENGTH + LUN_ENTRY_LENGTH * list.length];
        Bytes.putU32(data, 0, (long) LUN_ENTRY_LENGTH * list.length);
        for (int i = 0; i < list.length; i++) {
            int off = LUN_LIST_HEADER_LENGTH + LUN_ENTRY_LENGTH * i;
            int lun = list[i];
            if (lun < 256) {
                data[off + 1] = (byte) lun;
            } else {
                data[off] = (byte) (FLAT_SPACE_ADDRESSING | (lun >>> 8));
                data[off + 1] = (byte) lun;
            }
        }
        task.goodWithData(data, allocationLength);
    }

    /** MODE SENSE(6) SPC-5 §6.13 and MODE SENSE(10) SPC-5 §6.14. */
    void modeSense(ScsiTask task, boolean tenByte) {
        byte[] cdb = task.cdb();
        int allocation = tenByte ? Bytes.u16(cdb, 7) : Bytes.u8(cdb, 4);
        task.commandTransferLength(allocation);
        boolean dbd = (cdb[1] & MODE_SENSE_DBD) != 0;
        boolean llbaa = tenByte && (cdb[1] & MODE_SENSE_LLBAA) != 0;
        int pc = Bytes.u8(cdb, 2) >>> 6;
        int page = cdb[2] & ModePages.PAGE_CODE_MASK;
        int subpage = Bytes.u8(cdb, 3);
        if (pc == ModePages.PC_SAVED) {
            task.fail(SenseReason.SAVING_PARAMETERS_NOT_SUPPORTED);
            return;
        }
        boolean pageKnown = page == ModePages.PAGE_ALL || ModePages.isSupported(page);
        // We have no subpages: subpage 00h names the page itself, FFh "all subpages" of it.
        if (!pageKnown || (subpage != 0 && subpage != ModePages.SUBPAGE_ALL)) {
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        task.goodWithData(ModePages.modeSense(task.lu(), tenByte, page, pc, dbd, llbaa), allocation);
    }

    /**
     * MODE SELECT(6) SPC-5 §6.11 and MODE SELECT(10) §6.12. A change raises MODE PARAMETERS CHANGED
     * on every other I_T nexus (SPC-5 §6.11.1).
     */
    void modeSelect(ScsiTask task, boolean tenByte) {
        byte[] cdb = task.cdb();
        int listLength = tenByte ? Bytes.u16(cdb, 7) : Bytes.u8(cdb, 4);
        task.commandTransferLength(listLength);
        if ((cdb[1] & MODE_SELECT_PF) == 0 || (cdb[1] & MODE_SELECT_SP) != 0) {
            // PF=0 (vendor specific pages) is not supported; SP=1 asks to save pages we cannot save.
            task.fail(SenseReason.INVALID_FIELD_IN_CDB);
            return;
        }
        if (listLength == 0) {
            task.good();
            return;
        }
        byte[] list = task.parameterList(listLength);
        if (list == null) {
            return;
        }
        LogicalUnit lu = task.lu();
        for (int attempt = 0; attempt < MODE_SELECT_ATTEMPTS; attempt++) {
            ModeParameters current = lu.modeParameters();
            ModePages.Selection selection = ModePages.modeSelect(lu, list, tenByte);
            if (selection.error() != null) {
                task.fail(selection.error());
                return;
            }
            if (selection.parameters().equals(current)) {
                task.good();
                return;
            }
            if (lu.replaceModeParameters(current, selection.parameters())) {
                lu.unitAttentions().raiseAllExcept(task.command().nexus(), SenseReason.MODE_PARAMETERS_CHANGED);
                task.good();
                return;
            }
        }
        task.fail(SenseReason.INTERNAL_TARGET_FAILURE);
    }

}
