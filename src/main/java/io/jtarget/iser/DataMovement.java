package io.jtarget.iser;

/**
 * How the data of one SCSI command moves over iSER (RFC 7145 §7): the target turns every
 * R2T into an RDMA Read of the initiator's write buffer and every Data-In into an RDMA Write to
 * its read buffer, so neither R2T, solicited Data-Out nor Data-In PDUs appear on the wire. What
 * the initiator sends unsolicited (immediate data in the command's own Send, and with
 * InitialR2T=No unsolicited Data-Out PDUs up to FirstBurstLength) still comes in Sends.
 *
 * <p>Pure arithmetic over the command header and the negotiated values; the transport applies it.
 */
public final class DataMovement {
    private DataMovement() {}

    /**
     * A WRITE's data: bytes {@code [0, unsolicitedLength)} arrive in Sends (the first
     * {@code immediateLength} of them in the command PDU), bytes {@code [unsolicitedLength,
     * expectedLength)} are fetched with RDMA Read from {@code source}, whose base offset addresses
     * byte {@code unsolicitedLength} (Linux ib_iser advertises its buffer's address plus the
     * unsolicited size; LIO isert reads from it so).
     */
    public record WritePlan(int expectedLength, int immediateLength, int unsolicitedLength, RemoteBuffer source) {
        public int rdmaReadLength() {
            return expectedLength - unsolicitedLength;
        }

        /** Unsolicited Data-Out PDUs still to come after the command's immediate data. */
        public int unsolicitedDataOutLength() {
            return unsolicitedLength - immediateLength;
        }
    }

    /** A READ's data: at most {@code expectedLength} bytes RDMA-written to {@code sink} before the response. */
    public record ReadPlan(int expectedLength, RemoteBuffer sink) {
        /** How much of {@code available} bytes of result data go to the initiator (the rest is residual). */
        public int transferLength(int available) {
            return Math.min(available, expectedLength);
        }
    }

    /** The command's header breaks RFC 7145 for its data; the command gets CHECK CONDITION. */
    public static final class InvalidTransfer extends Exception {
        public InvalidTransfer(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * @param expectedLength the command's Expected Data Transfer Length
     * @param immediateLength the command PDU's data segment length
     * @param initialR2T the negotiated InitialR2T
     * @param firstBurstLength the negotiated FirstBurstLength
     * @param source the write buffer the iSER header advertised (WSV), or null
     */
    public static WritePlan write(int expectedLength, int immediateLength, boolean initialR2T, int firstBurstLength,
            RemoteBuffer source) throws InvalidTransfer {
        if (immediateLength > expectedLength) {
            // RFC 7143 §11.4.5: more data than expected.
            throw new InvalidTransfer("immediate data " + immediateLength + " beyond expected length " + expectedLength);
        }
        if (immediateLength > firstBurstLength) {
            throw new InvalidTransfer("immediate data " + immediateLength + " beyond FirstBurstLength " + firstBurstLength);
        }
        // RFC 7143 §13.10, §13.14: with InitialR2T=No the initiator sends unsolicited data up to
        // FirstBurstLength (or the whole transfer when shorter); with Yes only the immediate data.
        int unsolicited = initialR2T ? immediateLength : Math.min(firstBurstLength, expectedLength);
        if (unsolicited < expectedLength && source == null) {
            // RFC 7145 §7: solicited data needs an advertised write buffer (WSV).
            throw new InvalidTransfer("no write STag for " + (expectedLength - unsolicited) + " solicited bytes");
        }
        return new WritePlan(expectedLength, immediateLength, unsolicited, source);
    }

    /**
     * @param expectedLength the command's Expected Data Transfer Length
     * @param sink the read buffer the iSER header advertised (RSV), or null
     */
    public static ReadPlan read(int expectedLength, RemoteBuffer sink) throws InvalidTransfer {
        if (expectedLength > 0 && sink == null) {
            throw new InvalidTransfer("no read STag for " + expectedLength + " bytes of Data-In");
        }
        return new ReadPlan(expectedLength, sink);
    }
}
