package io.jtarget.scsi;

import java.io.ByteArrayOutputStream;

/**
 * Mode parameter data for MODE SENSE (SPC-5 §6.13/§6.14) and its validation for MODE SELECT
 * (SPC-5 §6.11/§6.12): header, one block descriptor (SBC-4 §6.5.2) and the caching (08h), control
 * (0Ah) and informational exceptions control (1Ch) pages.
 */
final class ModePages {
    static final int PAGE_CACHING = 0x08;
    static final int PAGE_CONTROL = 0x0A;
    static final int PAGE_INFORMATIONAL_EXCEPTIONS = 0x1C;
    static final int PAGE_ALL = 0x3F;
    static final int SUBPAGE_ALL = 0xFF;
    static final int[] PAGES = {PAGE_CACHING, PAGE_CONTROL, PAGE_INFORMATIONAL_EXCEPTIONS};

    static final int PAGE_CODE_MASK = 0x3F;
    static final int SPF = 0x40;

    /** Page control (SPC-5 §6.13 Table 163). */
    static final int PC_CURRENT = 0;
    static final int PC_CHANGEABLE = 1;
    static final int PC_DEFAULT = 2;
    static final int PC_SAVED = 3;

    static final int CACHING_LENGTH = 0x12;
    static final int CACHING_WCE_BYTE = 2;
    static final int CACHING_WCE = 0x04;

    static final int CONTROL_LENGTH = 0x0A;
    static final int CONTROL_D_SENSE_BYTE = 2;
    static final int CONTROL_D_SENSE = 0x04;
    static final int CONTROL_QAM_BYTE = 3;
    /** QUEUE ALGORITHM MODIFIER 1h: SIMPLE commands may be reordered (they run concurrently here). */
    static final int CONTROL_QAM_UNRESTRICTED = 0x10;
    static final int CONTROL_SWP_BYTE = 4;
    static final int CONTROL_SWP = 0x08;
    /** TAS (SPC-5 §7.5.8): byte 5 bit 6. UA_INTLCK_CTRL (byte 4 bits 5-4) stays 00b, not changeable. */
    static final int CONTROL_TAS_BYTE = 5;
    static final int CONTROL_TAS = 0x40;

    static final int IE_LENGTH = 0x0A;
    static final int IE_DEXCPT_BYTE = 2;
    /** DEXCPT=1: informational exception operations are disabled (we have none to report). */
    static final int IE_DEXCPT = 0x08;

    static final int HEADER6_LENGTH = 4;
    static final int HEADER10_LENGTH = 8;
    /** Device-specific parameter (SBC-4 §6.5.1): WP and DPOFUA. */
    static final int DEVICE_SPECIFIC_WP = 0x80;
    static final int DEVICE_SPECIFIC_DPOFUA = 0x10;
    static final int HEADER10_LONGLBA = 0x01;
    static final int SHORT_BLOCK_DESCRIPTOR_LENGTH = 8;
    static final int LONG_BLOCK_DESCRIPTOR_LENGTH = 16;

    private ModePages() {}

    /** One page as MODE SENSE returns it for page control {@code pc}. */
    static byte[] page(int pageCode, int pc, LogicalUnit lu) {
        ModeParameters values = pc == PC_DEFAULT ? lu.defaultModeParameters() : lu.modeParameters();
        boolean changeable = pc == PC_CHANGEABLE;
        return switch (pageCode) {
            case PAGE_CACHING -> {
                byte[] p = header(PAGE_CACHING, CACHING_LENGTH);
                if (changeable ? lu.writeCacheChangeable() : values.writeCacheEnabled()) {
                    p[CACHING_WCE_BYTE] = (byte) CACHING_WCE;
                }
                yield p;
            }
            case PAGE_CONTROL -> {
                byte[] p = header(PAGE_CONTROL, CONTROL_LENGTH);
                if (changeable || values.descriptorSense()) {
                    p[CONTROL_D_SENSE_BYTE] = (byte) CONTROL_D_SENSE;
                }
                if (!changeable) {
                    p[CONTROL_QAM_BYTE] = (byte) CONTROL_QAM_UNRESTRICTED;
                }
                if (changeable || values.softwareWriteProtect()) {
                    p[CONTROL_SWP_BYTE] = (byte) CONTROL_SWP;
                }
                if (changeable || values.taskAbortedStatus()) {
                    p[CONTROL_TAS_BYTE] = (byte) CONTROL_TAS;
                }
                yield p;
            }
            case PAGE_INFORMATIONAL_EXCEPTIONS -> {
                byte[] p = header(PAGE_INFORMATIONAL_EXCEPTIONS, IE_LENGTH);
                if (!changeable) {
                    p[IE_DEXCPT_BYTE] = (byte) IE_DEXCPT;
                }
                yield p;
            }
            default -> null;
        };
    }

