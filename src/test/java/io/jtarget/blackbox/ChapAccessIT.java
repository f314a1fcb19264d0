package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.config.AccessConfig;
import io.jtarget.config.AuthConfig;
import io.jtarget.backstore.BackingSpec;
import io.jtarget.config.ChapCredentials;
import io.jtarget.config.ChapDigest;
import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.net.IscsiServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** CHAP and access control as libiscsi's iscsi-inq (1.19: MD5 CHAP only) sees them. */
@Tag("blackbox")
class ChapAccessIT {
    static final String TARGET = "iqn.2026-11.io.jtarget:chap";
    static final String ALLOWED = "iqn.2026-11.io.jtarget.test:allowed";
    static IscsiServer server;
    static String portal;

    @BeforeAll
    static void start() throws Exception {
        ExternalTool.requireInstalled("iscsi-inq", "libiscsi-bin");
        AuthConfig auth = AuthConfig.chap(ChapCredentials.parse("alice:alice-secret-12"),
                Optional.of(ChapCredentials.parse("target:target-secret-34")), EnumSet.allOf(ChapDigest.class));
        TargetConfig target = new TargetConfig(TARGET, List.of(new LunConfig(0, new BackingSpec.Ram(8L << 20), false)),
                auth, new AccessConfig(List.of(ALLOWED), List.of()));
        server = IscsiServer.start(new ServerConfig(List.of(new InetSocketAddress("127.0.0.1", 0)), List.of(target),
                new ServerConfig.Limits(2, 2, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(15), 64),
                AuthConfig.NONE, ConnectionLimits.defaults()));
        InetSocketAddress a = server.boundAddresses().getFirst();
        portal = "127.0.0.1:" + a.getPort();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static ExternalTool.Result inq(String initiator, String url) throws Exception {
        return ExternalTool.run(Duration.ofSeconds(30), List.of("iscsi-inq", "-i", initiator, url));
    }

    static String url(String credentials, String query) {
        return "iscsi://" + credentials + portal + "/" + TARGET + "/0" + query;
    }

    @Test
    void shouldLogInWithTheRightSecret() throws Exception {
        ExternalTool.Result r = inq(ALLOWED, url("alice%alice-secret-12@", ""));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.output()).contains("DIRECT_ACCESS");
    }

    @Test
    void shouldRefuseAWrongSecretOrNone() throws Exception {
        ExternalTool.Result wrong = inq(ALLOWED, url("alice%not-the-secret@", ""));
        assertThat(wrong.exitCode()).as(wrong.describe()).isNotZero();
        assertThat(wrong.output()).contains("Authentication failure");
        ExternalTool.Result none = inq(ALLOWED, url("", ""));
        assertThat(none.exitCode()).as(none.describe()).isNotZero();
        assertThat(none.output()).contains("Authentication failure");
    }

    @Test
    void shouldProveTheTargetInMutualChap() throws Exception {
        ExternalTool.Result ok = inq(ALLOWED,
                url("alice%alice-secret-12@", "?target_user=target&target_password=target-secret-34"));
        assertThat(ok.exitCode()).as(ok.describe()).isZero();
        ExternalTool.Result impostor = inq(ALLOWED,
                url("alice%alice-secret-12@", "?target_user=target&target_password=other-secret-56"));
        assertThat(impostor.exitCode()).as(impostor.describe()).isNotZero();
        assertThat(impostor.output()).contains("Invalid CHAP_R response from the target");
    }

    @Test
    void shouldRefuseAnInitiatorThatIsNotAllowed() throws Exception {
        ExternalTool.Result r = inq("iqn.2026-11.io.jtarget.test:other", url("alice%alice-secret-12@", ""));
        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.output()).contains("Authorization failure");
    }
}
