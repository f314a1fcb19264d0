package io.jtarget.e2e;

import io.jtarget.config.BackingSpec;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.net.IscsiServer;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.TestInitiator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * An in-process jtarget for end-to-end tests: one target on 127.0.0.1 (free port) with LUN 0 in
 * memory and LUN 1 in a file under the test's temporary directory.
 */
final class E2eTarget implements AutoCloseable {
    static final String TARGET_NAME = "iqn.2026-11.io.jtarget.e2e:disks";
    static final int RAM_LUN = 0;
    static final int FILE_LUN = 1;
    static final long RAM_BYTES = 64L << 20;
    static final long FILE_BYTES = 32L << 20;

    private final IscsiServer server;
    private final InetSocketAddress portal;

    private E2eTarget(IscsiServer server) {
        this.server = server;
        this.portal = server.boundAddresses().getFirst();
    }

    static E2eTarget start(Path dir) throws InterruptedException {
        return start(dir, ServerConfig.Limits.defaults());
    }

    static E2eTarget start(Path dir, ServerConfig.Limits limits) throws InterruptedException {
        ServerConfig config = new ServerConfig(
                List.of(new InetSocketAddress("127.0.0.1", 0)),
                List.of(new TargetConfig(TARGET_NAME, List.of(
                        new LunConfig(RAM_LUN, new BackingSpec.Ram(RAM_BYTES), false),
                        new LunConfig(FILE_LUN, new BackingSpec.File(dir.resolve("lun1.img"), FILE_BYTES, false), false)))),
                limits);
        return new E2eTarget(IscsiServer.start(config));
    }

    InetSocketAddress portal() {
        return portal;
    }

    static LoginOptions options() {
        return LoginOptions.normal(TARGET_NAME);
    }

    TestInitiator login() throws IOException {
        return TestInitiator.login(portal, options());
    }

    TestInitiator login(LoginOptions options) throws IOException {
        return TestInitiator.login(portal, options);
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

    @Override
    public void close() {
        server.close();
    }
}
