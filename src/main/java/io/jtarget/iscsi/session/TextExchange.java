package io.jtarget.iscsi.session;

import io.jtarget.iscsi.login.DiscoverableTarget;
import io.jtarget.iscsi.login.FullFeatureTextNegotiator;
import io.jtarget.iscsi.login.KeyValue;
import io.jtarget.iscsi.login.TargetPortal;
import io.jtarget.iscsi.login.TextParameters;
import io.jtarget.iscsi.pdu.Bhs;
import io.jtarget.iscsi.pdu.IscsiPdu;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Text Request / Text Response in full feature phase (RFC 7143 §11.10, §11.11): SendTargets
 * discovery (§13.3, Appendix C) and answers for keys that cannot be renegotiated here, with
 * continuation both ways (C bit, Target Transfer Tag) so long answers fit the initiator's
 * MaxRecvDataSegmentLength. Owned by the connection's event loop.
 */
final class TextExchange {
    private final TextSequence requestText;
    private ByteBuf responseText;
    private int responseItt;
    private int responseTtt = Bhs.RESERVED_TAG;
    /** Our tag on an acknowledged partial request (§11.11.2), released when the next part arrives. */
    private int requestTtt = Bhs.RESERVED_TAG;

    /** @param requestText the connection's reassembler, bounded by the configured text limit */
    TextExchange(TextSequence requestText) {
        this.requestText = requestText;
    }

    void onRequest(IscsiConnection connection, IscsiServerContext server, Session session, IscsiPdu pdu) {
        int itt = pdu.itt();
        int ttt = pdu.int32(Bhs.Text.TTT_OFFSET);
        boolean more = (pdu.flags() & Bhs.Text.CONTINUE_BIT) != 0;
        boolean finalBit = pdu.finalBit();
        long lun = pdu.lunField();

        if (ttt != Bhs.RESERVED_TAG && ttt != requestTtt) {
            // The initiator asks for the next part of a long answer (§11.10.4).
            if (responseText != null && ttt == responseTtt && itt == responseItt) {
                sendNextChunk(connection, lun);
            } else {
                connection.reject(pdu.header(), Bhs.Reject.INVALID_PDU_FIELD);
            }
            return;
        }
        // A new request, or the next part of one we acknowledged with requestTtt (§11.10.4).
        releaseTag(connection, requestTtt);
        requestTtt = Bhs.RESERVED_TAG;
        reset(connection);
        if (more && finalBit) {
            requestText.release();
            connection.reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR); // §11.10.2: C and F exclusive
            return;
        }
        if (!requestText.append(connection.transport().alloc(), pdu.data())) {
            // Longer than the configured text bound (TextLimits.maxSegmentBytes).
            connection.reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR);
            return;
        }
        if (more) {
            // Acknowledge a partial request with an empty response and a transfer tag (§11.11.2).
            requestTtt = connection.transferTags().allocate(this);
            connection.sendText(itt, requestTtt, false, false, lun, Unpooled.EMPTY_BUFFER);
            return;
        }
        List<KeyValue> offered;
        ByteBuf whole = requestText.take();
        TextParameters.Decoded decoded;
        try {
            decoded = TextParameters.decode(whole, server.loginSettings().textLimits());
        } finally {
            whole.release();
        }
        if (decoded instanceof TextParameters.Decoded.Malformed) {
            connection.reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR);
            return;
        }
        offered = ((TextParameters.Decoded.Ok) decoded).pairs();
        FullFeatureTextNegotiator.TextResult result =
                FullFeatureTextNegotiator.respond(offered, session.parameters(), visibleTargets(connection, server, session));
        if (result instanceof FullFeatureTextNegotiator.TextResult.ProtocolError) {
            connection.reject(pdu.header(), Bhs.Reject.PROTOCOL_ERROR);
            return;
        }
        FullFeatureTextNegotiator.TextResult.Answer answer = (FullFeatureTextNegotiator.TextResult.Answer) result;
        // A re-declared MaxRecvDataSegmentLength applies to what we send after this exchange (§13.12).
        connection.updateParameters(answer.parameters());
        responseText = Unpooled.wrappedBuffer(TextParameters.encode(answer.response()));
        responseItt = itt;
        sendNextChunk(connection, lun);
    }

    private void sendNextChunk(IscsiConnection connection, long lun) {
        int max = connection.limits().maxSendDataSegment();
        int n = Math.min(max, responseText.readableBytes());
        ByteBuf chunk = n == 0 ? Unpooled.EMPTY_BUFFER : responseText.readRetainedSlice(n);
        boolean last = !responseText.isReadable();
        releaseTag(connection, responseTtt);
        if (last) {
            responseText.release();
            responseText = null;
            responseTtt = Bhs.RESERVED_TAG;
            connection.sendText(responseItt, Bhs.RESERVED_TAG, true, false, lun, chunk);
        } else {
            responseTtt = connection.transferTags().allocate(this);
            connection.sendText(responseItt, responseTtt, false, true, lun, chunk);
        }
    }

    /** Targets this initiator may see, with the portal addresses it can reach (§13.3, Appendix C). */
    private static List<DiscoverableTarget> visibleTargets(IscsiConnection connection, IscsiServerContext server,
            Session session) {
        List<TargetPortal> portals = new ArrayList<>();
        for (InetSocketAddress portal : server.portals()) {
            portals.add(TargetPortal.of(reachable(portal, connection.localAddress()), server.portalGroupTag(portal)));
        }
        List<DiscoverableTarget> visible = new ArrayList<>();
        for (ExportedTarget t : server.targets()) {
            // Appendix C: SendTargets reports only targets this initiator may log in to.
            if (server.mayAccess(session.initiatorName(), connection.remoteAddress().getAddress(), t.name())) {
                visible.add(new DiscoverableTarget(t.name(), portals));
            }
        }
        return visible;
    }

    /** A wildcard listener is reported as the address the initiator reached us on. */
    private static InetSocketAddress reachable(InetSocketAddress portal, InetSocketAddress local) {
        InetAddress a = portal.getAddress();
        if (a == null || a.isAnyLocalAddress()) {
            return new InetSocketAddress(local.getAddress(), portal.getPort());
        }
        return portal;
    }

    private static void releaseTag(IscsiConnection connection, int ttt) {
        if (ttt != Bhs.RESERVED_TAG) {
            connection.transferTags().release(ttt);
        }
    }

    /** Drop a long answer still being fetched (a new request replaces it, §11.10.4). */
    private void reset(IscsiConnection connection) {
        if (responseText != null) {
            responseText.release();
            responseText = null;
        }
        releaseTag(connection, responseTtt);
        responseTtt = Bhs.RESERVED_TAG;
    }

    /** The connection closed: release what an exchange in progress holds. */
    void release() {
        if (responseText != null) {
            responseText.release();
            responseText = null;
        }
        requestText.release();
    }
}
