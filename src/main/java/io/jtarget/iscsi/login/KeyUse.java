package io.jtarget.iscsi.login;

/** When a key may be sent (RFC 7143 §13 introduction: "Use"). */
public enum KeyUse {
    /** LO: only on the leading connection's login. */
    LEADING_ONLY,
    /** IO: only during the login of a connection. */
    INITIALIZE_ONLY,
    /** ALL: during login and in Full Feature Phase (Text requests). */
    ALL,
    /** FFPO: only in Full Feature Phase. */
    FULL_FEATURE_ONLY,
    /** Only in the SecurityNegotiation stage (§12). */
    SECURITY_ONLY
}
