package io.jtarget.scsi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Standard INQUIRY data (SPC-5 §6.7.2) and the vital product data pages we serve (SPC-5 §7.7, SBC-4 §6.6). */
final class InquiryData {
    static final String VENDOR = "JTARGET";
    static final String PRODUCT = "jtarget disk";
    static final String REVISION = "0001";

    static final int DEVICE_TYPE_DIRECT_ACCESS = 0x00;
    /** SPC-5 §4.6.3: peripheral qualifier 011b, device type 1Fh: no logical unit at this LUN. */
    static final int NO_LOGICAL_UNIT = 0x7F;

    /**
     * VERSION 06h (SPC-4). SPC-5 compliance is claimed through the version descriptors; VERSION 07h
     * is not used because libiscsi 1.19's conformance test accepts only 04h..06h.
     */
    static final int VERSION_SPC4 = 0x06;
    static final int RMB = 0x80;
    static final int HISUP = 0x10;
    static final int RESPONSE_DATA_FORMAT = 0x02;
    static final int CMDQUE = 0x02;
    /** Byte 5 3PC: the LU supports third-party copy (EXTENDED COPY), SPC-5 §6.7.2. */
    static final int THREE_PC = 0x08;
    static final int STANDARD_LENGTH = 96;
    static final int VENDOR_OFFSET = 8;
    static final int PRODUCT_OFFSET = 16;
    static final int REVISION_OFFSET = 32;
    static final int VERSION_DESCRIPTORS_OFFSET = 58;
    /** SPC-5 Table 148 version descriptors: SAM-5, SPC-5, SPC-4, SBC-4, SBC-3 (libiscsi keys SBC-3 features on 04C0h). */
    static final int[] VERSION_DESCRIPTORS = {0x00A0, 0x05C0, 0x0460, 0x0600, 0x04C0};

    static final int PAGE_SUPPORTED_VPD = 0x00;
    static final int PAGE_UNIT_SERIAL_NUMBER = 0x80;
    static final int PAGE_DEVICE_IDENTIFICATION = 0x83;
    static final int PAGE_THIRD_PARTY_COPY = 0x8F;
    static final int PAGE_BLOCK_LIMITS = 0xB0;
    static final int PAGE_BLOCK_DEVICE_CHARACTERISTICS = 0xB1;
    static final int PAGE_LOGICAL_BLOCK_PROVISIONING = 0xB2;
    static final int[] SUPPORTED_PAGES = {
        PAGE_SUPPORTED_VPD,
        PAGE_UNIT_SERIAL_NUMBER,
        PAGE_DEVICE_IDENTIFICATION,
        PAGE_THIRD_PARTY_COPY,
        PAGE_BLOCK_LIMITS,
        PAGE_BLOCK_DEVICE_CHARACTERISTICS,
        PAGE_LOGICAL_BLOCK_PROVISIONING
    };
    static final int VPD_HEADER_LENGTH = 4;

    /** SPC-5 §7.7.15 designator header fields. */
    static final int CODE_SET_BINARY = 0x1;
    static final int CODE_SET_UTF8 = 0x3;
    static final int ASSOCIATION_LOGICAL_UNIT = 0x00;
    static final int ASSOCIATION_TARGET_PORT = 0x10;
    static final int ASSOCIATION_TARGET_DEVICE = 0x20;
    static final int DESIGNATOR_NAA = 0x3;
    static final int DESIGNATOR_RELATIVE_TARGET_PORT = 0x4;
    static final int DESIGNATOR_TARGET_PORT_GROUP = 0x5;
    static final int DESIGNATOR_SCSI_NAME_STRING = 0x8;
    static final int NAA_IEEE_REGISTERED_EXTENDED = 0x6;
    /**
     * Company identifier in our NAA 6 designators. A locally administered CID (IEEE 802 ZYXM bits =
     * 1010b in the first octet) assigned to nobody; replace with a registered OUI if one is obtained.
     */
    static final int COMPANY_ID = 0x0A5EED;

