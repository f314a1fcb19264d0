package io.jtarget.tcmu;

/**
 * One SCSI command taken off the command ring, copied out of its entry: with out-of-order
 * completions (TCMU_MAILBOX_FLAG_CAP_OOOC) a completion is written into the oldest consumed
 * slot, which may be this command's entry while the command still runs, so nothing is read from
 * the entry after {@link CommandRing#poll} returned.
 *
 * @param cmdId the kernel's command id (16 bits), echoed in the completion
 * @param cdb the command descriptor block
 * @param iovecs data area pieces as (offset into the mapping, length) pairs: first the
 *     {@code iovCount} pieces of the command's data, then {@code bidiCount} pieces for the Data-In
 *     of a bidirectional command
 * @param iovCount pieces of the command's data buffer (Data-Out for writes, Data-In for reads)
 * @param bidiCount pieces of a bidirectional command's Data-In buffer
 */
record RingCommand(int cmdId, byte[] cdb, long[] iovecs, int iovCount, int bidiCount) {

    long offset(int piece) {
        return iovecs[2 * piece];
    }

    long length(int piece) {
        return iovecs[2 * piece + 1];
    }

    /** Bytes of the command's (first) data buffer: the initiator's expected transfer length. */
    long dataLength() {
        long sum = 0;
        for (int i = 0; i < iovCount; i++) {
            sum += length(i);
        }
        return sum;
    }

    /** Bytes of a bidirectional command's Data-In buffer. */
    long bidiLength() {
        long sum = 0;
        for (int i = iovCount; i < iovCount + bidiCount; i++) {
            sum += length(i);
        }
        return sum;
    }
}
