package io.jtarget.testinit;

import io.jtarget.testinit.IscsiWire.Keys;
import io.jtarget.testinit.IscsiWire.Login;
import io.jtarget.testinit.IscsiWire.Opcode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A fake target for testing the test initiator itself: accepts one connection and runs a script
 * against it on a background thread, using the same PDU framing.
 */
final class ScriptedTarget implements AutoCloseable {
    interface Script {
        void run(PduChannel channel) throws Exception;
    }

    private final ServerSocket server;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    ScriptedTarget(Script script) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(() -> {
            try (Socket socket = server.accept(); PduChannel channel = new PduChannel(socket, Duration.ofSeconds(5))) {
                script.run(channel);
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }, "scripted-target");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** Waits for the script to finish; rethrows what it threw. */
    void awaitScript() throws Exception {
        done.get(10, TimeUnit.SECONDS);
    }

    /** Answers a straight-to-operational login: one response, T=1, NSG=FFP, echoing digests None. */
    static Pdu acceptLogin(PduChannel channel, int statSn, int maxCmdSnAhead) throws IOException {
        Pdu request = channel.read();
        if (request.opcode() != Opcode.LOGIN_REQUEST) {
            throw new AssertionError("expected login, got " + request);
        }
        TextParameters offered = TextParameters.decode(request.data());
        TextParameters answer = new TextParameters();
        for (var e : offered.entries()) {
            switch (e.getKey()) {
                case Keys.INITIATOR_NAME, Keys.TARGET_NAME, Keys.SESSION_TYPE, Keys.MAX_RECV_DATA_SEGMENT_LENGTH -> { }
                case Keys.HEADER_DIGEST, Keys.DATA_DIGEST -> answer.add(e.getKey(), "None");
                default -> answer.add(e.getKey(), e.getValue());
            }
        }
        answer.add(Keys.TARGET_PORTAL_GROUP_TAG, "1");
        answer.add(Keys.MAX_RECV_DATA_SEGMENT_LENGTH, "8192");
        Pdu response = Pdu.create(Opcode.LOGIN_RESPONSE)
                .flags(Login.FLAG_TRANSIT | (Login.STAGE_OPERATIONAL << Login.CSG_SHIFT) | Login.STAGE_FULL_FEATURE)
                .shortAt(Login.TSIH, 0x1234)
                .itt(request.itt())
                .intAt(IscsiWire.Bhs.STAT_SN, statSn)
                .intAt(IscsiWire.Bhs.EXP_CMD_SN, request.cmdSn())
                .intAt(IscsiWire.Bhs.MAX_CMD_SN, request.cmdSn() + maxCmdSnAhead)
                .data(answer.encode());
        System.arraycopy(request.bhs(), Login.ISID, response.bhs(), Login.ISID, Login.ISID_LENGTH);
        channel.write(response);
        return request;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
