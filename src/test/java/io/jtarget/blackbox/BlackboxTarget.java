package io.jtarget.blackbox;

import io.jtarget.backstore.BackingSpec;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.net.IscsiServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * An in-process jtarget for black-box tests on 127.0.0.1 (free port): LUN 0 is a writable file,
 * LUN 1 a read-only file, both sparse under the test's temporary directory.
 */
final class BlackboxTarget implements AutoCloseable {
    static final String IQN = "iqn.2026-11.io.jtarget.blackbox:disk";
    static final int WRITABLE_LUN = 0;
    static final int READ_ONLY_LUN = 1;

    private final IscsiServer server;
    private final InetSocketAddress portal;

    private BlackboxTarget(IscsiServer server) {
        this.server = server;
        this.portal = server.boundAddresses().getFirst();
    }

    static BlackboxTarget start(Path dir, long lunBytes) throws InterruptedException {
        ServerConfig config = new ServerConfig(
                List.of(new InetSocketAddress("127.0.0.1", 0)),
                List.of(new TargetConfig(IQN, List.of(
                        new LunConfig(WRITABLE_LUN, new BackingSpec.File(dir.resolve("lun0.img"), lunBytes, false), false),
                        new LunConfig(READ_ONLY_LUN, new BackingSpec.File(dir.resolve("lun1.img"), lunBytes, false), true)))),
                ServerConfig.Limits.defaults());
        return new BlackboxTarget(IscsiServer.start(config));
    }

    /**
     * A target for multipath conformance runs: two portals (two target ports, so two I_T nexuses per
     * initiator to the same LU), LUN 0 a removable thin file, reservation state under {@code dir}.
     */
    static BlackboxTarget startMultipath(Path dir, long lunBytes) throws InterruptedException {
        ServerConfig config = new ServerConfig(
                List.of(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0)),
                List.of(new TargetConfig(IQN, List.of(
                        new LunConfig(WRITABLE_LUN, new BackingSpec.File(dir.resolve("lun0.img"), lunBytes, false),
                                false, true)))),
                ServerConfig.Limits.defaults(), dir.resolve("state"));
        return new BlackboxTarget(IscsiServer.start(config));
    }

    /** {@code iscsi://127.0.0.1:PORT/IQN/LUN} through the second portal of a multipath target. */
    String secondPathLunUrl(int lun) {
        return "iscsi://127.0.0.1:" + server.boundAddresses().get(1).getPort() + "/" + IQN + "/" + lun;
    }

    int port() {
        return portal.getPort();
    }

    /** {@code 127.0.0.1:PORT} */
    String hostPort() {
        return "127.0.0.1:" + port();
    }

    /** {@code iscsi://127.0.0.1:PORT} (a portal, for discovery) */
    String portalUrl() {
        return "iscsi://" + hostPort();
    }

    /** {@code iscsi://127.0.0.1:PORT/IQN/LUN} */
    String lunUrl(int lun) {
        return portalUrl() + "/" + IQN + "/" + lun;
    }

    @Override
    public void close() {
        server.close();
    }
}
