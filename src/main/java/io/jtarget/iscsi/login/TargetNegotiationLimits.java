package io.jtarget.iscsi.login;

import java.util.List;

/**
 * What this target is able and willing to negotiate (RFC 7143 §13). Numeric limits are the
 * target's side of a result function: for a Minimum key the result never exceeds it, for a Maximum
 * key the result is never below it.
 *
 * @param maxRecvDataSegmentLength declared to the initiator (§13.12): the largest data segment the
 *     target accepts in one PDU
 * @param maxBurstLength upper bound for the negotiated MaxBurstLength (§13.13)
 * @param firstBurstLength upper bound for the negotiated FirstBurstLength (§13.14); not above
 *     {@code maxBurstLength}
 * @param maxOutstandingR2T upper bound for MaxOutstandingR2T (§13.17)
 * @param initialR2T the target's InitialR2T value; {@code false} lets the initiator send unsolicited
 *     data if it wishes (result function OR, §13.10)
 * @param immediateData the target's ImmediateData value (AND, §13.11)
 * @param headerDigests digests the target accepts for headers (§13.1); must not be empty
 * @param dataDigests digests the target accepts for data (§13.1); must not be empty
 * @param errorRecoveryLevel highest ErrorRecoveryLevel supported (§13.20)
 * @param maxConnections upper bound for MaxConnections (§13.2)
 * @param defaultTime2Wait the target's DefaultTime2Wait (Maximum, §13.15)
 * @param defaultTime2Retain the target's DefaultTime2Retain (Minimum, §13.16)
 * @param protocolLevel highest iSCSIProtocolLevel implemented (RFC 7144 §2.1; 1 = RFC 7143)
 */
public record TargetNegotiationLimits(
        int maxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        int maxOutstandingR2T,
        boolean initialR2T,
        boolean immediateData,
        List<DigestType> headerDigests,
        List<DigestType> dataDigests,
        int errorRecoveryLevel,
        int maxConnections,
        int defaultTime2Wait,
        int defaultTime2Retain,
        int protocolLevel) {

    public TargetNegotiationLimits {
        headerDigests = List.copyOf(headerDigests);
        dataDigests = List.copyOf(dataDigests);
        requireDataLength("maxRecvDataSegmentLength", maxRecvDataSegmentLength);
        requireDataLength("maxBurstLength", maxBurstLength);
        requireDataLength("firstBurstLength", firstBurstLength);
        if (firstBurstLength > maxBurstLength) {
            // §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
            throw new IllegalArgumentException("firstBurstLength > maxBurstLength");
        }
        requireRange("maxOutstandingR2T", maxOutstandingR2T, 1, 65535);
        requireRange("errorRecoveryLevel", errorRecoveryLevel, 0, 2);
        requireRange("maxConnections", maxConnections, 1, 65535);
        requireRange("defaultTime2Wait", defaultTime2Wait, 0, 3600);
        requireRange("defaultTime2Retain", defaultTime2Retain, 0, 3600);
        requireRange("protocolLevel", protocolLevel, 1, 31);
        if (headerDigests.isEmpty() || dataDigests.isEmpty()) {
            throw new IllegalArgumentException("at least one digest must be allowed");
        }
    }

    /**
     * The defaults. MaxBurstLength is 1 MiB: Linux open-iscsi offers 16776192 and libiscsi 262144,
     * so the larger cap lets big writes use 4x fewer R2T round trips than LIO's 256 KiB while
     * bounding the data one burst can pin per task (SPDK uses the same 1 MiB). FirstBurstLength
     * stays at the RFC default 64 KiB, which bounds unsolicited data per command. DefaultTime2Retain
     * is 0 because with ErrorRecoveryLevel 0 no task state survives a lost connection.
     */
    public static TargetNegotiationLimits defaults() {
        return new TargetNegotiationLimits(
                262144,
                1024 * 1024,
                65536,
                16,
                false,
                true,
                List.of(DigestType.NONE, DigestType.CRC32C),
                List.of(DigestType.NONE, DigestType.CRC32C),
                0,
                1,
                2,
                0,
                1);
    }

    private static void requireDataLength(String name, int value) {
        requireRange(name, value, KeyRegistry.MIN_DATA_LENGTH, KeyRegistry.MAX_DATA_LENGTH);
    }

    private static void requireRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " out of range " + min + ".." + max + ": " + value);
        }
    }
}