    /** SBC-4 §6.6.4 Block Limits page length (SBC-3 and later: 3Ch). */
    static final int BLOCK_LIMITS_PAGE_LENGTH = 0x3C;
    static final int BLOCK_DEVICE_CHARACTERISTICS_PAGE_LENGTH = 0x3C;
    /** SBC-4 §6.6.2 MEDIUM ROTATION RATE 0001h: non-rotating medium. */
    static final int NON_ROTATING = 0x0001;
    static final int LOGICAL_BLOCK_PROVISIONING_PAGE_LENGTH = 0x04;
    /** Logical Block Provisioning page byte 5 (SBC-4 Table 262) and byte 6 PROVISIONING TYPE. */
    static final int LBPU = 0x80;
    static final int LBPWS = 0x40;
    static final int LBPWS10 = 0x20;
    static final int LBPRZ_ZEROS = 0x04;
    static final int PROVISIONING_TYPE_THIN = 0x02;
    /** Block Device Characteristics byte 7 (SBC-4 Table 257). */
    static final int WABEREQ_READS_SUCCEED = 0x40;
    static final int WACEREQ_READS_SUCCEED = 0x10;
    /** Third-party copy descriptor type codes (SPC-4 Table 615). */
    static final int TPC_SUPPORTED_COMMANDS = 0x0001;
    static final int TPC_PARAMETER_DATA = 0x0004;
    static final int TPC_SUPPORTED_DESCRIPTORS = 0x0008;
    static final int TPC_GENERAL_COPY_OPERATIONS = 0x8001;

    private InquiryData() {}

