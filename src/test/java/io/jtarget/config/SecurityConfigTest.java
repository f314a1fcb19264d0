package io.jtarget.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SecurityConfigTest {

    @Test
    void shouldRejectSecretsShorterThan12BytesWithAClearMessage() {
        assertThatThrownBy(() -> ChapCredentials.parse("user:short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("12..255 bytes")
                .hasMessageNotContaining("short");
    }

    @Test
    void shouldRejectSecretsLongerThan255Bytes() {
        assertThatThrownBy(() -> ChapCredentials.parse("user:" + "x".repeat(256)))
                .hasMessageContaining("12..255");
    }

    @Test
    void shouldKeepColonsInTheSecretAndRedactItInToString() {
        ChapCredentials c = ChapCredentials.parse("alice:pass:with:colons");
        assertThat(c.user()).isEqualTo("alice");
        assertThat(new String(c.secret())).isEqualTo("pass:with:colons");
        assertThat(c.toString()).doesNotContain("pass:with:colons").contains("redacted");
        assertRedacted(c.toString(), c.secret());
        AuthConfig auth = AuthConfig.chap(c, Optional.empty(), AuthConfig.STRONG_ALGORITHMS);
        assertThat(auth.toString()).doesNotContain("pass:with:colons");
        // The record's default toString would print "[B@hash", which also lacks the secret.
        assertRedacted(auth.toString(), c.secret());
        assertThat(auth.describe()).doesNotContain("pass:with:colons").contains("alice");
    }

    /** The redaction marker, and no spelling of the secret or of its array. */
    private static void assertRedacted(String text, byte[] secret) {
        assertThat(text)
                .contains("redacted")
                .doesNotContain("[B@")
                .doesNotContain(new String(secret, StandardCharsets.UTF_8))
                .doesNotContain(HexFormat.of().formatHex(secret))
                .doesNotContain(Base64.getEncoder().encodeToString(secret))
                .doesNotContain(Arrays.toString(secret));
    }

    @Test
    void shouldRefuseMutualChapWithTheInitiatorsSecret() {
        ChapCredentials one = ChapCredentials.parse("alice:same-secret-12");
        ChapCredentials two = ChapCredentials.parse("target:same-secret-12");
        assertThatThrownBy(() -> AuthConfig.chap(one, Optional.of(two), AuthConfig.STRONG_ALGORITHMS))
                .hasMessageContaining("must differ");
    }

    @Test
    void shouldRefuseMutualChapWithoutOneWayChap() {
        assertThatThrownBy(() -> new AuthConfig(Optional.empty(), Optional.of(ChapCredentials.parse("t:target-secret-1")),
                AuthConfig.STRONG_ALGORITHMS)).hasMessageContaining("needs one-way");
    }

    @Test
    void shouldLeaveMd5OutOfTheStrongDefaults() {
        assertThat(AuthConfig.STRONG_ALGORITHMS).doesNotContain(ChapDigest.MD5);
        assertThat(ChapDigest.parse("sha256")).isEqualTo(ChapDigest.SHA_256);
        assertThat(ChapDigest.parse("SHA3-256")).isEqualTo(ChapDigest.SHA3_256);
        assertThatThrownBy(() -> ChapDigest.parse("SHA-512")).hasMessageContaining("unknown CHAP algorithm");
    }

    @Test
    void shouldMatchAddressesInCidrRanges() throws Exception {
        AddressRange v4 = AddressRange.parse("192.0.2.77/24");
        assertThat(v4.toString()).isEqualTo("192.0.2.0/24");
        assertThat(v4.contains(InetAddress.getByName("192.0.2.200"))).isTrue();
        assertThat(v4.contains(InetAddress.getByName("192.0.3.1"))).isFalse();
        assertThat(v4.contains(InetAddress.getByName("::ffff:192.0.2.9"))).isTrue();
        assertThat(v4.contains(null)).isFalse();
        AddressRange v6 = AddressRange.parse("2001:db8::/32");
        assertThat(v6.contains(InetAddress.getByName("2001:db8:1::5"))).isTrue();
        assertThat(v6.contains(InetAddress.getByName("192.0.2.1"))).isFalse();
        assertThat(AddressRange.parse("127.0.0.1").contains(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThatThrownBy(() -> AddressRange.parse("example.com/8")).hasMessageContaining("not an IP");
        assertThatThrownBy(() -> AddressRange.parse("10.0.0.0/33")).hasMessageContaining("prefix");
    }

    @Test
    void shouldAllowOnlyListedInitiatorsFromListedRanges() throws Exception {
        InetAddress local = InetAddress.getByName("127.0.0.1");
        InetAddress remote = InetAddress.getByName("198.51.100.1");
        assertThat(AccessConfig.ANY.allows("iqn.2000-01.com.x:a", remote)).isTrue();
        AccessConfig names = new AccessConfig(List.of("iqn.2000-01.com.x:A"), List.of());
        assertThat(names.allows("iqn.2000-01.com.x:a", remote)).isTrue();
        assertThat(names.allows("IQN.2000-01.COM.X:A", remote)).isTrue();
        assertThat(names.initiators()).containsExactly(IscsiNameFolding.fold("iqn.2000-01.com.x:A"));
        assertThat(names.allows("iqn.2000-01.com.x:b", local)).isFalse();
        AccessConfig both = new AccessConfig(List.of("iqn.2000-01.com.x:a"), List.of(AddressRange.parse("127.0.0.0/8")));
        assertThat(both.allows("iqn.2000-01.com.x:a", local)).isTrue();
        assertThat(both.allows("iqn.2000-01.com.x:a", remote)).isFalse();
        assertThat(both.allows("iqn.2000-01.com.x:a", null)).isFalse();
    }

    @Test
    void shouldRequireADataOutBudgetOfAtLeastOneMaximalTransfer() {
        assertThatThrownBy(() -> new ConnectionLimits(1, 1, 1, 1, 1024)).hasMessageContaining("at least");
        assertThatThrownBy(() -> new ConnectionLimits(0, 1, 1, 1, 1L << 23)).hasMessageContaining("maxConnections");
    }
}
