package io.jtarget.iscsi.login;

/** How a key is negotiated and which result function applies (RFC 7143 §6.2). */
public enum KeyType {
    /** A one-way declaration; no answer is sent (§6.2: "Declarative"). */
    DECLARATIVE,
    /** An ordered list of options; the acceptor picks the first it supports (§6.2.1). */
    LIST,
    /** Boolean with result function AND (§6.2.2). */
    BOOLEAN_AND,
    /** Boolean with result function OR (§6.2.2). */
    BOOLEAN_OR,
    /** Number; the selected value must not exceed the offered one (result function Minimum). */
    NUMERIC_MIN,
    /** Number; the selected value must not be lower than the offered one (result function Maximum). */
    NUMERIC_MAX,
    /** Part of an authentication method's exchange (§12); handled by the {@link Authenticator}. */
    AUTHENTICATION,
    /** Obsoleted by RFC 7143 §13.25; answered with a fixed value. */
    OBSOLETE
}
