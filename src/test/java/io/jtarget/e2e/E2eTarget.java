package io.jtarget.e2e;

import io.jtarget.backstore.BackingSpec;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.net.IscsiServer;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.TestInitiator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An in-process jtarget for end-to-end tests, shared by a test class: one target on 127.0.0.1
 * (free port) with LUN 0 in memory and LUN 1 in a file under a temporary directory of its own.
 * Register it on a static field; it starts before the class's first test and stops (deleting its
 * directory) after the last:
 *
 * <pre>{@code @RegisterExtension static final E2eTarget target = E2eTarget.withDefaults();}</pre>
 */
final class E2eTarget implements BeforeAllCallback, AfterAllCallback {
    static final String TARGET_NAME = "iqn.2026-11.io.jtarget.e2e:disks";
    static final int RAM_LUN = 0;
    static final int FILE_LUN = 1;
    static final long RAM_BYTES = 64L << 20;
    static final long FILE_BYTES = 32L << 20;

    private final ServerConfig.Limits limits;
    private Path dir;
    private IscsiServer server;
    private InetSocketAddress portal;

    private E2eTarget(ServerConfig.Limits limits) {
        this.limits = limits;
    }

    static E2eTarget withDefaults() {
        return withLimits(ServerConfig.Limits.defaults());
    }

    static E2eTarget withLimits(ServerConfig.Limits limits) {
        return new E2eTarget(limits);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("jtarget-e2e-");
        ServerConfig config = new ServerConfig(
                List.of(new InetSocketAddress("127.0.0.1", 0)),
                List.of(new TargetConfig(TARGET_NAME, List.of(
                        new LunConfig(RAM_LUN, new BackingSpec.Ram(RAM_BYTES), false),
                        new LunConfig(FILE_LUN, new BackingSpec.File(dir.resolve("lun1.img"), FILE_BYTES, false), false)))),
                limits);
        server = IscsiServer.start(config);
        portal = server.boundAddresses().getFirst();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (dir != null) {
                try (Stream<Path> paths = Files.walk(dir)) {
                    for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    InetSocketAddress portal() {
        if (portal == null) {
            throw new IllegalStateException("target not started: register E2eTarget with @RegisterExtension on a static field");
        }
        return portal;
    }

    static LoginOptions options() {
        return LoginOptions.normal(TARGET_NAME);
    }

    TestInitiator login() throws IOException {
        return TestInitiator.login(portal(), options());
    }

    TestInitiator login(LoginOptions options) throws IOException {
        return TestInitiator.login(portal(), options);
    }

    /** Logs in and clears the unit attentions a new I_T nexus may see, learning both LUNs' block sizes. */
    TestInitiator loginReady(LoginOptions options) throws IOException {
        TestInitiator initiator = login(options);
        try {
            for (int lun : new int[] {RAM_LUN, FILE_LUN}) {
                initiator.clearUnitAttentions(lun);
                initiator.capacity(lun);
            }
            return initiator;
        } catch (IOException | RuntimeException | Error e) {
            initiator.close();
            throw e;
        }
    }

    TestInitiator loginReady() throws IOException {
        return loginReady(options());
    }
}
