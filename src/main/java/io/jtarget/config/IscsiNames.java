package io.jtarget.config;

import java.util.regex.Pattern;

/** Syntax of iSCSI names (RFC 7143 §4.2.7): iqn., eui. and naa. formats. */
public final class IscsiNames {
    private static final Pattern IQN = Pattern.compile("iqn\\.\\d{4}-\\d{2}\\.[a-z0-9][a-z0-9.-]*(:[a-z0-9.:-]+)?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9a-f]{16}", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAA = Pattern.compile("naa\\.([0-9a-f]{16}|[0-9a-f]{32})", Pattern.CASE_INSENSITIVE);
    /** RFC 7143 §4.2.7.1: at most 223 bytes. */
    private static final int MAX_LENGTH = 223;

    private IscsiNames() {}

    public static boolean isValid(String name) {
        return name != null && name.length() <= MAX_LENGTH
                && (IQN.matcher(name).matches() || EUI.matcher(name).matches() || NAA.matcher(name).matches());
    }
}
