package io.jtarget.iscsi.login;

import static io.jtarget.iscsi.login.KeyScope.CONNECTION_ONLY;
import static io.jtarget.iscsi.login.KeyScope.SESSION_WIDE;
import static io.jtarget.iscsi.login.KeySender.BOTH;
import static io.jtarget.iscsi.login.KeySender.INITIATOR;
import static io.jtarget.iscsi.login.KeySender.TARGET;
import static io.jtarget.iscsi.login.KeyType.AUTHENTICATION;
import static io.jtarget.iscsi.login.KeyType.BOOLEAN_AND;
import static io.jtarget.iscsi.login.KeyType.BOOLEAN_OR;
import static io.jtarget.iscsi.login.KeyType.DECLARATIVE;
import static io.jtarget.iscsi.login.KeyType.LIST;
import static io.jtarget.iscsi.login.KeyType.NUMERIC_MAX;
import static io.jtarget.iscsi.login.KeyType.NUMERIC_MIN;
import static io.jtarget.iscsi.login.KeyType.OBSOLETE;
import static io.jtarget.iscsi.login.KeyUse.ALL;
import static io.jtarget.iscsi.login.KeyUse.FULL_FEATURE_ONLY;
import static io.jtarget.iscsi.login.KeyUse.INITIALIZE_ONLY;
import static io.jtarget.iscsi.login.KeyUse.LEADING_ONLY;
import static io.jtarget.iscsi.login.KeyUse.SECURITY_ONLY;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The catalogue of every key RFC 7143 §12-§13 and RFC 7144 §2.1 define. */
public final class KeyRegistry {
    /** Largest value of the 512..2^24-1 data lengths (§13.12-§13.14). */
    public static final long MAX_DATA_LENGTH = (1L << 24) - 1;
    public static final long MIN_DATA_LENGTH = 512;
    /**
     * MaxRecvDataSegmentLength until declared (§13.12): what both sides may send during login, and
     * so the largest Login PDU data segment either side accepts or sends.
     */
    public static final int DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;

    private static final Map<String, KeyDefinition> KEYS = new LinkedHashMap<>();

