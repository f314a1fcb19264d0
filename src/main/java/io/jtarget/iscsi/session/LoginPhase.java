package io.jtarget.iscsi.session;

import io.jtarget.iscsi.login.KeyRegistry;
import io.jtarget.iscsi.login.KeyValue;
import io.jtarget.iscsi.login.LoginFailure;
import io.jtarget.iscsi.login.LoginNegotiator;
import io.jtarget.iscsi.login.LoginStatus;
import io.jtarget.iscsi.login.NegotiatedParameters;
import io.jtarget.iscsi.login.NegotiationResult;
import io.jtarget.iscsi.login.SessionType;
import io.jtarget.iscsi.login.Stage;
import io.jtarget.iscsi.login.TextParameters;
import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.HeaderBuilder;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.jtarget.iscsi.pdu.Opcode;
import io.jtarget.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login phase of one connection (RFC 7143 §6.3, §11.12, §11.13): Login Request PDUs in,
 * Login Response PDUs out, stage transitions, text continuation, and finally a session in full
 * feature phase — or a failure status and a closed connection. Key negotiation itself is the
 * {@link LoginNegotiator}'s; this class owns the PDU rules around it.
 */
final class LoginPhase {
    private static final Logger log = LoggerFactory.getLogger(LoginPhase.class);

    /** Login PDUs per login, a bound on a login that never ends (hostile input). */
    private static final int MAX_LOGIN_PDUS = 64;
    /** Data segment of a Login Response: the initiator's MaxRecvDataSegmentLength is its default during login (§13.12). */
    private static final int LOGIN_SEGMENT = KeyRegistry.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;

    private final IscsiConnection connection;
    private final IscsiServerContext server;
    private final LoginNegotiator negotiator;

    private boolean first = true;
    private int pdus;
    private long isid;
    private int tsih;
    private int cid;
    private int cmdSn;
    private int currentStage;
    /** Text of a Login Request sequence still arriving (C bit, §6.1). */
    private final TextSequence pendingText;
    /** Response text still to send (our own C-bit sequence). */
    private ByteBuf pendingResponse;
    private int pendingResponseFlags;

    /** Admission control's verdict on this connection: a status to refuse its login with. */
    private final Optional<LoginStatus> refused;

    /**
     * @param peer the initiator's address, for address-based access control (null: unknown)
     * @param refused set when admission control turned the connection down; its first Login
     *     Request is answered with this status and the connection closes
     */
    LoginPhase(IscsiConnection connection, IscsiServerContext server, InetAddress peer, Optional<LoginStatus> refused) {
        this.connection = connection;
        this.server = server;
        this.negotiator = new LoginNegotiator(server.loginSettings(connection.localAddress()), peer,
                connection.transport().loginKeys());
        this.refused = refused;
        this.pendingText = connection.textSequence();
    }

