package io.jtarget.iscsi.login;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Keys of a Full Feature Phase Text Request other than SendTargets (RFC 7143 §6.2, §13): the
 * declarations RFC 7143 allows after login (use "ALL": MaxRecvDataSegmentLength, InitiatorAlias)
 * are accepted; keys limited to login (IO, LO, security) and target-only keys get Reject; unknown
 * and extension keys get NotUnderstood.
 */
public final class FullFeatureTextNegotiator {
    private FullFeatureTextNegotiator() {}

    /** The outcome of one (reassembled) Text Request. */
    public sealed interface TextResult {
        /** Send these keys; {@code parameters} are the values in force after the exchange. */
        record Answer(List<KeyValue> response, NegotiatedParameters parameters) implements TextResult {
            public Answer {
                response = List.copyOf(response);
            }
        }

        /** The request breaks §6.2 (a key twice in one request): answer with a Reject PDU (protocol error). */
        record ProtocolError(String reason) implements TextResult {}
    }

    /**
     * @param offered the request's keys
     * @param current the parameters in force
     * @param visible targets for SendTargets, filtered by access control
     */
    public static TextResult respond(List<KeyValue> offered, NegotiatedParameters current,
            List<DiscoverableTarget> visible) {
        Set<String> seen = new HashSet<>();
        for (KeyValue pair : offered) {
            if (!seen.add(pair.key())) {
                return new TextResult.ProtocolError(pair.key() + " offered twice");
            }
        }
        List<KeyValue> response = new ArrayList<>();
        NegotiatedParameters parameters = current;
        for (KeyValue pair : offered) {
            Optional<KeyDefinition> definition = KeyRegistry.lookup(pair.key());
            if (definition.isEmpty()) {
                response.add(KeyValue.of(pair.key(), TextKeys.NOT_UNDERSTOOD));
                continue;
            }
            switch (pair.key()) {
                case TextKeys.SEND_TARGETS -> response.addAll(SendTargetsResponder.respond(
                        pair.value(), current.sessionType(), current.targetName(), visible));
                case TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH -> {
                    OptionalLong value = TextValues.parseNumber(pair.value());
                    if (value.isEmpty() || value.getAsLong() < KeyRegistry.MIN_DATA_LENGTH
                            || value.getAsLong() > KeyRegistry.MAX_DATA_LENGTH) {
                        response.add(KeyValue.of(pair.key(), TextKeys.REJECT));
                    } else {
                        // §13.12: a new declaration applies to PDUs the target sends after this exchange.
                        parameters = parameters.withInitiatorMaxRecvDataSegmentLength((int) value.getAsLong());
                    }
                }
                case TextKeys.INITIATOR_ALIAS -> {
                    if (TextValues.isLocalName(pair.value())) {
                        parameters = parameters.withInitiatorAlias(pair.value());
                    } else {
                        response.add(KeyValue.of(pair.key(), TextKeys.REJECT));
                    }
                }
                // Everything else RFC 7143 defines is login-only or sent by the target only.
                default -> response.add(KeyValue.of(pair.key(), TextKeys.REJECT));
            }
        }
        return new TextResult.Answer(response, parameters);
    }
}
