package io.jtarget.testinit;

import io.jtarget.testinit.IscsiWire.Keys;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps our offers and the target's answers across the PDUs of one login and computes the
 * result by RFC 7143 §6.2 and §13: list keys take the responder's choice from our list, Boolean
 * keys use AND/OR, numeric keys take the minimum (DefaultTime2Wait the maximum), and
 * declarative keys (MaxRecvDataSegmentLength, TargetAlias, ...) are simply recorded.
 */
final class Negotiation {
    /** Keys each side just declares; no answer is expected (RFC 7143 §6.2, §13). */
    private static final Set<String> DECLARATIVE = Set.of(
            Keys.INITIATOR_NAME, Keys.TARGET_NAME, Keys.SESSION_TYPE, Keys.INITIATOR_ALIAS, Keys.TARGET_ALIAS,
            Keys.TARGET_ADDRESS, Keys.TARGET_PORTAL_GROUP_TAG, Keys.MAX_RECV_DATA_SEGMENT_LENGTH);
    private static final Set<String> OR_KEYS = Set.of(Keys.INITIAL_R2T, Keys.DATA_PDU_IN_ORDER, Keys.DATA_SEQUENCE_IN_ORDER);
    private static final Set<String> AND_KEYS = Set.of(Keys.IMMEDIATE_DATA);
    private static final Set<String> MIN_KEYS = Set.of(Keys.MAX_BURST_LENGTH, Keys.FIRST_BURST_LENGTH,
            Keys.MAX_OUTSTANDING_R2T, Keys.MAX_CONNECTIONS, Keys.DEFAULT_TIME_2_RETAIN, Keys.ERROR_RECOVERY_LEVEL);
    private static final Set<String> MAX_KEYS = Set.of(Keys.DEFAULT_TIME_2_WAIT);
    private static final Set<String> LIST_KEYS = Set.of(Keys.HEADER_DIGEST, Keys.DATA_DIGEST, Keys.AUTH_METHOD);

    private final Map<String, String> offered = new LinkedHashMap<>();
    private final Map<String, String> answered = new LinkedHashMap<>();
    /** Target-originated offers and what we answered. */
    private final Map<String, String> ourAnswers = new LinkedHashMap<>();
    private final TextParameters allTargetKeys = new TextParameters();

