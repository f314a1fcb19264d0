package io.jtarget.testinit;

import io.jtarget.testinit.IscsiWire.Bhs;
import io.jtarget.testinit.IscsiWire.Opcode;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One iSCSI PDU as plain arrays: the 48-byte BHS, the AHS and the (unpadded) data segment.
 * Mutable on purpose so tests can hand-build odd PDUs; {@link #encode} fills in
 * TotalAHSLength and DataSegmentLength from the arrays (RFC 7143 §11.2.1.3/§11.2.1.4).
 * All multi-byte fields are big-endian (RFC 7143 §11.1).
 */
public final class Pdu {
    private final byte[] bhs;
    private byte[] ahs;
    private byte[] data;

    private Pdu(byte[] bhs, byte[] ahs, byte[] data) {
        if (bhs.length != IscsiWire.BHS_LENGTH) {
            throw new IllegalArgumentException("BHS must be 48 bytes, got " + bhs.length);
        }
        if (ahs.length % 4 != 0 || ahs.length / 4 > 0xFF) {
            throw new IllegalArgumentException("AHS must be a multiple of 4 bytes up to 1020, got " + ahs.length);
        }
        this.bhs = bhs;
        this.ahs = ahs;
        this.data = data;
    }

    /** A fresh initiator PDU of the given opcode; every other field is zero. */
    public static Pdu create(int opcode) {
        Pdu pdu = new Pdu(new byte[IscsiWire.BHS_LENGTH], new byte[0], new byte[0]);
        pdu.bhs[Bhs.OPCODE] = (byte) (opcode & Opcode.MASK);
        return pdu;
    }

    /** Wraps received arrays (no copy); lengths in the BHS are taken as they came. */
    static Pdu received(byte[] bhs, byte[] ahs, byte[] data) {
        return new Pdu(bhs, ahs, data);
    }

    public int opcode() {
        return bhs[Bhs.OPCODE] & Opcode.MASK;
    }

    public boolean immediate() {
        return (bhs[Bhs.OPCODE] & Opcode.IMMEDIATE_BIT) != 0;
    }

    public Pdu immediate(boolean immediate) {
        bhs[Bhs.OPCODE] = (byte) (immediate ? bhs[Bhs.OPCODE] | Opcode.IMMEDIATE_BIT : bhs[Bhs.OPCODE] & ~Opcode.IMMEDIATE_BIT);
        return this;
    }

    public int flags() {
        return bhs[Bhs.FLAGS] & 0xFF;
    }

    public Pdu flags(int flags) {
        bhs[Bhs.FLAGS] = (byte) flags;
        return this;
    }

    public boolean flag(int mask) {
        return (flags() & mask) != 0;
    }

    public boolean isFinal() {
        return flag(Bhs.FINAL_FLAG);
    }

    public int byteAt(int offset) {
        return bhs[offset] & 0xFF;
    }

    public Pdu byteAt(int offset, int value) {
        bhs[offset] = (byte) value;
        return this;
    }

    public int shortAt(int offset) {
        return ((bhs[offset] & 0xFF) << 8) | (bhs[offset + 1] & 0xFF);
    }

    public Pdu shortAt(int offset, int value) {
        bhs[offset] = (byte) (value >>> 8);
        bhs[offset + 1] = (byte) value;
        return this;
    }

    public int intAt(int offset) {
        return Bytes.getInt(bhs, offset);
    }

    public Pdu intAt(int offset, int value) {
        Bytes.putInt(bhs, offset, value);
        return this;
    }

    public long longAt(int offset) {
        return Bytes.getLong(bhs, offset);
    }

    public Pdu longAt(int offset, long value) {
        Bytes.putLong(bhs, offset, value);
        return this;
    }

    public int itt() {
        return intAt(Bhs.ITT);
    }

    public Pdu itt(int itt) {
        return intAt(Bhs.ITT, itt);
    }

    public int ttt() {
        return intAt(Bhs.TTT);
    }

    public Pdu ttt(int ttt) {
        return intAt(Bhs.TTT, ttt);
    }

    /** The raw 8-byte LUN field (SAM-5 §4.7 encoding; see {@link Luns}). */
    public long lunField() {
        return longAt(Bhs.LUN);
    }

    public Pdu lunField(long lun) {
        return longAt(Bhs.LUN, lun);
    }

    /** Target PDUs: StatSN; initiator PDUs: CmdSN (same offset). */
    public int statSn() {
        return intAt(Bhs.STAT_SN);
    }

    public int cmdSn() {
        return intAt(Bhs.CMD_SN);
    }

    public Pdu cmdSn(int cmdSn) {
        return intAt(Bhs.CMD_SN, cmdSn);
    }

    public int expCmdSn() {
        return intAt(Bhs.EXP_CMD_SN);
    }

    public int expStatSn() {
        return intAt(Bhs.EXP_STAT_SN);
    }

    public Pdu expStatSn(int expStatSn) {
        return intAt(Bhs.EXP_STAT_SN, expStatSn);
    }

    public int maxCmdSn() {
        return intAt(Bhs.MAX_CMD_SN);
    }

    /** TotalAHSLength as the header says, in bytes. */
    public int headerAhsLength() {
        return byteAt(Bhs.TOTAL_AHS_LENGTH) * 4;
    }

    /** DataSegmentLength as the header says. */
    public int headerDataSegmentLength() {
        return ((bhs[Bhs.DATA_SEGMENT_LENGTH] & 0xFF) << 16)
                | ((bhs[Bhs.DATA_SEGMENT_LENGTH + 1] & 0xFF) << 8)
                | (bhs[Bhs.DATA_SEGMENT_LENGTH + 2] & 0xFF);
    }

    public byte[] bhs() {
        return bhs;
    }

    public byte[] ahs() {
        return ahs;
    }

    public Pdu ahs(byte[] ahs) {
        if (ahs.length % 4 != 0 || ahs.length / 4 > 0xFF) {
            throw new IllegalArgumentException("AHS must be a multiple of 4 bytes up to 1020, got " + ahs.length);
        }
        this.ahs = ahs;
        return this;
    }

    public byte[] data() {
        return data;
    }

    public Pdu data(byte[] data) {
        if (data.length > IscsiWire.MAX_DATA_SEGMENT_LENGTH) {
            throw new IllegalArgumentException("data segment longer than 2^24-1: " + data.length);
        }
        this.data = data;
        return this;
    }

    /**
     * The PDU as it goes on the wire: BHS (lengths filled in), AHS, header digest, data,
     * padding, data digest (RFC 7143 §11.1). Digests are CRC32C (§13.1).
     */
    public byte[] encode(boolean headerDigest, boolean dataDigest) {
        bhs[Bhs.TOTAL_AHS_LENGTH] = (byte) (ahs.length / 4);
        bhs[Bhs.DATA_SEGMENT_LENGTH] = (byte) (data.length >>> 16);
        bhs[Bhs.DATA_SEGMENT_LENGTH + 1] = (byte) (data.length >>> 8);
        bhs[Bhs.DATA_SEGMENT_LENGTH + 2] = (byte) data.length;
        int header = IscsiWire.BHS_LENGTH + ahs.length;
        int padded = padded(data.length);
        int total = header + (headerDigest ? IscsiWire.DIGEST_LENGTH : 0)
                + padded + (dataDigest && data.length > 0 ? IscsiWire.DIGEST_LENGTH : 0);
        byte[] wire = new byte[total];
        System.arraycopy(bhs, 0, wire, 0, bhs.length);
        System.arraycopy(ahs, 0, wire, bhs.length, ahs.length);
        int pos = header;
        if (headerDigest) {
            Crc32cDigest.put(wire, pos, Crc32cDigest.of(wire, 0, header));
            pos += IscsiWire.DIGEST_LENGTH;
        }
        System.arraycopy(data, 0, wire, pos, data.length);
        int dataStart = pos;
        pos += padded;
        if (dataDigest && data.length > 0) {
            Crc32cDigest.put(wire, pos, Crc32cDigest.of(wire, dataStart, padded));
        }
        return wire;
    }

    static int padded(int length) {
        return (length + IscsiWire.PAD_ALIGNMENT - 1) & -IscsiWire.PAD_ALIGNMENT;
    }

    public Pdu copy() {
        return new Pdu(bhs.clone(), ahs.clone(), data.clone());
    }

    @Override
    public String toString() {
        return Opcode.name(opcode()) + String.format(" flags=0x%02x itt=0x%08x dsl=%d", flags(), itt(), data.length)
                + " bhs=" + HexFormat.of().formatHex(bhs);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Pdu p && Arrays.equals(bhs, p.bhs) && Arrays.equals(ahs, p.ahs) && Arrays.equals(data, p.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bhs) * 31 + Arrays.hashCode(data);
    }
}
