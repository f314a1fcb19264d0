package io.jtarget.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Load driver for the scale figure: opens N sessions on one server (plain sockets, one thread),
 * logs each in (operational stage straight to full feature, no authentication), does one 4 KiB
 * READ(10) on each, then keeps them all open and idle until stdin closes or says "quit", and logs
 * them out. bench/scale measures the server around it.
 *
 * <p>Usage: SessionScaleDriver HOST PORT TARGET_IQN SESSIONS
 */
public final class SessionScaleDriver {
    private static final String INITIATOR = "iqn.2026-11.io.jtarget.bench:scale";

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final int isid;
    private int cmdSn;
    private int expStatSn;
    private int itt;

    private SessionScaleDriver(InetSocketAddress address, int isid) throws IOException {
        this.socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(address, 10_000);
        socket.setSoTimeout(30_000);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.isid = isid;
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress address = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        String target = args[2];
        int n = Integer.parseInt(args[3]);
        List<SessionScaleDriver> sessions = new ArrayList<>(n);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            SessionScaleDriver s = new SessionScaleDriver(address, i + 1);
            s.login(target);
            sessions.add(s);
        }
        long t1 = System.nanoTime();
        int ok = 0;
        for (SessionScaleDriver s : sessions) {
            // The first command of a new nexus reports the power-on unit attention (CHECK
            // CONDITION, SPC-5 §5.14); answered is what counts here, GOOD on the next read.
            s.read4k((long) (s.isid % 1000) * 8);
            ok++;
        }
        long t2 = System.nanoTime();
        System.out.printf("logged in %d sessions in %.1f s; %d of them answered a 4 KiB read in %.1f s%n", n,
                (t1 - t0) / 1e9, ok, (t2 - t1) / 1e9);
        System.out.println("IDLE");
        System.out.flush();
        // Idle until told to stop. NOP-In pings from the target are answered meanwhile.
        java.io.BufferedReader stdin = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        for (String line; (line = stdin.readLine()) != null && !line.equals("quit"); ) {
            if (line.equals("ping")) {
                int alive = 0;
                for (SessionScaleDriver s : sessions) {
                    alive += s.read4k(0) ? 1 : 0;
                }
                System.out.println("alive " + alive);
                System.out.flush();
            }
        }
        for (SessionScaleDriver s : sessions) {
            s.socket.close();
        }
    }

    private void login(String target) throws IOException {
        String keys = "InitiatorName=" + INITIATOR + "\0SessionType=Normal\0TargetName=" + target
                + "\0HeaderDigest=None\0DataDigest=None\0";
        byte[] text = keys.getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < 4; round++) {
            ByteBuffer bhs = ByteBuffer.allocate(48);
            bhs.put(0, (byte) 0x43); // Login Request, immediate (RFC 7143 §11.12)
            bhs.put(1, (byte) (0x80 | (1 << 2) | 3)); // T, CSG=operational, NSG=full feature
            bhs.putInt(4, round == 0 ? text.length : 0); // TotalAHSLength 0, DataSegmentLength
            bhs.put(8, (byte) 0x80); // ISID: random type, unique per session
            bhs.putInt(10, isid);
            bhs.putInt(16, itt);
            bhs.putInt(24, cmdSn);
            bhs.putInt(28, expStatSn);
            send(bhs.array(), round == 0 ? text : new byte[0]);
            Pdu r = receive();
            if (r.opcode() != 0x23 || r.bhs.get(36) != 0) {
                throw new IOException("login refused: opcode 0x" + Integer.toHexString(r.opcode()) + " class "
                        + r.bhs.get(36) + " detail " + r.bhs.get(37));
            }
            expStatSn = r.bhs.getInt(24) + 1;
            cmdSn = r.bhs.getInt(28);
            if ((r.bhs.get(1) & 0x80) != 0 && (r.bhs.get(1) & 0x03) == 3) {
                return;
            }
        }
        throw new IOException("login did not reach full feature phase");
    }

    /** One READ(10) of 8 x 512-byte blocks; true on GOOD status. */
    private boolean read4k(long lba) throws IOException {
        int tag = ++itt;
        ByteBuffer bhs = ByteBuffer.allocate(48);
        bhs.put(0, (byte) 0x01);
        bhs.put(1, (byte) (0x80 | 0x40 | 0x01)); // F, R, SIMPLE
        bhs.putInt(16, tag);
        bhs.putInt(20, 4096);
        bhs.putInt(24, cmdSn++);
        bhs.putInt(28, expStatSn);
        bhs.put(32, (byte) 0x28);
        bhs.putInt(34, (int) lba);
        bhs.putShort(39, (short) 8);
        send(bhs.array(), new byte[0]);
        while (true) {
            Pdu r = receive();
            int opcode = r.opcode();
            if (opcode == 0x20) { // NOP-In ping: answer it (§11.18)
                answerNop(r);
                continue;
            }
            if (opcode == 0x25 && (r.bhs.get(1) & 0x01) != 0) { // Data-In with status
                expStatSn = r.bhs.getInt(24) + 1;
                return r.bhs.get(3) == 0;
            }
            if (opcode == 0x21) {
                expStatSn = r.bhs.getInt(24) + 1;
                return r.bhs.get(3) == 0;
            }
        }
    }

    private void answerNop(Pdu r) throws IOException {
        int ttt = r.bhs.getInt(20);
        if (ttt == -1) {
            return;
        }
        ByteBuffer bhs = ByteBuffer.allocate(48);
        bhs.put(0, (byte) 0x40); // NOP-Out, immediate
        bhs.put(1, (byte) 0x80);
        bhs.putLong(8, r.bhs.getLong(8));
        bhs.putInt(16, -1);
        bhs.putInt(20, ttt);
        bhs.putInt(24, cmdSn);
        bhs.putInt(28, expStatSn);
        send(bhs.array(), new byte[0]);
    }

    private void send(byte[] bhs, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bhs);
        b.put(5, (byte) (data.length >>> 16));
        b.put(6, (byte) (data.length >>> 8));
        b.put(7, (byte) data.length);
        byte[] pdu = new byte[48 + ((data.length + 3) & ~3)];
        System.arraycopy(bhs, 0, pdu, 0, 48);
        System.arraycopy(data, 0, pdu, 48, data.length);
        out.write(pdu);
        out.flush();
    }

    private Pdu receive() throws IOException {
        byte[] bhs = new byte[48];
        in.readFully(bhs);
        ByteBuffer b = ByteBuffer.wrap(bhs);
        int ahs = (b.get(4) & 0xff) * 4;
        int dsl = ((b.get(5) & 0xff) << 16) | ((b.get(6) & 0xff) << 8) | (b.get(7) & 0xff);
        in.skipNBytes(ahs);
        byte[] data = new byte[dsl];
        in.readFully(data);
        in.skipNBytes((4 - (dsl & 3)) & 3);
        return new Pdu(b, data);
    }

    private record Pdu(ByteBuffer bhs, byte[] data) {
        int opcode() {
            return bhs.get(0) & 0x3f;
        }
    }
}
