package io.jtarget.net;

import io.jtarget.testinit.IscsiWire;
import io.jtarget.testinit.IscsiWire.Bhs;
import io.jtarget.testinit.IscsiWire.Login;
import io.jtarget.testinit.IscsiWire.Opcode;
import io.jtarget.testinit.Pdu;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A minimal blocking iSCSI initiator over a plain socket for in-process tests: no digests, one
 * command at a time. Also sends arbitrary bytes, for hostile-input tests.
 */
final class RawInitiator implements AutoCloseable {
    static final String INITIATOR = "iqn.2026-11.io.jtarget.test:raw";

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int itt = 1;
    private int cmdSn;
    private int expStatSn;

    RawInitiator(InetSocketAddress address) throws IOException {
        socket = new Socket();
        socket.connect(address, 5000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void send(Pdu pdu) throws IOException {
        send(pdu.encode(false, false));
    }

    void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** The next PDU from the target (no digests). */
    Pdu read() throws IOException {
        byte[] bhs = new byte[IscsiWire.BHS_LENGTH];
        in.readFully(bhs);
        Pdu pdu = Pdu.create(bhs[0] & Opcode.MASK);
        for (int i = 0; i < bhs.length; i++) {
            pdu.byteAt(i, bhs[i] & 0xff);
        }
        in.skipNBytes((bhs[Bhs.TOTAL_AHS_LENGTH] & 0xff) * 4);
        int dsl = pdu.headerDataSegmentLength();
        byte[] data = new byte[dsl];
        in.readFully(data);
        in.skipNBytes((4 - (dsl & 3)) & 3);
        return pdu.data(data);
    }

    /** True when the target closed the connection (EOF) within the socket timeout. */
    boolean closedByTarget() throws IOException {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    static byte[] text(String... pairs) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String p : pairs) {
            b.writeBytes(p.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return b.toByteArray();
    }

    static Pdu loginRequest(int csg, int nsg, boolean transit, long isid, byte[] text) {
        Pdu p = Pdu.create(Opcode.LOGIN_REQUEST).immediate(true)
                .flags((transit ? Login.FLAG_TRANSIT : 0) | (csg << Login.CSG_SHIFT) | nsg)
                .longAt(Login.ISID, isid << 16)
                .itt(0x1000);
        return p.data(text);
    }

    /** A normal-session login without authentication, straight to full feature phase; returns the status. */
    int login(String initiator, String target, long isid) throws IOException {
        send(loginRequest(Login.STAGE_OPERATIONAL, Login.STAGE_FULL_FEATURE, true, isid, text(
                "InitiatorName=" + initiator, "TargetName=" + target, "SessionType=Normal",
                "HeaderDigest=None", "DataDigest=None", "InitialR2T=Yes", "ImmediateData=Yes",
                "MaxRecvDataSegmentLength=65536", "MaxBurstLength=262144", "FirstBurstLength=65536",
                "ErrorRecoveryLevel=0", "MaxConnections=1")));
        return loginResponseStatus();
    }

    /** A discovery-session login; returns the status. */
    int discoveryLogin(String initiator) throws IOException {
        send(loginRequest(Login.STAGE_OPERATIONAL, Login.STAGE_FULL_FEATURE, true, 0x4242, text(
                "InitiatorName=" + initiator, "SessionType=Discovery", "HeaderDigest=None", "DataDigest=None")));
        return loginResponseStatus();
    }

    /** Reads the Login Response; on success takes up its numbering. Returns status class and detail. */
    private int loginResponseStatus() throws IOException {
        Pdu response = read();
        int status = response.shortAt(Login.STATUS_CLASS);
        if (status == 0) {
            expStatSn = response.statSn() + 1;
            cmdSn = response.expCmdSn();
        }
        return status;
    }

    /** SendTargets=All in a discovery session: the answer text. */
    String sendTargets() throws IOException {
        Pdu p = Pdu.create(Opcode.TEXT_REQUEST).flags(Bhs.FINAL_FLAG).itt(itt++).ttt(IscsiWire.RESERVED_TAG)
                .cmdSn(cmdSn++).expStatSn(expStatSn).data(text("SendTargets=All"));
        send(p);
        Pdu r = read();
        expStatSn = r.statSn() + 1;
        return new String(r.data(), StandardCharsets.UTF_8);
    }

    /** A SCSI command PDU numbered in sequence (not sent). */
    Pdu command(byte[] cdb, int flags, int edtl, byte[] immediate) {
        Pdu p = Pdu.create(Opcode.SCSI_COMMAND).flags(Bhs.FINAL_FLAG | flags | 1).itt(itt++)
                .intAt(IscsiWire.ScsiCommand.EXPECTED_DATA_TRANSFER_LENGTH, edtl)
                .cmdSn(cmdSn++).expStatSn(expStatSn);
        for (int i = 0; i < cdb.length; i++) {
            p.byteAt(IscsiWire.ScsiCommand.CDB + i, cdb[i] & 0xff);
        }
        return p.data(immediate == null ? new byte[0] : immediate);
    }

    /** WRITE(10) of {@code data} at {@code lba}, all immediate data (ImmediateData=Yes, FirstBurstLength). Returns the status. */
    int write10(int lba, byte[] data) throws IOException {
        byte[] cdb = {0x2a, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba, 0,
                (byte) ((data.length / 512) >>> 8), (byte) (data.length / 512), 0};
        send(command(cdb, IscsiWire.ScsiCommand.FLAG_WRITE, data.length, data));
        Pdu r = readSkippingNops();
        expStatSn = r.statSn() + 1;
        return r.byteAt(3);
    }

    /** READ(10); returns the data (status GOOD folded into the last Data-In). */
    byte[] read10(int lba, int blocks) throws IOException {
        byte[] cdb = {0x28, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba, 0,
                (byte) (blocks >>> 8), (byte) blocks, 0};
        send(command(cdb, IscsiWire.ScsiCommand.FLAG_READ, blocks * 512, null));
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            Pdu r = readSkippingNops();
            if (r.opcode() == Opcode.DATA_IN) {
                data.writeBytes(r.data());
                if ((r.flags() & 0x01) != 0) {
                    expStatSn = r.statSn() + 1;
                    return data.toByteArray();
                }
            } else if (r.opcode() == Opcode.SCSI_RESPONSE) {
                expStatSn = r.statSn() + 1;
                throw new IOException("READ(10) ended with status 0x" + Integer.toHexString(r.byteAt(3)));
            } else {
                throw new IOException("unexpected " + r);
            }
        }
    }

    Pdu readSkippingNops() throws IOException {
        while (true) {
            Pdu r = read();
            if (r.opcode() != Opcode.NOP_IN) {
                return r;
            }
        }
    }

    /** TEST UNIT READY until GOOD: consumes the power-on/nexus unit attention of a new session (SAM-5 §5.14). */
    void clearUnitAttention() throws IOException {
        for (int i = 0; i < 4; i++) {
            send(command(new byte[6], 0, 0, null));
            Pdu r = readSkippingNops();
            expStatSn = r.statSn() + 1;
            if (r.byteAt(3) == 0) {
                return;
            }
        }
        throw new IOException("unit attention does not clear");
    }

    int cmdSn() {
        return cmdSn;
    }

    int expStatSn() {
        return expStatSn;
    }

    void logout() throws IOException {
        send(Pdu.create(Opcode.LOGOUT_REQUEST).immediate(true).flags(Bhs.FINAL_FLAG).itt(itt++).cmdSn(cmdSn)
                .expStatSn(expStatSn));
        readSkippingNops();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
