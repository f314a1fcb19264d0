package io.jtarget.iscsi.login;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The target's side of RFC 7143 §6.2 for keys the initiator offers: list selection (§6.2.1) and
 * the Boolean and numerical result functions (§6.2.2), using the target's own values from
 * {@link TargetNegotiationLimits}.
 */
final class AcceptorRules {
    private final TargetNegotiationLimits limits;
    private final Optional<IserLoginLimits> iser;

    AcceptorRules(TargetNegotiationLimits limits) {
        this(limits, Optional.empty());
    }

    /** @param iser the portal's iSER limits; empty on a TCP portal, which answers RDMAExtensions=No */
    AcceptorRules(TargetNegotiationLimits limits, Optional<IserLoginLimits> iser) {
        this.limits = limits;
        this.iser = iser;
    }

    /**
     * The value to answer for an offered list, Boolean or numeric key. The answer is also the
     * negotiated result unless it is {@code Reject}, in which case the value in force is unchanged.
     */
    String answer(KeyDefinition key, String offered) {
        // The reserved answers are not offers (§6.2).
        if (TextValues.isReservedAnswer(offered)) {
            return TextKeys.REJECT;
        }
        return switch (key.type()) {
            case LIST -> selectFromList(key.name(), offered);
            case BOOLEAN_AND, BOOLEAN_OR -> booleanResult(key, offered);
            case NUMERIC_MIN, NUMERIC_MAX -> numericResult(key, offered);
            default -> throw new IllegalArgumentException("not a negotiated key: " + key.name());
        };
    }

    /** §6.2.1: the first offered value the target supports, or Reject. */
    private String selectFromList(String key, String offered) {
        List<String> items = TextValues.parseList(offered);
        for (String item : items) {
            if (supports(key, item)) {
                return item;
            }
        }
        return TextKeys.REJECT;
    }

    private boolean supports(String key, String item) {
        return switch (key) {
            case TextKeys.HEADER_DIGEST -> DigestType.fromWire(item).filter(limits.headerDigests()::contains).isPresent();
            case TextKeys.DATA_DIGEST -> DigestType.fromWire(item).filter(limits.dataDigests()::contains).isPresent();
            // §13.23: ResponseFence and FastAbort need task-reporting semantics this target lacks.
            case TextKeys.TASK_REPORTING -> item.equals(TextKeys.TASK_REPORTING_RFC3720);
            default -> false;
        };
    }

    /** §6.2.2: "Yes"/"No" combined with the target's value by AND or OR. */
    private String booleanResult(KeyDefinition key, String offered) {
        Boolean initiator = TextValues.parseBoolean(offered);
        if (initiator == null) {
            return TextKeys.REJECT;
        }
        boolean target = targetBoolean(key.name());
        boolean result = key.type() == KeyType.BOOLEAN_AND ? initiator && target : initiator || target;
        return TextValues.booleanValue(result);
    }

    /** §6.2.2: Minimum / Maximum of the offered and the target's value; out-of-range offers are rejected. */
    private String numericResult(KeyDefinition key, String offered) {
        OptionalLong parsed = TextValues.parseNumber(offered);
        if (parsed.isEmpty() || parsed.getAsLong() < key.min() || parsed.getAsLong() > key.max()) {
            return TextKeys.REJECT;
        }
        if (key.name().equals(TextKeys.MAX_OUTSTANDING_UNEXPECTED_PDUS)) {
            // "0 | 2..2^32-1": a limit of one PDU is not a value the key can take.
            return parsed.getAsLong() == 1 ? TextKeys.REJECT : Long.toString(unexpectedPduLimit(parsed.getAsLong()));
        }
        long target = targetNumber(key.name());
        long result = key.type() == KeyType.NUMERIC_MIN
                ? Math.min(parsed.getAsLong(), target)
                : Math.max(parsed.getAsLong(), target);
        return Long.toString(result);
    }

    /** RFC 7145 §6.7: Minimum, where 0 ("no limit") is larger than every number. */
    private long unexpectedPduLimit(long offered) {
        long own = iser.orElseThrow().maxOutstandingUnexpectedPdus();
        return offered == 0 ? own : Math.min(offered, own);
    }

    boolean targetBoolean(String key) {
        return switch (key) {
            case TextKeys.INITIAL_R2T -> limits.initialR2T();
            case TextKeys.IMMEDIATE_DATA -> limits.immediateData();
            // OR with Yes: the target always delivers and expects in-order data (§13.18, §13.19).
            case TextKeys.DATA_PDU_IN_ORDER, TextKeys.DATA_SEQUENCE_IN_ORDER -> true;
            // RFC 7145 §6.3: AND; only a portal reached over RDMA can say Yes.
            case TextKeys.RDMA_EXTENSIONS -> iser.isPresent();
            default -> throw new IllegalArgumentException("not a Boolean key: " + key);
        };
    }

    long targetNumber(String key) {
        return switch (key) {
            case TextKeys.MAX_CONNECTIONS -> limits.maxConnections();
            case TextKeys.MAX_BURST_LENGTH -> limits.maxBurstLength();
            case TextKeys.FIRST_BURST_LENGTH -> limits.firstBurstLength();
            case TextKeys.DEFAULT_TIME_2_WAIT -> limits.defaultTime2Wait();
            case TextKeys.DEFAULT_TIME_2_RETAIN -> limits.defaultTime2Retain();
            case TextKeys.MAX_OUTSTANDING_R2T -> limits.maxOutstandingR2T();
            case TextKeys.ERROR_RECOVERY_LEVEL -> limits.errorRecoveryLevel();
            case TextKeys.ISCSI_PROTOCOL_LEVEL -> limits.protocolLevel();
            case TextKeys.TARGET_RECV_DATA_SEGMENT_LENGTH -> iser.orElseThrow().targetRecvDataSegmentLength();
            case TextKeys.INITIATOR_RECV_DATA_SEGMENT_LENGTH -> iser.orElseThrow().initiatorRecvDataSegmentLength();
            default -> throw new IllegalArgumentException("not a numeric key: " + key);
        };
    }
}
