package io.jtarget.iscsi.login;

import java.util.Optional;

/**
 * Everything RFC 7143 §13 says about one key that negotiation needs.
 *
 * @param name the key name, case sensitive
 * @param type declarative, list, boolean or numeric (with its result function)
 * @param use when it may be sent
 * @param scope session-wide or connection-only
 * @param sender who may originate it
 * @param anyStage may also appear in the SecurityNegotiation stage ("Any-Stage" in §13); operational
 *     keys may not
 * @param irrelevantInDiscovery "Irrelevant when: SessionType=Discovery"
 * @param defaultValue the value in force when the key is never negotiated, if the RFC gives one
 * @param min smallest legal numeric value (numeric keys only)
 * @param max largest legal numeric value (numeric keys only)
 */
public record KeyDefinition(
        String name,
        KeyType type,
        KeyUse use,
        KeyScope scope,
        KeySender sender,
        boolean anyStage,
        boolean irrelevantInDiscovery,
        Optional<String> defaultValue,
        long min,
        long max) {

    public boolean isNumeric() {
        return type == KeyType.NUMERIC_MIN || type == KeyType.NUMERIC_MAX;
    }

    public boolean isBoolean() {
        return type == KeyType.BOOLEAN_AND || type == KeyType.BOOLEAN_OR;
    }

    /** True if the key is negotiated (expects an answer) rather than declared. */
    public boolean isNegotiated() {
        return type == KeyType.LIST || isBoolean() || isNumeric();
    }
}
