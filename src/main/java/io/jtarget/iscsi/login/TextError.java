package io.jtarget.iscsi.login;

/** Why a text data segment could not be decoded (RFC 7143 §6.1). */
public enum TextError {
    /** The segment is longer than the configured cap. */
    SEGMENT_TOO_LONG,
    /** The last pair is not followed by a NUL; §6.1 requires one after every pair, the last included. */
    MISSING_NUL_TERMINATOR,
    /** Two consecutive NULs inside the segment (an empty pair). Trailing NULs are tolerated. */
    EMPTY_PAIR,
    /** A pair without '='. */
    MISSING_EQUALS,
    /** A key that is empty, does not start with a letter, or has characters outside §6.1's label set. */
    INVALID_KEY_NAME,
    /** A key longer than 63 bytes. */
    KEY_TOO_LONG,
    /** A value longer than the configured cap. */
    VALUE_TOO_LONG,
    /** Bytes that are not well-formed UTF-8. */
    INVALID_UTF8,
    /** More pairs than the configured cap. */
    TOO_MANY_KEYS
}
