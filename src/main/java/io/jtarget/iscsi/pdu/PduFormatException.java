package io.jtarget.iscsi.pdu;

/** A framing error after which the byte stream cannot be trusted: the connection is closed. */
public final class PduFormatException extends RuntimeException {
    public PduFormatException(String message) {
        super(message, null, false, false);
    }
}