    static byte[] standard(LogicalUnit lu) {
        byte[] d = new byte[STANDARD_LENGTH];
        d[0] = (byte) (lu == null ? NO_LOGICAL_UNIT : DEVICE_TYPE_DIRECT_ACCESS);
        d[1] = (byte) (lu != null && lu.removable() ? RMB : 0);
        d[2] = (byte) VERSION_SPC4;
        d[3] = (byte) (HISUP | RESPONSE_DATA_FORMAT);
        d[4] = (byte) (STANDARD_LENGTH - 5);
        // SPC-5 §6.7.2 TPGS=01b: implicit ALUA (one active/optimized target port group);
        // 3PC: EXTENDED COPY is supported (only meaningful with a logical unit behind it).
        d[5] = (byte) (AluaCommands.TPGS_IMPLICIT | (lu == null ? 0 : THREE_PC));
        d[7] = (byte) CMDQUE;
        Bytes.putAscii(d, VENDOR_OFFSET, 8, VENDOR);
        Bytes.putAscii(d, PRODUCT_OFFSET, 16, PRODUCT);
        Bytes.putAscii(d, REVISION_OFFSET, 4, REVISION);
        for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) {
            Bytes.putU16(d, VERSION_DESCRIPTORS_OFFSET + 2 * i, VERSION_DESCRIPTORS[i]);
        }
        return d;
    }

    static boolean isSupportedPage(int page) {
        for (int p : SUPPORTED_PAGES) {
            if (p == page) {
                return true;
            }
        }
        return false;
    }

    /** @return the page, or null when the page code is not supported */
    static byte[] vpd(int page, LogicalUnit lu, String targetName, ItNexus nexus) {
        return switch (page) {
            case PAGE_SUPPORTED_VPD -> supportedPages();
            case PAGE_UNIT_SERIAL_NUMBER -> unitSerialNumber(lu);
            case PAGE_DEVICE_IDENTIFICATION -> deviceIdentification(lu, targetName, nexus);
            case PAGE_BLOCK_LIMITS -> blockLimits(lu);
            case PAGE_THIRD_PARTY_COPY -> thirdPartyCopy();
            case PAGE_BLOCK_DEVICE_CHARACTERISTICS -> blockDeviceCharacteristics(lu);
            case PAGE_LOGICAL_BLOCK_PROVISIONING -> logicalBlockProvisioning(lu);
            default -> null;
        };
    }

    private static byte[] page(int code, int length) {
        byte[] d = new byte[VPD_HEADER_LENGTH + length];
        d[1] = (byte) code;
        Bytes.putU16(d, 2, length);
        return d;
    }

    private static byte[] supportedPages() {
        byte[] d = page(PAGE_SUPPORTED_VPD, SUPPORTED_PAGES.length);
        for (int i = 0; i < SUPPORTED_PAGES.length; i++) {
            d[VPD_HEADER_LENGTH + i] = (byte) SUPPORTED_PAGES[i];
        }
        return d;
    }

    /** SPC-5 §7.7.18: PRODUCT SERIAL NUMBER, ASCII graphic characters. */
    private static byte[] unitSerialNumber(LogicalUnit lu) {
        String serial = lu.serial();
        byte[] d = page(PAGE_UNIT_SERIAL_NUMBER, serial.length());
        Bytes.putAscii(d, VPD_HEADER_LENGTH, serial.length(), serial);
        return d;
    }

    /**
     * SPC-5 §7.7.6: an NAA 6 designator of the logical unit (stable: derived from its serial), the
     * relative target port and the target port's name, the target device's name, and the target
     * port group (SPC-5 §5.16).
     */
    private static byte[] deviceIdentification(LogicalUnit lu, String targetName, ItNexus nexus) {
        byte[] naa = naaDesignator(lu.serial());
        byte[] relativePort = new byte[4];
        Bytes.putU16(relativePort, 2, nexus.relativeTargetPortId());
        byte[] portName = scsiNameString(nexus.targetPort());
        byte[] deviceName = scsiNameString(targetName);
        byte[] portGroup = new byte[4];
        Bytes.putU16(portGroup, 2, AluaCommands.TARGET_PORT_GROUP_ID);

        int length = 5 * 4 + naa.length + relativePort.length + portGroup.length + portName.length + deviceName.length;
        byte[] d = page(PAGE_DEVICE_IDENTIFICATION, length);
        int off = VPD_HEADER_LENGTH;
        off = designator(d, off, CODE_SET_BINARY, ASSOCIATION_LOGICAL_UNIT | DESIGNATOR_NAA, naa);
        off = designator(d, off, CODE_SET_BINARY, ASSOCIATION_TARGET_PORT | DESIGNATOR_RELATIVE_TARGET_PORT, relativePort);
        off = designator(d, off, CODE_SET_UTF8, ASSOCIATION_TARGET_PORT | DESIGNATOR_SCSI_NAME_STRING, portName);
        off = designator(d, off, CODE_SET_UTF8, ASSOCIATION_TARGET_DEVICE | DESIGNATOR_SCSI_NAME_STRING, deviceName);
        // SPC-5 §7.7.6 target port group designator (association: target port), for ALUA.
        designator(d, off, CODE_SET_BINARY, ASSOCIATION_TARGET_PORT | DESIGNATOR_TARGET_PORT_GROUP, portGroup);
        return d;
    }

    private static int designator(byte[] d, int off, int codeSet, int associationAndType, byte[] value) {
        // PIV=0: the core is fabric independent, so no protocol identifier is claimed.
        d[off] = (byte) codeSet;
        d[off + 1] = (byte) associationAndType;
        d[off + 3] = (byte) value.length;
        System.arraycopy(value, 0, d, off + 4, value.length);
        return off + 4 + value.length;
    }

    /**
     * SPC-5 §7.7.15.6.5 NAA IEEE Registered Extended: NAA(4) | company id(24) | vendor specific
     * identifier(36) | vendor specific identifier extension(64), the last 100 bits from SHA-256 of
     * the serial so the designator is stable and unique per LU.
     */
    static byte[] naaDesignator(String serial) {
        byte[] hash = sha256(serial.getBytes(StandardCharsets.UTF_8));
        byte[] naa = new byte[16];
        naa[0] = (byte) ((NAA_IEEE_REGISTERED_EXTENDED << 4) | (COMPANY_ID >>> 20));
        naa[1] = (byte) (COMPANY_ID >>> 12);
        naa[2] = (byte) (COMPANY_ID >>> 4);
        naa[3] = (byte) (((COMPANY_ID & 0xF) << 4) | (hash[0] & 0x0F));
        System.arraycopy(hash, 1, naa, 4, 12);
        return naa;
    }

    /** SPC-5 §7.7.15.11: null terminated, padded with nulls to a multiple of 4, at most 256 bytes. */
    static byte[] scsiNameString(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(utf8.length, 255);
        int padded = Math.min(256, (n + 1 + 3) & ~3);
        byte[] value = new byte[padded];
        System.arraycopy(utf8, 0, value, 0, n);
        return value;
    }

    private static byte[] blockLimits(LogicalUnit lu) {
        byte[] d = page(PAGE_BLOCK_LIMITS, BLOCK_LIMITS_PAGE_LENGTH);
        // OPTIMAL TRANSFER LENGTH GRANULARITY (bytes 6-7): one physical block.
        Bytes.putU16(d, 6, lu.device().logicalBlocksPerPhysicalBlock());
        // MAXIMUM TRANSFER LENGTH (bytes 8-11) and OPTIMAL TRANSFER LENGTH (bytes 12-15), in blocks.
        Bytes.putU32(d, 8, lu.maxTransferBlocks());
        Bytes.putU32(d, 12, lu.maxTransferBlocks());
        // MAXIMUM COMPARE AND WRITE LENGTH (byte 5).
        d[5] = (byte) lu.maxCompareAndWriteBlocks();
        if (lu.thinProvisioned()) {
            // MAXIMUM UNMAP LBA COUNT (20-23), MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT (24-27), OPTIMAL UNMAP
            // GRANULARITY (28-31); UNMAP GRANULARITY ALIGNMENT (32-35) stays 0 with UGAVALID=0.
            Bytes.putU32(d, 20, ThinLimits.MAX_UNMAP_LBA_COUNT);
            Bytes.putU32(d, 24, ThinLimits.MAX_UNMAP_DESCRIPTORS);
            Bytes.putU32(d, 28, Math.min(lu.device().deallocationGranularity(), 0xFFFF_FFFFL));
        }
        // MAXIMUM WRITE SAME LENGTH (36-43).
        Bytes.putU64(d, 36, ThinLimits.MAX_WRITE_SAME_BLOCKS);
        // MAXIMUM ATOMIC TRANSFER LENGTH (44-47), ATOMIC ALIGNMENT (48-51), ATOMIC TRANSFER LENGTH
        // GRANULARITY (52-55); no atomic boundaries (56-63 stay 0).
        Bytes.putU32(d, 44, AtomicCommands.maxAtomicTransferBlocks(lu));
        Bytes.putU32(d, 48, AtomicCommands.ATOMIC_ALIGNMENT);
        Bytes.putU32(d, 52, AtomicCommands.ATOMIC_TRANSFER_LENGTH_GRANULARITY);
        return d;
    }

    /**
     * SPC-4 §7.8.17 Third-party Copy page: the EXTENDED COPY(LID1) support of {@link CopyCommands}: supported
     * commands, parameter data limits, supported descriptors, general copy operations.
     */
    private static byte[] thirdPartyCopy() {
        byte[] commands = {
            (byte) ScsiOpcode.EXTENDED_COPY, 1, (byte) ScsiOpcode.SA_EXTENDED_COPY_LID1,
            (byte) ScsiOpcode.RECEIVE_COPY_RESULTS, 3, (byte) ScsiOpcode.SA_COPY_STATUS,
            (byte) ScsiOpcode.SA_OPERATING_PARAMETERS, (byte) ScsiOpcode.SA_FAILED_SEGMENT_DETAILS
        };
        int supportedCommandsLength = (1 + commands.length + 3) & ~3;
        byte[] supportedCommands = new byte[supportedCommandsLength];
        supportedCommands[0] = (byte) commands.length;
        System.arraycopy(commands, 0, supportedCommands, 1, commands.length);

        byte[] parameterData = new byte[28];
        Bytes.putU16(parameterData, 4, CopyCommands.MAX_CSCD_DESCRIPTORS);
        Bytes.putU16(parameterData, 6, CopyCommands.MAX_SEGMENT_DESCRIPTORS);
        Bytes.putU32(parameterData, 8, CopyCommands.MAX_DESCRIPTOR_LIST_LENGTH);
        // MAXIMUM INLINE DATA LENGTH (12-15) is 0.

        int[] types = CopyCommands.SUPPORTED_DESCRIPTORS;
        byte[] supportedDescriptors = new byte[(1 + types.length + 3) & ~3];
        supportedDescriptors[0] = (byte) types.length;
        for (int i = 0; i < types.length; i++) {
            supportedDescriptors[1 + i] = (byte) types[i];
        }

        byte[] general = new byte[28];
        Bytes.putU32(general, 0, CopyCommands.MAX_CONCURRENT_COPIES);
        Bytes.putU32(general, 4, CopyCommands.MAX_CONCURRENT_COPIES);
        Bytes.putU32(general, 8, CopyCommands.MAX_SEGMENT_BYTES);
        general[12] = 9; // DATA SEGMENT GRANULARITY, log2 bytes

        byte[][] descriptors = {supportedCommands, parameterData, supportedDescriptors, general};
        int[] codes = {TPC_SUPPORTED_COMMANDS, TPC_PARAMETER_DATA, TPC_SUPPORTED_DESCRIPTORS, TPC_GENERAL_COPY_OPERATIONS};
        int length = 0;
        for (byte[] body : descriptors) {
            length += 4 + body.length;
        }
        byte[] d = page(PAGE_THIRD_PARTY_COPY, length);
        int off = VPD_HEADER_LENGTH;
        for (int i = 0; i < descriptors.length; i++) {
            Bytes.putU16(d, off, codes[i]);
            Bytes.putU16(d, off + 2, descriptors[i].length);
            System.arraycopy(descriptors[i], 0, d, off + 4, descriptors[i].length);
            off += 4 + descriptors[i].length;
        }
        return d;
    }

    private static byte[] blockDeviceCharacteristics(LogicalUnit lu) {
        byte[] d = page(PAGE_BLOCK_DEVICE_CHARACTERISTICS, BLOCK_DEVICE_CHARACTERISTICS_PAGE_LENGTH);
        Bytes.putU16(d, 4, NON_ROTATING);
        if (lu.thinProvisioned()) {
            // WABEREQ/WACEREQ 01b (SBC-4 §6.6.2): after a BLOCK or CRYPTOGRAPHIC ERASE sanitize, reads
            // succeed (deallocated blocks read as zeros).
            d[7] = (byte) (WABEREQ_READS_SUCCEED | WACEREQ_READS_SUCCEED);
        }
        return d;
    }

    /**
     * SBC-4 §6.6.6: a thin LU supports UNMAP (LBPU) and WRITE SAME(16/10) with UNMAP (LBPWS, LBPWS10), reads
     * deallocated blocks as zeros (LBPRZ=001b), no anchored state (ANC_SUP=0), provisioning type 010b
     * (thin); otherwise everything is 0 (fully provisioned), as READ CAPACITY(16) LBPME says.
     */
    private static byte[] logicalBlockProvisioning(LogicalUnit lu) {
        byte[] d = page(PAGE_LOGICAL_BLOCK_PROVISIONING, LOGICAL_BLOCK_PROVISIONING_PAGE_LENGTH);
        if (lu.thinProvisioned()) {
            d[5] = (byte) (LBPU | LBPWS | LBPWS10 | LBPRZ_ZEROS);
            d[6] = (byte) PROVISIONING_TYPE_THIN;
        }
        return d;
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is mandatory in every JDK", e);
        }
    }
}
