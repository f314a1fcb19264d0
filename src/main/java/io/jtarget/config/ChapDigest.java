package io.jtarget.config;

import java.util.Locale;

/**
 * CHAP hash algorithms a configuration may allow (names as in JCA and the CLI). The wire numbers
 * (CHAP_A) live with the protocol code in {@code io.jtarget.iscsi.login.ChapAlgorithm}, which
 * knows nothing of configuration; {@code SecurityPolicy} maps one to the other. Declared
 * strongest first.
 */
public enum ChapDigest {
    SHA3_256("SHA3-256"),
    SHA_256("SHA-256"),
    SHA_1("SHA-1"),
    MD5("MD5");

    private final String configName;

    ChapDigest(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** "SHA3-256", "SHA-256"/"SHA256", "SHA-1"/"SHA1", "MD5", any case. */
    public static ChapDigest parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT).replace("_", "-");
        for (ChapDigest d : values()) {
            if (d.configName.equals(n) || d.configName.replace("-", "").equals(n.replace("-", ""))) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown CHAP algorithm '" + name + "' (known: SHA3-256, SHA-256, SHA-1, MD5)");
    }
}
