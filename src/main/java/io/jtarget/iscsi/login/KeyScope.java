package io.jtarget.iscsi.login;

/** Scope of a negotiated value (RFC 7143 §13): session-wide (SW) or connection-only (CO). */
public enum KeyScope {
    SESSION_WIDE,
    CONNECTION_ONLY
}
