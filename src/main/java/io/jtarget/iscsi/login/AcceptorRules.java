package io.jtarget.iscsi.login;

import java.util.List;
import java.util.OptionalLong;

/**
 * The target's side of RFC 7143 §6.2 for keys the initiator offers: list selection (§6.2.1) and
 * the Boolean and numerical result functions (§6.2.2), using the target's own values from
 * {@link TargetNegotiationLimits}.
 */
final class AcceptorRules {
    private final TargetNegotiationLimits limits;
    private final TransportKeyRules transportKeys;

    AcceptorRules(TargetNegotiationLimits limits, TransportKeyRules transportKeys) {
        this.limits = limits;
        this.transportKeys = transportKeys;
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
        long target = targetNumber(key.name());
        long result = key.type() == KeyType.NUMERIC_MIN
                ? Math.min(parsed.getAsLong(), target)
                : Math.max(parsed.getAsLong(), target);
        return Long.toString(result);
    }

    boolean targetBoolean(String key) {
        return switch (key) {
            case TextKeys.INITIAL_R2T -> limits.initialR2T();
            case TextKeys.IMMEDIATE_DATA -> limits.immediateData();
            // OR with Yes: the target always delivers and expects in-order data (§13.18, §13.19).
            case TextKeys.DATA_PDU_IN_ORDER, TextKeys.DATA_SEQUENCE_IN_ORDER -> true;
            default -> transportKeys.targetBoolean(key);
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
            default -> transportKeys.targetNumber(key);
        };
    }
}
