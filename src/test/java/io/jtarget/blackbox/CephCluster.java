package io.jtarget.blackbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A throw-away single-node Ceph cluster (one monitor, one bluestore OSD on a sparse file, pool size 1) on
 * 127.0.0.1, started by {@code scripts/ceph-local} in a temporary directory and removed by {@link #close}.
 * One per test class: it takes a few seconds to start.
 */
final class CephCluster implements AutoCloseable {
    static final String POOL = "rbd";
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(2);

    private final Path script;
    private final Path dir;
    private final Path conf;

    private CephCluster(Path script, Path dir, Path conf) {
        this.script = script;
        this.dir = dir;
        this.conf = conf;
    }

    /** Starts a cluster; fails naming the Debian packages when the Ceph daemons are missing. */
    static CephCluster start() throws IOException, InterruptedException {
        ExternalTool.requireInstalled("ceph-mon", "ceph-mon");
        ExternalTool.requireInstalled("ceph-osd", "ceph-osd");
        ExternalTool.requireInstalled("rbd", "ceph-common");
        Path script = Path.of(System.getProperty("user.dir")).resolve("scripts/ceph-local");
        Path parent = Files.createTempDirectory("jtarget-ceph-");
        Path dir = parent.resolve("cluster");
        ExternalTool.Result r = ExternalTool.run(TOOL_TIMEOUT, List.of(script.toString(), "start", dir.toString(), POOL));
        if (r.exitCode() != 0) {
            ExternalTool.run(TOOL_TIMEOUT, List.of(script.toString(), "stop", dir.toString()));
            Files.deleteIfExists(parent);
            throw new AssertionError("the local Ceph cluster did not start:\n" + r.describe());
        }
        return new CephCluster(script, dir, dir.resolve("ceph.conf"));
    }

    Path conf() {
        return conf;
    }

    /** Runs {@code rbd -c CONF ARGS...}, required to succeed; its output. */
    String rbd(String... args) throws IOException, InterruptedException {
        return tool("rbd", args);
    }

    /** Runs {@code ceph -c CONF ARGS...}, required to succeed; its output. */
    String ceph(String... args) throws IOException, InterruptedException {
        return tool("ceph", args);
    }

    private String tool(String tool, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(tool, "-c", conf.toString()));
        command.addAll(List.of(args));
        ExternalTool.Result r = ExternalTool.run(TOOL_TIMEOUT, command);
        if (r.exitCode() != 0) {
            throw new AssertionError(r.describe());
        }
        return r.output();
    }

    /** {@code mon-stop}, {@code mon-start}, {@code osd-stop} or {@code osd-start}. */
    void daemon(String action) throws IOException, InterruptedException {
        ExternalTool.Result r = ExternalTool.run(TOOL_TIMEOUT, List.of(script.toString(), action, dir.toString()));
        if (r.exitCode() != 0) {
            throw new AssertionError(r.describe());
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        ExternalTool.Result r = ExternalTool.run(TOOL_TIMEOUT, List.of(script.toString(), "stop", dir.toString()));
        Files.deleteIfExists(dir.getParent());
        if (r.exitCode() != 0) {
            throw new AssertionError("stopping the local Ceph cluster failed:\n" + r.describe());
        }
    }
}