    static {
        // §13.1
        add(TextKeys.HEADER_DIGEST, LIST, INITIALIZE_ONLY, CONNECTION_ONLY, BOTH, false, false, TextKeys.NONE);
        add(TextKeys.DATA_DIGEST, LIST, INITIALIZE_ONLY, CONNECTION_ONLY, BOTH, false, false, TextKeys.NONE);
        // §13.2
        numeric(TextKeys.MAX_CONNECTIONS, NUMERIC_MIN, LEADING_ONLY, SESSION_WIDE, true, 1, 1, 65535);
        // §13.3: a request of Full Feature Phase; the answer is TargetName/TargetAddress pairs.
        add(TextKeys.SEND_TARGETS, DECLARATIVE, FULL_FEATURE_ONLY, SESSION_WIDE, INITIATOR, false, false, null);
        // §13.4: IO by the initiator; by the target only inside a SendTargets answer.
        add(TextKeys.TARGET_NAME, DECLARATIVE, INITIALIZE_ONLY, SESSION_WIDE, BOTH, true, false, null);
        // §13.5
        add(TextKeys.INITIATOR_NAME, DECLARATIVE, INITIALIZE_ONLY, SESSION_WIDE, INITIATOR, true, false, null);
        // §13.6, §13.7
        add(TextKeys.TARGET_ALIAS, DECLARATIVE, ALL, SESSION_WIDE, TARGET, true, false, null);
        add(TextKeys.INITIATOR_ALIAS, DECLARATIVE, ALL, SESSION_WIDE, INITIATOR, true, false, null);
        // §13.8, §13.9
        add(TextKeys.TARGET_ADDRESS, DECLARATIVE, ALL, SESSION_WIDE, TARGET, true, false, null);
        add(TextKeys.TARGET_PORTAL_GROUP_TAG, DECLARATIVE, INITIALIZE_ONLY, SESSION_WIDE, TARGET, true, false, null);
        // §13.10, §13.11
        add(TextKeys.INITIAL_R2T, BOOLEAN_OR, LEADING_ONLY, SESSION_WIDE, BOTH, false, true, TextKeys.YES);
        add(TextKeys.IMMEDIATE_DATA, BOOLEAN_AND, LEADING_ONLY, SESSION_WIDE, BOTH, false, true, TextKeys.YES);
        // §13.12: declarative, each side states what it can receive.
        numeric(TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH, DECLARATIVE, ALL, CONNECTION_ONLY, false,
                DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH, MIN_DATA_LENGTH, MAX_DATA_LENGTH);
        // §13.13, §13.14
        numeric(TextKeys.MAX_BURST_LENGTH, NUMERIC_MIN, LEADING_ONLY, SESSION_WIDE, true,
                262144, MIN_DATA_LENGTH, MAX_DATA_LENGTH);
        numeric(TextKeys.FIRST_BURST_LENGTH, NUMERIC_MIN, LEADING_ONLY, SESSION_WIDE, true,
                65536, MIN_DATA_LENGTH, MAX_DATA_LENGTH);
        // §13.15, §13.16
        numeric(TextKeys.DEFAULT_TIME_2_WAIT, NUMERIC_MAX, LEADING_ONLY, SESSION_WIDE, false, 2, 0, 3600);
        numeric(TextKeys.DEFAULT_TIME_2_RETAIN, NUMERIC_MIN, LEADING_ONLY, SESSION_WIDE, false, 20, 0, 3600);
        // §13.17-§13.20
        numeric(TextKeys.MAX_OUTSTANDING_R2T, NUMERIC_MIN, LEADING_ONLY, SESSION_WIDE, true, 1, 1, 65535);
        add(TextKeys.DATA_PDU_IN_ORDER, BOOLEAN_OR, LEADING_ONLY, SESSION_WIDE, BOTH, false, true, TextKeys.YES);
        add(TextKeys.DATA_SEQUENCE_IN_ORDER, BOOLEAN_OR, LEADING_ONLY, SESSION_WIDE, BOTH, false, true, TextKeys.YES);
        numeric(TextKeys.ERROR_RECOVERY_LEVEL, NUMERIC_MIN, LEADING_ONLY, SESSION_WIDE, false, 0, 0, 2);
        // §13.21
        add(TextKeys.SESSION_TYPE, DECLARATIVE, LEADING_ONLY, SESSION_WIDE, INITIATOR, true, false,
                TextKeys.SESSION_TYPE_NORMAL);
        // §13.23
        add(TextKeys.TASK_REPORTING, LIST, LEADING_ONLY, SESSION_WIDE, BOTH, false, true,
                TextKeys.TASK_REPORTING_RFC3720);
        // §13.26: informational only.
        add(TextKeys.NODE_ARCHITECTURE, DECLARATIVE, LEADING_ONLY, SESSION_WIDE, BOTH, true, false, null);
        // RFC 7144 §2.1
        numeric(TextKeys.ISCSI_PROTOCOL_LEVEL, NUMERIC_MIN, LEADING_ONLY, SESSION_WIDE, true, 1, 0, 31);
        // §12
        add(TextKeys.AUTH_METHOD, LIST, SECURITY_ONLY, CONNECTION_ONLY, BOTH, true, false, TextKeys.NONE);
        for (String chap : new String[] {
            TextKeys.CHAP_A, TextKeys.CHAP_I, TextKeys.CHAP_C, TextKeys.CHAP_N, TextKeys.CHAP_R}) {
            add(chap, AUTHENTICATION, SECURITY_ONLY, CONNECTION_ONLY, BOTH, true, false, null);
        }
        // §13.25
        for (String obsolete : new String[] {
            TextKeys.OF_MARKER, TextKeys.IF_MARKER, TextKeys.OF_MARK_INT, TextKeys.IF_MARK_INT}) {
            add(obsolete, OBSOLETE, INITIALIZE_ONLY, CONNECTION_ONLY, BOTH, false, false, null);
        }
    }

    private KeyRegistry() {}

    /** The definition of a key the RFC defines; empty for unknown and vendor extension keys. */
    public static Optional<KeyDefinition> lookup(String name) {
        return Optional.ofNullable(KEYS.get(name));
    }

    public static Collection<KeyDefinition> all() {
        return KEYS.values();
    }

    /** RFC 7143 §13.22: "X-" private and "X#" public extension keys. */
    public static boolean isExtensionKey(String name) {
        return name.startsWith(TextKeys.PRIVATE_EXTENSION_PREFIX) || name.startsWith(TextKeys.PUBLIC_EXTENSION_PREFIX);
    }

    private static void add(String name, KeyType type, KeyUse use, KeyScope scope, KeySender sender,
            boolean anyStage, boolean irrelevantInDiscovery, String defaultValue) {
        KEYS.put(name, new KeyDefinition(name, type, use, scope, sender, anyStage, irrelevantInDiscovery,
                Optional.ofNullable(defaultValue), 0, 0));
    }

    private static void numeric(String name, KeyType type, KeyUse use, KeyScope scope,
            boolean irrelevantInDiscovery, long defaultValue, long min, long max) {
        KEYS.put(name, new KeyDefinition(name, type, use, scope, BOTH, false, irrelevantInDiscovery,
                Optional.of(Long.toString(defaultValue)), min, max));
    }
}
