package io.jtarget.config;

import java.util.Locale;

/**
 * iSCSI names compare case-insensitively (RFC 7143 §4.2.7.1: names are normalised with stringprep,
 * which folds case). Every comparison of target or initiator names goes through {@link #fold}, so
 * access control, target lookup and session limits agree on which names are the same.
 */
public final class IscsiNameFolding {
    private IscsiNameFolding() {}

    /** The form two names are compared in: equal folds, same name. */
    public static String fold(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
