package io.jtarget.testinit;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Frames PDUs on a blocking socket (RFC 7143 §11.1): reads BHS, AHS, header digest, data,
 * padding, data digest, and checks both digests when they are in force. Every read is bounded
 * by the socket timeout, so a silent target fails a test instead of hanging it.
 */
public final class PduChannel implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Duration readTimeout;
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxReceiveDataSegmentLength = IscsiWire.Keys.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;

    public PduChannel(Socket socket, Duration readTimeout) throws IOException {
        this.socket = socket;
        this.readTimeout = readTimeout;
        socket.setSoTimeout(Math.toIntExact(readTimeout.toMillis()));
        socket.setTcpNoDelay(true);
        this.in = new BufferedInputStream(socket.getInputStream(), 256 * 1024);
        this.out = socket.getOutputStream();
    }

    /** Digests take effect with the first PDU after the final Login Response (RFC 7143 §13.1). */
    public void useDigests(boolean header, boolean data) {
        this.headerDigest = header;
        this.dataDigest = data;
    }

    public boolean headerDigest() {
        return headerDigest;
    }

    public boolean dataDigest() {
        return dataDigest;
    }

    /** The largest data segment accepted from the target: our declared MaxRecvDataSegmentLength (RFC 7143 §13.12). */
    public void maxReceiveDataSegmentLength(int length) {
        this.maxReceiveDataSegmentLength = length;
    }

    public Duration readTimeout() {
        return readTimeout;
    }

    public void write(Pdu pdu) throws IOException {
        writeRaw(pdu.encode(headerDigest, dataDigest));
    }

    public void writeRaw(byte[] bytes) throws IOException {
        try {
            out.write(bytes);
            out.flush();
        } catch (SocketException e) {
            throw new ConnectionClosedException("connection lost while sending: " + e.getMessage(), e);
        }
    }

    /** Reads the next PDU; waits at most the read timeout for it to start. */
    public Pdu read() throws IOException {
        return poll(readTimeout).orElseThrow(() -> new TargetTimeoutException(
                "no PDU from the target within " + readTimeout.toMillis() + " ms"));
    }

    /**
     * Reads the next PDU if one starts within {@code wait}; once its first byte is there the rest
     * must follow within the normal read timeout.
     */
    public Optional<Pdu> poll(Duration wait) throws IOException {
        byte[] bhs = new byte[IscsiWire.BHS_LENGTH];
        int first;
        try {
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, wait.toMillis())));
            first = in.read();
        } catch (SocketTimeoutException e) {
            return Optional.empty();
        } catch (SocketException e) {
            throw new ConnectionClosedException("connection reset by the target: " + e.getMessage(), e);
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(Math.toIntExact(readTimeout.toMillis()));
            }
        }
        if (first < 0) {
            throw new ConnectionClosedException("the target closed the connection");
        }
        bhs[0] = (byte) first;
        readFully(bhs, 1, bhs.length - 1, "BHS");
        int ahsLength = (bhs[IscsiWire.Bhs.TOTAL_AHS_LENGTH] & 0xFF) * 4;
        byte[] ahs = new byte[ahsLength];
        readFully(ahs, 0, ahsLength, "AHS");
        Pdu pdu = Pdu.received(bhs, ahs, new byte[0]);
        if (headerDigest) {
            byte[] digest = new byte[IscsiWire.DIGEST_LENGTH];
            readFully(digest, 0, digest.length, "header digest");
            byte[] header = new byte[bhs.length + ahs.length];
            System.arraycopy(bhs, 0, header, 0, bhs.length);
            System.arraycopy(ahs, 0, header, bhs.length, ahs.length);
            int expected = Crc32cDigest.of(header, 0, header.length);
            int actual = Crc32cDigest.get(digest, 0);
            if (expected != actual) {
                throw new ProtocolViolationException(String.format(
                        "header digest mismatch on %s: got %08x, computed %08x (RFC 7143 §13.1), BHS %s",
                        IscsiWire.Opcode.name(pdu.opcode()), actual, expected, HexFormat.of().formatHex(bhs)));
            }
        }
        int length = pdu.headerDataSegmentLength();
        if (length > maxReceiveDataSegmentLength) {
            throw new ProtocolViolationException(String.format(
                    "%s carries a %d-byte data segment, more than our MaxRecvDataSegmentLength %d (RFC 7143 §13.12)",
                    IscsiWire.Opcode.name(pdu.opcode()), length, maxReceiveDataSegmentLength));
        }
        int padded = Pdu.padded(length);
        byte[] segment = new byte[padded];
        readFully(segment, 0, padded, "data segment");
        if (dataDigest && length > 0) {
            byte[] digest = new byte[IscsiWire.DIGEST_LENGTH];
            readFully(digest, 0, digest.length, "data digest");
            int expected = Crc32cDigest.of(segment, 0, padded);
            int actual = Crc32cDigest.get(digest, 0);
            if (expected != actual) {
                throw new ProtocolViolationException(String.format(
                        "data digest mismatch on %s: got %08x, computed %08x (RFC 7143 §13.1)",
                        IscsiWire.Opcode.name(pdu.opcode()), actual, expected));
            }
        }
        byte[] data = padded == length ? segment : java.util.Arrays.copyOf(segment, length);
        return Optional.of(pdu.data(data));
    }

    private void readFully(byte[] buf, int off, int len, String what) throws IOException {
        int done = 0;
        try {
            while (done < len) {
                int n = in.read(buf, off + done, len - done);
                if (n < 0) {
                    throw new EOFException();
                }
                done += n;
            }
        } catch (EOFException e) {
            throw new ConnectionClosedException("the target closed the connection in the middle of a PDU ("
                    + what + ", " + done + " of " + len + " bytes)");
        } catch (SocketTimeoutException e) {
            throw new TargetTimeoutException("PDU cut short: " + what + " stalled after " + done + " of " + len
                    + " bytes for " + readTimeout.toMillis() + " ms");
        } catch (SocketException e) {
            throw new ConnectionClosedException("connection reset by the target: " + e.getMessage(), e);
        }
    }

    /** True when the target closes the connection within {@code wait} (any PDUs before that are discarded). */
    public boolean awaitClose(Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                if (poll(Duration.ofNanos(left)).isEmpty()) {
                    return false;
                }
            } catch (ConnectionClosedException e) {
                return true;
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
