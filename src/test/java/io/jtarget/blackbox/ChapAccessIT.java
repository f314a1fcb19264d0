package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jtarget.config.AccessConfig;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.BackingSpec;
import io.jtarget.config.ChapCredentials;
import io.jtarget.config.ChapDigest;
import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.net.IscsiServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/iscsi-inq")), "libiscsi-bin (iscsi-inq) not installed");
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

    record Result(int exitCode, String output) {}

    static Result inq(String initiator, String url) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("iscsi-inq", "-i", initiator, url).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("iscsi-inq timed out: " + url);
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static String url(String credentials, String query) {
        return "iscsi://" + credentials + portal + "/" + TARGET + "/0" + query;
    }

    @Test
    void shouldLogInWithTheRightSecret() throws Exception {
        Result r = inq(ALLOWED, url("alice%alice-secret-12@", ""));
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("DIRECT_ACCESS");
    }

    @Test
    void shouldRefuseAWrongSecretOrNone() throws Exception {
        Result wrong = inq(ALLOWED, url("alice%not-the-secret@", ""));
        assertThat(wrong.exitCode()).isNotZero();
        assertThat(wrong.output()).contains("Authentication failure");
        Result none = inq(ALLOWED, url("", ""));
        assertThat(none.exitCode()).isNotZero();
        assertThat(none.output()).contains("Authentication failure");
    }

    @Test
    void shouldProveTheTargetInMutualChap() throws Exception {
        Result ok = inq(ALLOWED, url("alice%alice-secret-12@", "?target_user=target&target_password=target-secret-34"));
        assertThat(ok.exitCode()).as(ok.output()).isZero();
        Result impostor = inq(ALLOWED, url("alice%alice-secret-12@", "?target_user=target&target_password=other-secret-56"));
        assertThat(impostor.exitCode()).isNotZero();
        assertThat(impostor.output()).contains("Invalid CHAP_R response from the target");
    }

    @Test
    void shouldRefuseAnInitiatorThatIsNotAllowed() throws Exception {
        Result r = inq("iqn.2026-11.io.jtarget.test:other", url("alice%alice-secret-12@", ""));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("Authorization failure");
    }
}