    private static byte[] header(int code, int length) {
        byte[] p = new byte[2 + length];
        p[0] = (byte) code;
        p[1] = (byte) length;
        return p;
    }

    static boolean isSupported(int pageCode) {
        for (int p : PAGES) {
            if (p == pageCode) {
                return true;
            }
        }
        return false;
    }

    /**
     * Complete MODE SENSE parameter data (before allocation-length truncation).
     *
     * @param tenByte MODE SENSE(10) layout, else MODE SENSE(6)
     * @param pageCode a supported page or {@link #PAGE_ALL}; validated by the caller
     */
    static byte[] modeSense(LogicalUnit lu, boolean tenByte, int pageCode, int pc, boolean dbd, boolean llbaa) {
        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        for (int p : PAGES) {
            if (pageCode == PAGE_ALL || pageCode == p) {
                pages.writeBytes(page(p, pc, lu));
            }
        }
        byte[] blockDescriptor = dbd ? new byte[0] : blockDescriptor(lu, tenByte && llbaa);
        int headerLength = tenByte ? HEADER10_LENGTH : HEADER6_LENGTH;
        byte[] d = new byte[headerLength + blockDescriptor.length + pages.size()];
        int deviceSpecific = DEVICE_SPECIFIC_DPOFUA | (lu.writeProtected() ? DEVICE_SPECIFIC_WP : 0);
        if (tenByte) {
            Bytes.putU16(d, 0, d.length - 2);
            d[3] = (byte) deviceSpecific;
            if (blockDescriptor.length == LONG_BLOCK_DESCRIPTOR_LENGTH) {
                d[4] = (byte) HEADER10_LONGLBA;
            }
            Bytes.putU16(d, 6, blockDescriptor.length);
        } else {
            d[0] = (byte) (d.length - 1);
            d[2] = (byte) deviceSpecific;
            d[3] = (byte) blockDescriptor.length;
        }
        System.arraycopy(blockDescriptor, 0, d, headerLength, blockDescriptor.length);
        System.arraycopy(pages.toByteArray(), 0, d, headerLength + blockDescriptor.length, pages.size());
        return d;
    }

    /** SBC-4 §6.5.2: short (8-byte) or long LBA (16-byte) block descriptor. */
    private static byte[] blockDescriptor(LogicalUnit lu, boolean longLba) {
        long blocks = lu.device().blockCount();
        int blockSize = lu.device().blockSize();
        if (longLba) {
            byte[] d = new byte[LONG_BLOCK_DESCRIPTOR_LENGTH];
            Bytes.putU64(d, 0, blocks);
            Bytes.putU32(d, 12, blockSize);
            return d;
        }
        byte[] d = new byte[SHORT_BLOCK_DESCRIPTOR_LENGTH];
        Bytes.putU32(d, 0, Math.min(blocks, 0xFFFF_FFFFL));
        Bytes.putU24(d, 5, blockSize);
        return d;
    }

    /** The outcome of validating MODE SELECT parameter data: new values, or why they were refused. */
    record Selection(ModeParameters parameters, SenseReason error) {}

