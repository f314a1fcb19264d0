package io.jtarget.testinit;

/** The target answered a request with a Reject PDU (RFC 7143 §11.17). */
public class PduRejectedException extends java.io.IOException {
    private final int reason;
    private final transient Pdu reject;

    public PduRejectedException(Pdu reject) {
        super(String.format("target rejected the PDU: reason 0x%02x", reject.byteAt(IscsiWire.Reject.REASON)));
        this.reason = reject.byteAt(IscsiWire.Reject.REASON);
        this.reject = reject;
    }

    public int reason() {
        return reason;
    }

    public Pdu reject() {
        return reject;
    }
}
