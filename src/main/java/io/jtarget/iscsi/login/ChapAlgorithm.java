package io.jtarget.iscsi.login;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * CHAP hash algorithms by their CHAP_A numbers, the IANA "PPP Authentication Algorithms"
 * registry that RFC 7143 §12.1.3 refers to: 5 = MD5 (RFC 1994, the only one RFC 7143 names),
 * 6 = SHA-1, 7 = SHA-256, 8 = SHA3-256 (the same numbers Linux LIO and open-iscsi use).
 * Declared weakest first.
 */
public enum ChapAlgorithm {
    MD5(5, "MD5", 16),
    SHA_1(6, "SHA-1", 20),
    SHA_256(7, "SHA-256", 32),
    SHA3_256(8, "SHA3-256", 32);

    private final int wireId;
    private final String jcaName;
    private final int digestLength;

    ChapAlgorithm(int wireId, String jcaName, int digestLength) {
        this.wireId = wireId;
        this.jcaName = jcaName;
        this.digestLength = digestLength;
    }

    /** The CHAP_A value. */
    public int wireId() {
        return wireId;
    }

    /** The JCA MessageDigest name ("SHA-256"). */
    public String jcaName() {
        return jcaName;
    }

    public int digestLength() {
        return digestLength;
    }

    /**
     * Length of the challenge the target sends: at least 16 bytes (RFC 1994 §2.3 asks for
     * unpredictable, not too short challenges; LIO uses the digest size for SHA), and the digest
     * size for the longer digests so the challenge carries as much entropy as the answer.
     */
    public int challengeLength() {
        return Math.max(16, digestLength);
    }

    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JCA lacks " + jcaName, e);
        }
    }

    public static Optional<ChapAlgorithm> byWireId(long id) {
        for (ChapAlgorithm a : values()) {
            if (a.wireId == id) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
