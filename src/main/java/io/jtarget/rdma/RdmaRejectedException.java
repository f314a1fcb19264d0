package io.jtarget.rdma;

/** The peer rejected our connect request ({@code RDMA_CM_EVENT_REJECTED}), maybe with private data (SRP_LOGIN_REJ). */
public final class RdmaRejectedException extends RdmaException {
    private final byte[] privateData;
    private final int status;

    RdmaRejectedException(int status, byte[] privateData) {
        super("connection rejected by the peer (status " + status + ", " + privateData.length
                + " bytes of private data)", 0);
        this.status = status;
        this.privateData = privateData;
    }

    /** The reject's private data (a copy). */
    public byte[] privateData() {
        return privateData.clone();
    }

    /** The CM's reject reason ({@code event->status}). */
    public int status() {
        return status;
    }
}
