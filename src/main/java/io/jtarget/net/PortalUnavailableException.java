package io.jtarget.net;

/**
 * A configured portal cannot be opened for a reason the operator must fix (an iSER portal without
 * rdma-core or an RDMA device for its address). The message is the one line to show.
 */
public final class PortalUnavailableException extends RuntimeException {
    public PortalUnavailableException(String message) {
        super(message);
    }

    public PortalUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
