package io.jtarget.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.BackingSpec;
import io.jtarget.backstore.HeldDevice;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.iscsi.login.KeyValue;
import io.jtarget.iscsi.login.TextParameters;
import io.jtarget.iscsi.login.TransportKeyRules;
import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.HeaderBuilder;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.iscsi.transport.MemoryTransport;
import io.jtarget.registry.Registry;
import io.jtarget.registry.RegistryException;
import io.jtarget.scsi.ScsiTargetCore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The iSCSI protocol core ({@link IscsiConnection}) on a {@link MemoryTransport}, with one target
 * of one 1 MiB RAM LUN whose I/O can be held: logins, commands and Data-Out as PDU objects, and
 * every PDU the core sends, in order. Single-threaded: the test thread is the connection's loop.
 */
final class ProtocolHarness implements AutoCloseable {
    static final String TARGET = "iqn.2026-11.io.jtarget:unit";
    static final String INITIATOR = "iqn.2026-11.io.jtarget:initiator";
    static final int BLOCK = 512;

    final HeldDevice device = new HeldDevice(1024 * 1024, BLOCK);
    final ScsiTargetCore core;
    final IscsiServerContext server;
    private final List<MemoryTransport> transports = new ArrayList<>();
    MemoryTransport transport;
    IscsiConnection connection;
    int cmdSn = 1;
    int nextItt = 1;

    ProtocolHarness() {
        this(ServerConfig.Limits.defaults());
    }

