package io.jtarget.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A CHAP user name and secret (RFC 7143 §12.1.3). Validated when built, so a bad secret is a
 * configuration error with a clear message, never a login-time surprise. The secret is never part
 * of {@link #toString()}; {@link #sameSecretAs} compares secrets in constant time (the record's
 * own {@code equals} compares the secret array by identity and is not meant for that).
 *
 * @param user the CHAP name (CHAP_N), 1..255 bytes of UTF-8 without control characters
 * @param secret 12..255 bytes: §12.1.3 requires at least 96 bits when the channel is not
 *     encrypted by IPsec, and the CHAP secret length field of common initiators ends at 255
 */
public record ChapCredentials(String user, byte[] secret) {
    public static final int MIN_SECRET_BYTES = 12;
    public static final int MAX_SECRET_BYTES = 255;
    public static final int MAX_USER_BYTES = 255;

    public ChapCredentials {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(secret, "secret");
        int userBytes = user.getBytes(StandardCharsets.UTF_8).length;
        if (userBytes == 0 || userBytes > MAX_USER_BYTES || user.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("CHAP user must be 1.." + MAX_USER_BYTES
                    + " bytes without control characters");
        }
        if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
            throw new IllegalArgumentException("CHAP secret for user '" + user + "' must be " + MIN_SECRET_BYTES + ".."
                    + MAX_SECRET_BYTES + " bytes (RFC 7143 §12.1.3 asks for at least 96 bits), got " + secret.length);
        }
        secret = secret.clone();
    }

    /** From "USER:SECRET" (the secret is everything after the first ':', taken as UTF-8 bytes). */
    public static ChapCredentials parse(String userColonSecret) {
        int colon = userColonSecret == null ? -1 : userColonSecret.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected USER:SECRET");
        }
        return new ChapCredentials(userColonSecret.substring(0, colon),
                userColonSecret.substring(colon + 1).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    /** Same secret (constant time), whatever the user names. */
    public boolean sameSecretAs(ChapCredentials other) {
        return MessageDigest.isEqual(secret, other.secret);
    }

    @Override
    public String toString() {
        return "ChapCredentials[user=" + user + ", secret=(redacted)]";
    }
}