    void offered(TextParameters sent) {
        for (Map.Entry<String, String> e : sent.entries()) {
            if (!DECLARATIVE.contains(e.getKey()) && !ourAnswers.containsKey(e.getKey())) {
                offered.put(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Takes the keys of one Login Response and returns the answers we owe for keys the target
     * offered on its own (RFC 7143 §6.2: every offer gets an answer).
     */
    TextParameters received(TextParameters keys) throws ProtocolViolationException {
        allTargetKeys.addAll(keys);
        TextParameters owed = new TextParameters();
        for (Map.Entry<String, String> e : keys.entries()) {
            String key = e.getKey();
            String value = e.getValue();
            if (DECLARATIVE.contains(key)) {
                if (key.equals(Keys.MAX_RECV_DATA_SEGMENT_LENGTH)) {
                    int v = parseNumber(key, value);
                    if (v < Keys.MIN_LENGTH_VALUE || v > Keys.MAX_LENGTH_VALUE) {
                        throw new ProtocolViolationException("target declared MaxRecvDataSegmentLength=" + value
                                + ", outside 512..16777215 (RFC 7143 §13.12)");
                    }
                }
                answered.put(key, value);
            } else if (offered.containsKey(key)) {
                checkAnswer(key, offered.get(key), value);
                answered.put(key, value);
            } else if (ourAnswers.containsKey(key)) {
                throw new ProtocolViolationException("target repeated its offer of " + key + " (RFC 7143 §6.2)");
            } else {
                String answer = answerTargetOffer(key, value);
                ourAnswers.put(key, answer);
                answered.put(key, value);
                owed.add(key, answer);
            }
        }
        return owed;
    }

    private static void checkAnswer(String key, String offer, String answer) throws ProtocolViolationException {
        if (answer.equals(Keys.IRRELEVANT)) {
            return;
        }
        if (answer.equals(Keys.NOT_UNDERSTOOD) || answer.equals(Keys.REJECT)) {
            throw new ProtocolViolationException("target answered " + key + "=" + answer
                    + " to our offer " + offer + "; RFC 7143 §13 defines this key");
        }
        if (LIST_KEYS.contains(key)) {
            List<String> choices = Arrays.asList(offer.split(","));
            if (!choices.contains(answer)) {
                throw new ProtocolViolationException("target chose " + key + "=" + answer
                        + ", not one of our offered values " + offer + " (RFC 7143 §6.2.1)");
            }
        } else if (OR_KEYS.contains(key)) {
            requireYesNo(key, answer);
            if (offer.equals(Keys.YES) && answer.equals(Keys.NO)) {
                throw new ProtocolViolationException(key + " is an OR key: offered Yes, target answered No (RFC 7143 §6.2.2)");
            }
        } else if (AND_KEYS.contains(key)) {
            requireYesNo(key, answer);
            if (offer.equals(Keys.NO) && answer.equals(Keys.YES)) {
                throw new ProtocolViolationException(key + " is an AND key: offered No, target answered Yes (RFC 7143 §6.2.2)");
            }
        } else if (MIN_KEYS.contains(key)) {
            int o = parseNumber(key, offer);
            int a = parseNumber(key, answer);
            if (a > o) {
                throw new ProtocolViolationException(key + " takes the minimum: offered " + o
                        + ", target answered larger " + a + " (RFC 7143 §6.2.2)");
            }
            checkRange(key, a);
        } else if (MAX_KEYS.contains(key)) {
            int o = parseNumber(key, offer);
            int a = parseNumber(key, answer);
            if (a < o) {
                throw new ProtocolViolationException(key + " takes the maximum: offered " + o
                        + ", target answered smaller " + a + " (RFC 7143 §13.15)");
            }
        }
    }

    private static void checkRange(String key, int value) throws ProtocolViolationException {
        boolean ok = switch (key) {
            case Keys.MAX_BURST_LENGTH, Keys.FIRST_BURST_LENGTH -> value >= Keys.MIN_LENGTH_VALUE;
            case Keys.MAX_OUTSTANDING_R2T, Keys.MAX_CONNECTIONS -> value >= 1;
            case Keys.ERROR_RECOVERY_LEVEL -> value >= 0 && value <= 2;
            default -> value >= 0;
        };
        if (!ok) {
            throw new ProtocolViolationException(key + "=" + value + " is outside its legal range (RFC 7143 §13)");
        }
    }

    private static void requireYesNo(String key, String value) throws ProtocolViolationException {
        if (!value.equals(Keys.YES) && !value.equals(Keys.NO)) {
            throw new ProtocolViolationException(key + " must be Yes or No, target sent '" + value + "'");
        }
    }

    private static int parseNumber(String key, String value) throws ProtocolViolationException {
        try {
            long v = value.startsWith("0x") || value.startsWith("0X")
                    ? Long.parseLong(value.substring(2), 16) : Long.parseLong(value);
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new ProtocolViolationException(key + " needs a number, target sent '" + value + "'");
        }
    }

    /** A key the target offered first: accept its value where we can (we have no stricter needs). */
    private static String answerTargetOffer(String key, String value) {
        if (LIST_KEYS.contains(key)) {
            for (String choice : value.split(",")) {
                if (choice.equals(Keys.NONE) || choice.equals(Keys.CRC32C)) {
                    return choice;
                }
            }
            return Keys.REJECT;
        }
        if (OR_KEYS.contains(key) || AND_KEYS.contains(key) || MIN_KEYS.contains(key) || MAX_KEYS.contains(key)) {
            return value;
        }
        return Keys.NOT_UNDERSTOOD;
    }

    /** The final values; every key we offered must have been answered unless RFC 7143 §6.2.2 lets the answer be omitted. */
    SessionParameters result(LoginOptions options) throws ProtocolViolationException {
        for (Map.Entry<String, String> e : offered.entrySet()) {
            String key = e.getKey();
            if (answered.containsKey(key)) {
                continue;
            }
            boolean optional = (OR_KEYS.contains(key) && e.getValue().equals(Keys.YES))
                    || (AND_KEYS.contains(key) && e.getValue().equals(Keys.NO));
            if (!optional) {
                throw new ProtocolViolationException("target never answered our offer " + key + "=" + e.getValue()
                        + " (RFC 7143 §6.2: the responder answers every offered key)");
            }
        }
        boolean discovery = options.sessionType() == LoginOptions.SessionType.DISCOVERY;
        SessionParameters p = new SessionParameters(
                value(Keys.HEADER_DIGEST, Keys.NONE).equals(Keys.CRC32C),
                value(Keys.DATA_DIGEST, Keys.NONE).equals(Keys.CRC32C),
                value(Keys.INITIAL_R2T, Keys.YES).equals(Keys.YES),
                value(Keys.IMMEDIATE_DATA, Keys.YES).equals(Keys.YES),
                parseNumber(Keys.MAX_BURST_LENGTH, value(Keys.MAX_BURST_LENGTH, "262144")),
                parseNumber(Keys.FIRST_BURST_LENGTH, value(Keys.FIRST_BURST_LENGTH, "65536")),
                parseNumber(Keys.MAX_OUTSTANDING_R2T, value(Keys.MAX_OUTSTANDING_R2T, "1")),
                value(Keys.DATA_PDU_IN_ORDER, Keys.YES).equals(Keys.YES),
                value(Keys.DATA_SEQUENCE_IN_ORDER, Keys.YES).equals(Keys.YES),
                parseNumber(Keys.ERROR_RECOVERY_LEVEL, value(Keys.ERROR_RECOVERY_LEVEL, "0")),
                parseNumber(Keys.MAX_CONNECTIONS, value(Keys.MAX_CONNECTIONS, "1")),
                parseNumber(Keys.DEFAULT_TIME_2_WAIT, value(Keys.DEFAULT_TIME_2_WAIT, "2")),
                parseNumber(Keys.DEFAULT_TIME_2_RETAIN, value(Keys.DEFAULT_TIME_2_RETAIN, "20")),
                options.maxRecvDataSegmentLength(),
                parseNumber(Keys.MAX_RECV_DATA_SEGMENT_LENGTH, answered.getOrDefault(
                        Keys.MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(Keys.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH))),
                allTargetKeys.asMultiMap());
        if (!discovery && p.firstBurstLength() > p.maxBurstLength() && !(p.initialR2T() && !p.immediateData())) {
            throw new ProtocolViolationException("negotiated FirstBurstLength " + p.firstBurstLength()
                    + " exceeds MaxBurstLength " + p.maxBurstLength() + " (RFC 7143 §13.14)");
        }
        return p;
    }

    /** Target's answer, or what we offered when the answer was optional, or the RFC default. */
    private String value(String key, String rfcDefault) {
        String answer = answered.get(key);
        if (answer != null && !answer.equals(Keys.IRRELEVANT)) {
            return ourAnswers.getOrDefault(key, answer);
        }
        if (answer == null && offered.containsKey(key)) {
            return offered.get(key);
        }
        return rfcDefault;
    }
}
