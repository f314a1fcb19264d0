package io.jtarget.testinit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.testinit.IscsiWire.Opcode;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PduChannelTest {
    private ServerSocket server;
    private Socket peer;
    private PduChannel channel;

    @BeforeEach
    void connect() throws Exception {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        peer = server.accept();
        channel = new PduChannel(client, Duration.ofMillis(500));
    }

    @AfterEach
    void close() throws Exception {
        channel.close();
        peer.close();
        server.close();
    }

    private void send(byte[] wire) throws Exception {
        OutputStream out = peer.getOutputStream();
        out.write(wire);
        out.flush();
    }

    @Test
    void shouldDecodePduWhenBytesArriveInPieces() throws Exception {
        byte[] wire = Pdu.create(Opcode.NOP_IN).itt(42).data(new byte[] {1, 2, 3}).encode(true, true);
        Thread writer = new Thread(() -> {
            try {
                for (byte b : wire) {
                    peer.getOutputStream().write(b);
                    peer.getOutputStream().flush();
                }
            } catch (Exception ignored) {
                // the test fails on the reading side
            }
        });
        channel.useDigests(true, true);
        writer.start();
        Pdu pdu = channel.read();
        writer.join();
        assertThat(pdu.itt()).isEqualTo(42);
        assertThat(pdu.data()).containsExactly(1, 2, 3);
    }

    @Test
    void shouldReportViolationWhenHeaderDigestIsWrong() throws Exception {
        byte[] wire = Pdu.create(Opcode.NOP_IN).encode(true, false);
        wire[48] ^= 1;
        send(wire);
        channel.useDigests(true, false);
        assertThatThrownBy(channel::read).isInstanceOf(ProtocolViolationException.class).hasMessageContaining("header digest");
    }

    @Test
    void shouldReportViolationWhenDataDigestIsWrong() throws Exception {
        byte[] wire = Pdu.create(Opcode.NOP_IN).data(new byte[5]).encode(false, true);
        wire[wire.length - 1] ^= 1;
        send(wire);
        channel.useDigests(false, true);
        assertThatThrownBy(channel::read).isInstanceOf(ProtocolViolationException.class).hasMessageContaining("data digest");
    }

    @Test
    void shouldReportViolationWhenSegmentExceedsOurMaxRecvDataSegmentLength() throws Exception {
        send(Pdu.create(Opcode.DATA_IN).data(new byte[1024]).encode(false, false));
        channel.maxReceiveDataSegmentLength(512);
        assertThatThrownBy(channel::read).isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("MaxRecvDataSegmentLength");
    }

    @Test
    void shouldReportClosedConnectionWhenPeerHangsUpMidPdu() throws Exception {
        send(new byte[20]);
        peer.close();
        assertThatThrownBy(channel::read).isInstanceOf(ConnectionClosedException.class).hasMessageContaining("middle");
    }

    @Test
    void shouldTimeOutWhenNothingArrives() {
        assertThatThrownBy(channel::read).isInstanceOf(TargetTimeoutException.class);
    }

    @Test
    void shouldReturnEmptyWhenPollingQuietConnection() throws Exception {
        assertThat(channel.poll(Duration.ofMillis(50))).isEmpty();
        send(Pdu.create(Opcode.NOP_IN).encode(false, false));
        assertThat(channel.poll(Duration.ofMillis(500))).isPresent();
    }
}
