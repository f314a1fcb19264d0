package io.jtarget.rdma;

/**
 * RDMA cannot be used here: rdma-core is not installed, or no RDMA device serves the address.
 * The message is one line meant for the operator, saying what to install or create.
 */
public final class RdmaUnavailableException extends RdmaException {
    static final String HOW = "RDMA needs rdma-core (Debian: rdma-core, ibverbs-providers) and an RDMA NIC"
            + " or soft-RoCE (rdma link add rxe0 type rxe netdev eth0)";
    static final String NO_LIBRARIES = "RDMA libraries not found: " + HOW
            + "; libibverbs.so.1 and librdmacm.so.1 come from the Debian packages libibverbs1 and librdmacm1";

    RdmaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    RdmaUnavailableException(String message) {
        super(message, 0);
    }

    /** No RDMA device at all on this machine. */
    static RdmaUnavailableException noDevice() {
        return new RdmaUnavailableException("no RDMA device: " + HOW);
    }

    /** Devices exist, but none has {@code address} (rdma_bind_addr found no device for it). */
    static RdmaUnavailableException noDeviceFor(String address, String reason) {
        return new RdmaUnavailableException("no RDMA device for " + address + " (" + reason + "): " + HOW
                + "; the address must belong to the RDMA device's network interface");
    }
}
