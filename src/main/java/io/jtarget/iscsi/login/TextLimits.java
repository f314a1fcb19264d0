package io.jtarget.iscsi.login;

/**
 * Hard bounds on a decoded logical text data segment (RFC 7143 §6.1). The key-name limit of 63 bytes
 * is fixed by the RFC and not configurable.
 *
 * @param maxSegmentBytes the whole reassembled segment; §6.1 requires at least 8192 bytes of
 *     key=value data, and 64 KiB when an authentication method with long items is in use
 * @param maxKeys at most this many pairs in one segment
 * @param maxValueBytes the longest single value accepted by the decoder (encoded form). Per-key
 *     semantic limits (255 bytes for simple values, 223 for iSCSI names) are applied by the
 *     negotiator; this bound leaves room for the large binary values of authentication methods
 *     (e.g. CHAP_C/CHAP_R up to 1024 bytes, hex encoded)
 */
public record TextLimits(int maxSegmentBytes, int maxKeys, int maxValueBytes) {
    public TextLimits {
        if (maxSegmentBytes < 8192) {
            throw new IllegalArgumentException("RFC 7143 §6.1 requires at least 8192 bytes: " + maxSegmentBytes);
        }
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be positive: " + maxKeys);
        }
        if (maxValueBytes < TextKeys.MAX_SIMPLE_VALUE_BYTES) {
            throw new IllegalArgumentException("maxValueBytes below 255: " + maxValueBytes);
        }
    }

    public static TextLimits defaults() {
        return new TextLimits(64 * 1024, 512, 8192);
    }
}