    void onPdu(IscsiPdu pdu) {
        if (pdu.opcode() != Opcode.LOGIN_REQUEST) {
            // §6.1: only Login PDUs until the login completes; anything else ends the connection.
            log.warn("{}: {} before login completed; closing", connection.peer(), Opcode.name(pdu.opcode()));
            fail(pdu, new LoginFailure(LoginStatus.INITIATOR_ERROR, "non-login PDU during login"));
            return;
        }
        if (++pdus > MAX_LOGIN_PDUS) {
            fail(pdu, new LoginFailure(LoginStatus.INITIATOR_ERROR, "too many login PDUs"));
            return;
        }
        int flags = pdu.flags();
        boolean transit = (flags & Bhs.Login.TRANSIT_BIT) != 0;
        boolean more = (flags & Bhs.Login.CONTINUE_BIT) != 0;
        int csg = (flags >>> Bhs.Login.CSG_SHIFT) & Bhs.Login.STAGE_MASK;
        int nsg = flags & Bhs.Login.STAGE_MASK;
        int versionMax = pdu.u8(Bhs.Login.VERSION_MAX_OFFSET);
        int versionMin = pdu.u8(Bhs.Login.VERSION_MIN_OFFSET);
        long pduIsid = pdu.long64(Bhs.Login.ISID_OFFSET) >>> 16;
        int pduTsih = pdu.u16(Bhs.Login.TSIH_OFFSET);

        if (first) {
            first = false;
            isid = pduIsid;
            tsih = pduTsih;
            cid = pdu.u16(Bhs.Login.CID_OFFSET);
            cmdSn = pdu.int32(Bhs.Login.CMDSN_OFFSET);
            currentStage = csg;
            // §11.13.4: the first response's StatSN starts the connection's status numbering.
            connection.initStatSn(pdu.int32(Bhs.Login.EXP_STATSN_OFFSET));
            if (refused.isPresent()) {
                fail(pdu, new LoginFailure(refused.get(), "connection limit reached ("
                        + server.admission().open() + " open)"));
                return;
            }
            // §11.12.4: we speak version 0x00 only.
            if (versionMin > Bhs.Login.VERSION || versionMax < Bhs.Login.VERSION) {
                fail(pdu, new LoginFailure(LoginStatus.UNSUPPORTED_VERSION,
                        "version range " + versionMin + ".." + versionMax));
                return;
            }
        } else if (pduIsid != isid || pduTsih != tsih) {
            fail(pdu, new LoginFailure(LoginStatus.INITIATOR_ERROR, "ISID or TSIH changed during login"));
            return;
        }
        if (pendingResponse != null) {
            // The initiator acknowledges a partial response with an empty request (§6.1).
            sendResponseChunk(pdu);
            return;
        }
        if (csg != currentStage || csg == 2 || csg == Bhs.Login.STAGE_FULL_FEATURE
                || (transit && (nsg == 2 || nsg <= csg)) || (transit && more)) {
            fail(pdu, new LoginFailure(LoginStatus.INITIATOR_ERROR,
                    "bad stage transition CSG=" + csg + " NSG=" + nsg + " T=" + transit + " C=" + more));
            return;
        }
        // Reassemble the text of a C-bit sequence (§6.1); answer each partial PDU with an empty response.
        if (pdu.data().isReadable() && !pendingText.append(connection.transport().alloc(), pdu.data())) {
            fail(pdu, new LoginFailure(LoginStatus.INITIATOR_ERROR, "login text too long"));
            return;
        }
        if (more) {
            respond(pdu, 0, csg, csg, Unpooled.EMPTY_BUFFER, LoginStatus.SUCCESS, 0);
            return;
        }
        ByteBuf text = pendingText.take();
        List<KeyValue> offered;
        try {
            TextParameters.Decoded decoded = TextParameters.decode(text, server.loginSettings().textLimits());
            if (decoded instanceof TextParameters.Decoded.Malformed bad) {
                fail(pdu, new LoginFailure(LoginStatus.INITIATOR_ERROR, "malformed login text: " + bad.error()
                        + " (" + bad.detail() + ")"));
                return;
            }
            offered = ((TextParameters.Decoded.Ok) decoded).pairs();
        } finally {
            text.release();
        }
        Stage stage = Stage.fromCsg(csg).orElseThrow();
        NegotiationResult result = negotiator.negotiate(stage, offered);
        if (result instanceof NegotiationResult.Fail f) {
            fail(pdu, f.failure());
            return;
        }
        NegotiationResult.Proceed proceed = (NegotiationResult.Proceed) result;
        boolean moving = transit && proceed.stageComplete();
        int nextStage = moving ? nsg : csg;
        ByteBuf response = Unpooled.wrappedBuffer(TextParameters.encode(proceed.response()));
        if (moving && nsg == Bhs.Login.STAGE_FULL_FEATURE) {
            Optional<LoginFailure> refused = completeLogin(pdu);
            if (refused.isPresent()) {
                response.release();
                fail(pdu, refused.get());
                return;
            }
        }
        int responseFlags = (moving ? Bhs.Login.TRANSIT_BIT : 0) | (csg << Bhs.Login.CSG_SHIFT) | nextStage;
        if (response.readableBytes() > LOGIN_SEGMENT) {
            // Our answer does not fit one PDU: send it as a C-bit sequence, T only on the last.
            pendingResponse = response;
            pendingResponseFlags = responseFlags;
            sendResponseChunk(pdu);
            return;
        }
        sendFinalOrIntermediate(pdu, responseFlags, response);
    }

    private void sendResponseChunk(IscsiPdu pdu) {
        int n = Math.min(LOGIN_SEGMENT, pendingResponse.readableBytes());
        ByteBuf chunk = pendingResponse.readRetainedSlice(n);
        if (pendingResponse.isReadable()) {
            // §11.13.1: C=1 requires T=0; the stage does not change until the last chunk.
            int csg = (pendingResponseFlags >>> Bhs.Login.CSG_SHIFT) & Bhs.Login.STAGE_MASK;
            respond(pdu, Bhs.Login.CONTINUE_BIT, csg, csg, chunk, LoginStatus.SUCCESS, tsih);
            return;
        }
        pendingResponse.release();
        pendingResponse = null;
        sendFinalOrIntermediate(pdu, pendingResponseFlags, chunk);
    }

    private void sendFinalOrIntermediate(IscsiPdu pdu, int flags, ByteBuf data) {
        boolean fullFeature = (flags & Bhs.Login.TRANSIT_BIT) != 0 && (flags & Bhs.Login.STAGE_MASK) == Bhs.Login.STAGE_FULL_FEATURE;
        int csg = (flags >>> Bhs.Login.CSG_SHIFT) & Bhs.Login.STAGE_MASK;
        int nsg = flags & Bhs.Login.STAGE_MASK;
        if ((flags & Bhs.Login.TRANSIT_BIT) != 0) {
            currentStage = nsg;
        }
        respond(pdu, flags & Bhs.Login.TRANSIT_BIT, csg, nsg, data, LoginStatus.SUCCESS, fullFeature ? newSession.tsih() : tsih);
        if (fullFeature) {
            connection.enterFullFeature(newSession);
            if (newSession.target() != null) {
                newSession.target().core().nexusEstablished(newSession.nexus());
            }
        }
    }

    private Session newSession;