    /**
     * Validate a MODE SELECT parameter list against what may change (SPC-5 §6.11): only bits set in
     * the changeable values may differ from the current ones.
     */
    static Selection modeSelect(LogicalUnit lu, byte[] list, boolean tenByte) {
        ModeParameters current = lu.modeParameters();
        int headerLength = tenByte ? HEADER10_LENGTH : HEADER6_LENGTH;
        if (list.length < headerLength) {
            return new Selection(null, SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        // MODE DATA LENGTH is reserved in MODE SELECT; MEDIUM TYPE and the device-specific parameter
        // carry nothing we let an application client change and are ignored.
        int descriptorLength = tenByte ? Bytes.u16(list, 6) : Bytes.u8(list, 3);
        boolean longLba = tenByte && (list[4] & HEADER10_LONGLBA) != 0;
        int off = headerLength;
        if (descriptorLength != 0) {
            int expected = longLba ? LONG_BLOCK_DESCRIPTOR_LENGTH : SHORT_BLOCK_DESCRIPTOR_LENGTH;
            if (descriptorLength != expected) {
                return new Selection(null, SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            }
            if (list.length < off + descriptorLength) {
                return new Selection(null, SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            }
            SenseReason error = checkBlockDescriptor(lu, list, off, longLba);
            if (error != null) {
                return new Selection(null, error);
            }
            off += descriptorLength;
        }
        ModeParameters updated = current;
        while (off < list.length) {
            if (list.length - off < 2) {
                return new Selection(null, SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            }
            if ((list[off] & SPF) != 0) {
                return new Selection(null, SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            }
            int code = list[off] & PAGE_CODE_MASK;
            byte[] currentPage = page(code, PC_CURRENT, lu);
            if (currentPage == null || Bytes.u8(list, off + 1) != currentPage.length - 2) {
                return new Selection(null, SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
            }
            if (list.length - off < currentPage.length) {
                return new Selection(null, SenseReason.PARAMETER_LIST_LENGTH_ERROR);
            }
            byte[] changeable = page(code, PC_CHANGEABLE, lu);
            // Byte 0 holds PS (reserved in MODE SELECT) and the page code; byte 1 the checked length.
            for (int i = 2; i < currentPage.length; i++) {
                if (((list[off + i] ^ currentPage[i]) & ~changeable[i]) != 0) {
                    return new Selection(null, SenseReason.INVALID_FIELD_IN_PARAMETER_LIST);
                }
            }
            updated = apply(updated, code, list, off);
            off += currentPage.length;
        }
        return new Selection(updated, null);
    }

    private static SenseReason checkBlockDescriptor(LogicalUnit lu, byte[] list, int off, boolean longLba) {
        long blocks = longLba ? Bytes.u64(list, off) : Bytes.u32(list, off);
        long blockSize = longLba ? Bytes.u32(list, off + 12) : Bytes.u24(list, off + 5);
        long capacity = lu.device().blockCount();
        long reported = longLba ? capacity : Math.min(capacity, 0xFFFF_FFFFL);
        // SBC-4 §6.5.2: we cannot reformat; the descriptor may only restate the current geometry
        // (NUMBER OF LOGICAL BLOCKS zero means "unchanged").
        if (blockSize != lu.device().blockSize() || (blocks != 0 && blocks != reported)) {
            return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        return null;
    }

    private static ModeParameters apply(ModeParameters values, int code, byte[] list, int off) {
        return switch (code) {
            case PAGE_CACHING -> new ModeParameters(
                    (list[off + CACHING_WCE_BYTE] & CACHING_WCE) != 0, values.descriptorSense(), values.softwareWriteProtect(),
                    values.taskAbortedStatus());
            case PAGE_CONTROL -> new ModeParameters(
                    values.writeCacheEnabled(),
                    (list[off + CONTROL_D_SENSE_BYTE] & CONTROL_D_SENSE) != 0,
                    (list[off + CONTROL_SWP_BYTE] & CONTROL_SWP) != 0,
                    (list[off + CONTROL_TAS_BYTE] & CONTROL_TAS) != 0);
            default -> values;
        };
    }
}