    ProtocolHarness(ServerConfig.Limits limits) {
        // The registry opens the one LU on the held device, whatever its spec says.
        Registry registry = new Registry(spec -> device, null);
        TargetConfig target = new TargetConfig(TARGET, List.of(new LunConfig(0, new BackingSpec.Ram(1024 * 1024), false, false)));
        try {
            core = registry.addTarget(target).core();
        } catch (RegistryException e) {
            throw new IllegalStateException(e);
        }
        core.addTargetPort(1, IscsiServerContext.targetPortName(TARGET, 1));
        server = new IscsiServerContext(registry, limits, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE),
                AuthConfig.NONE, ConnectionLimits.defaults());
        connect(MemoryTransport.Mode.PDU, TransportKeyRules.NONE);
    }

    /** A new connection (the previous one stays as it is). */
    MemoryTransport connect(MemoryTransport.Mode mode, TransportKeyRules keys) {
        transport = new MemoryTransport(mode, keys, t -> connection = new IscsiConnection(server, t));
        transports.add(transport);
        cmdSn = 1;
        return transport;
    }

    static ServerConfig.Limits limits(Duration nopInterval, Duration nopTimeout, int window) {
        return new ServerConfig.Limits(1, 1, nopInterval, nopTimeout, Duration.ofSeconds(15), window);
    }

    // ---------------------------------------------------------------- login

    /** A one-PDU login straight to full feature phase with these extra keys; returns the response. */
    IscsiPdu loginPdu(long isid, int tsih, String... keys) {
        List<KeyValue> pairs = new ArrayList<>();
        pairs.add(KeyValue.of("InitiatorName", INITIATOR));
        pairs.add(KeyValue.of("TargetName", TARGET));
        pairs.add(KeyValue.of("SessionType", "Normal"));
        for (String k : keys) {
            int eq = k.indexOf('=');
            pairs.add(KeyValue.of(k.substring(0, eq), k.substring(eq + 1)));
        }
        int flags = Bhs.Login.TRANSIT_BIT | (Bhs.Login.STAGE_OPERATIONAL << Bhs.Login.CSG_SHIFT) | Bhs.Login.STAGE_FULL_FEATURE;
        IscsiPdu login = header(Opcode.LOGIN_REQUEST | Bhs.IMMEDIATE_BIT, flags)
                .long64(Bhs.Login.ISID_OFFSET, (isid << 16) | tsih)
                .itt(nextItt++)
                .int32(Bhs.Login.CMDSN_OFFSET, cmdSn)
                .int32(Bhs.Login.EXP_STATSN_OFFSET, 100)
                .pdu(Unpooled.wrappedBuffer(TextParameters.encode(pairs)));
        transport.receive(login);
        return transport.take();
    }

    /** Logs in and checks the target moved to full feature phase; returns the negotiated answer keys. */
    List<KeyValue> login(String... keys) {
        IscsiPdu response = loginPdu(0x23D000000001L, 0, keys);
        try {
            assertThat(response.opcode()).isEqualTo(Opcode.LOGIN_RESPONSE);
            assertThat(response.u8(Bhs.Login.STATUS_CLASS_OFFSET)).as("login status class").isZero();
            assertThat(response.flags() & Bhs.Login.TRANSIT_BIT).as("T bit").isNotZero();
            assertThat(response.flags() & Bhs.Login.STAGE_MASK).isEqualTo(Bhs.Login.STAGE_FULL_FEATURE);
            List<KeyValue> answer = ((TextParameters.Decoded.Ok) TextParameters.decode(response.data(),
                    server.loginSettings().textLimits())).pairs();
            // The new nexus starts with a unit attention (SAM-5 §5.14): take it, as initiators do.
            int itt = 0x7000_0000 + nextItt++;
            receive(command(itt, io.jtarget.testinit.Cdbs.testUnitReady(), false, false, 0, null, true));
            assertThat(expectStatus(itt)).isEqualTo(io.jtarget.scsi.ScsiStatus.CHECK_CONDITION);
            return answer;
        } finally {
            response.release();
        }
    }

    // ---------------------------------------------------------------- PDUs in

    HeaderBuilder header(int opcode, int flags) {
        return HeaderBuilder.of(transport.alloc(), opcode, flags);
    }

    /** A SCSI Command with the next CmdSN; {@code immediateData} may be null. */
    IscsiPdu command(int itt, byte[] cdb, boolean read, boolean write, int edtl, byte[] immediateData, boolean finalBit) {
        return command(itt, cmdSn++, cdb, read, write, edtl, immediateData, finalBit);
    }

    IscsiPdu command(int itt, int sn, byte[] cdb, boolean read, boolean write, int edtl, byte[] immediateData,
            boolean finalBit) {
        int flags = (finalBit ? Bhs.FINAL_BIT : 0) | (read ? Bhs.ScsiCommand.READ_BIT : 0)
                | (write ? Bhs.ScsiCommand.WRITE_BIT : 0) | 1; // SIMPLE
        HeaderBuilder h = header(Opcode.SCSI_COMMAND, flags)
                .itt(itt)
                .int32(Bhs.ScsiCommand.EDTL_OFFSET, edtl)
                .int32(Bhs.ScsiCommand.CMDSN_OFFSET, sn);
        byte[] padded = new byte[Bhs.ScsiCommand.CDB_LENGTH];
        System.arraycopy(cdb, 0, padded, 0, cdb.length);
        h.bytes(Bhs.ScsiCommand.CDB_OFFSET, Unpooled.wrappedBuffer(padded), 0, padded.length);
        return h.pdu(immediateData == null ? null : Unpooled.wrappedBuffer(immediateData));
    }

    IscsiPdu dataOut(int itt, int ttt, int dataSn, int offset, byte[] data, boolean finalBit) {
        return header(Opcode.SCSI_DATA_OUT, finalBit ? Bhs.FINAL_BIT : 0)
                .itt(itt)
                .int32(Bhs.Data.TTT_OFFSET, ttt)
                .int32(Bhs.Data.DATASN_OFFSET, dataSn)
                .int32(Bhs.Data.BUFFER_OFFSET_OFFSET, offset)
                .pdu(Unpooled.wrappedBuffer(data));
    }

    IscsiPdu taskManagement(int itt, int function, int referencedItt, int refCmdSn, boolean immediate) {
        int sn = immediate ? cmdSn : cmdSn++;
        return header(Opcode.TASK_MGMT_REQUEST | (immediate ? Bhs.IMMEDIATE_BIT : 0), Bhs.FINAL_BIT | function)
                .itt(itt)
                .int32(Bhs.TaskManagement.REFERENCED_TASK_TAG_OFFSET, referencedItt)
                .int32(Bhs.TaskManagement.CMDSN_OFFSET, sn)
                .int32(Bhs.TaskManagement.REF_CMDSN_OFFSET, refCmdSn)
                .pdu(null);
    }

    IscsiPdu nopOut(int itt, int ttt, boolean immediate) {
        int sn = immediate ? cmdSn : cmdSn++;
        return header(Opcode.NOP_OUT | (immediate ? Bhs.IMMEDIATE_BIT : 0), Bhs.FINAL_BIT)
                .itt(itt)
                .int32(Bhs.Nop.TTT_OFFSET, ttt)
                .int32(Bhs.ScsiCommand.CMDSN_OFFSET, sn)
                .pdu(null);
    }

    IscsiPdu logout(int itt) {
        return header(Opcode.LOGOUT_REQUEST | Bhs.IMMEDIATE_BIT, Bhs.FINAL_BIT | Bhs.Logout.REASON_CLOSE_SESSION)
                .itt(itt)
                .int32(Bhs.ScsiCommand.CMDSN_OFFSET, cmdSn)
                .pdu(null);
    }

    IscsiPdu text(int itt, int ttt, boolean finalBit, boolean continueBit, String text) {
        int flags = (finalBit ? Bhs.FINAL_BIT : 0) | (continueBit ? Bhs.Text.CONTINUE_BIT : 0);
        return header(Opcode.TEXT_REQUEST | Bhs.IMMEDIATE_BIT, flags)
                .itt(itt)
                .int32(Bhs.Text.TTT_OFFSET, ttt)
                .int32(Bhs.Text.CMDSN_OFFSET, cmdSn)
                .pdu(Unpooled.wrappedBuffer(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    void receive(IscsiPdu pdu) {
        transport.receive(pdu);
    }

    // ---------------------------------------------------------------- PDUs out

    /** The next PDU sent, which must have this opcode; the caller releases it. */
    IscsiPdu expect(int opcode) {
        IscsiPdu pdu = transport.take();
        assertThat(pdu).as("a PDU 0x%02x was sent", opcode).isNotNull();
        assertThat(pdu.opcode()).as("opcode of %s", pdu).isEqualTo(opcode);
        return pdu;
    }

    /** The next PDU is a SCSI Response for {@code itt}; returns its status, the PDU released. */
    int expectStatus(int itt) {
        IscsiPdu r = expect(Opcode.SCSI_RESPONSE);
        try {
            assertThat(r.itt()).isEqualTo(itt);
            return r.u8(Bhs.ScsiResponse.STATUS_OFFSET);
        } finally {
            r.release();
        }
    }

    void expectNothing() {
        IscsiPdu pdu = transport.take();
        if (pdu != null) {
            String s = pdu.toString();
            pdu.release();
            throw new AssertionError("nothing should be sent, got " + s);
        }
    }

    static byte[] sense(IscsiPdu response) {
        ByteBuf data = response.data();
        int length = data.getUnsignedShort(data.readerIndex());
        byte[] sense = new byte[length];
        data.getBytes(data.readerIndex() + 2, sense);
        return sense;
    }

    @Override
    public void close() {
        for (MemoryTransport t : transports) {
            t.disconnect();
            t.releaseSent();
        }
        device.hold = false;
        device.release();
        core.close();
    }
}