    /**
     * The last step before full feature phase: build the session and register it, reinstating
     * (closing) an older session of the same I_T nexus (§6.3.5).
     */
    private Optional<LoginFailure> completeLogin(IscsiPdu pdu) {
        NegotiatedParameters p = negotiator.negotiatedParameters();
        if (tsih != 0) {
            // Adding a connection to a session: we negotiate MaxConnections=1 at ErrorRecoveryLevel 0,
            // so the only case is a reconnect after the old connection failed. Its session is gone
            // or about to be; end it and let the initiator start a new session (§6.3.4, §11.13.5).
            Optional<Session> existing = server.sessions().byTsih(tsih);
            existing.filter(s -> s.isid() == isid && s.initiatorName().equals(p.initiatorName()))
                    .ifPresent(s -> {
                        s.releaseNexus();
                        if (s.connection() != null) {
                            s.connection().closeForReinstatement();
                        }
                    });
            return Optional.of(new LoginFailure(LoginStatus.SESSION_DOES_NOT_EXIST,
                    "TSIH " + tsih + " names no session this connection can join"));
        }
        ExportedTarget target = null;
        if (p.sessionType() == SessionType.NORMAL) {
            target = server.target(p.targetName().orElse(null));
            if (target == null) {
                return Optional.of(new LoginFailure(LoginStatus.NOT_FOUND, "unknown target"));
            }
        }
        String targetName = target == null ? "" : target.name();
        // One target port per portal group; its relative target port identifier is the tag.
        int tpgt = server.portalGroupTag(connection.localAddress());
        ItNexus nexus = new ItNexus(
                String.format("%s,i,0x%012x", p.initiatorName(), isid),
                IscsiServerContext.targetPortName(targetName, tpgt),
                tpgt);
        Session session = new Session(isid, p.initiatorName(), p.initiatorAlias().orElse(null),
                p.sessionType() == SessionType.NORMAL ? Session.Type.NORMAL : Session.Type.DISCOVERY,
                target, nexus, p, new CommandWindow(cmdSn, server.limits().maxCommandsPerSession()));
        SessionRegistry.Registration registration = server.sessions().register(session,
                server.connectionLimits().maxSessionsPerTarget(), server.connectionLimits().maxSessionsPerInitiator());
        if (registration.refusal().isPresent()) {
            return registration.refusal();
        }
        Optional<Session> replaced = registration.replaced();
        replaced.ifPresent(old -> {
            // Session reinstatement: the old nexus' tasks are aborted before the new one starts.
            old.releaseNexus();
            if (old.connection() != null) {
                old.connection().closeForReinstatement();
            }
        });
        newSession = session;
        return Optional.empty();
    }

    private void respond(IscsiPdu request, int flags, int csg, int nsg, ByteBuf data, LoginStatus status, int tsihOut) {
        int wireFlags = (flags & (Bhs.Login.TRANSIT_BIT | Bhs.Login.CONTINUE_BIT)) | (csg << Bhs.Login.CSG_SHIFT) | nsg;
        int window = server.limits().maxCommandsPerSession();
        ByteBuf header = HeaderBuilder.of(connection.transport().alloc(), Opcode.LOGIN_RESPONSE, wireFlags)
                .u8(Bhs.Login.VERSION_MAX_OFFSET, Bhs.Login.VERSION)
                .u8(Bhs.Login.VERSION_ACTIVE_OFFSET, Bhs.Login.VERSION)
                .bytes(Bhs.Login.ISID_OFFSET, request.header(), request.header().readerIndex() + Bhs.Login.ISID_OFFSET,
                        Bhs.Login.ISID_LENGTH)
                .u16(Bhs.Login.TSIH_OFFSET, tsihOut)
                .itt(request.itt())
                .int32(Bhs.Login.STATSN_OFFSET, connection.nextStatSn())
                .int32(Bhs.Login.EXP_CMDSN_OFFSET, cmdSn)
                .int32(Bhs.Login.MAX_CMDSN_OFFSET, cmdSn + window - 1)
                .u8(Bhs.Login.STATUS_CLASS_OFFSET, status.statusClass())
                .u8(Bhs.Login.STATUS_DETAIL_OFFSET, status.statusDetail())
                .build();
        IscsiPdu response = IscsiPdu.of(header, data);
        if (status == LoginStatus.SUCCESS) {
            connection.write(response);
        } else {
            connection.writeAndClose(response);
        }
    }

    /** §6.3, §11.13.5: answer with the failure status, then close the connection. */
    private void fail(IscsiPdu request, LoginFailure failure) {
        log.warn("login refused: {} from {}: {} (status 0x{})", negotiator.initiatorName().orElse("(no InitiatorName)"),
                connection.peer(), failure.reason(), String.format("%04x", failure.status().code()));
        int csg = (request.flags() >>> Bhs.Login.CSG_SHIFT) & Bhs.Login.STAGE_MASK;
        respond(request, 0, csg, 0, Unpooled.EMPTY_BUFFER, failure.status(), tsih);
        abandon();
    }

    /** Release what a login in progress holds (connection closed). */
    void abandon() {
        pendingText.release();
        if (pendingResponse != null) {
            pendingResponse.release();
            pendingResponse = null;
        }
    }
}
