package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.backstore.rbd.RbdStore;
import io.jtarget.backstore.rbd.RbdSpec;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.StoreSettings;
import io.jtarget.config.TargetConfig;
import io.jtarget.net.IscsiServer;
import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.LoginOptions;
import io.jtarget.testinit.ScsiResult;
import io.jtarget.testinit.TestInitiator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LUNs on Ceph RBD against a throw-away local cluster ({@link CephCluster}, one for the class): libiscsi's
 * conformance suites, a qemu-img round trip checked against {@code rbd export}, {@code rbd resize} seen by a
 * logged-in initiator, and faults (monitor and OSD stopped, client blocklisted, cluster unreachable at start)
 * answered with sense while the session stays, recovering without a restart.
 */
@Tag("blackbox")
class RbdIT {
    private static final String IQN = "iqn.2026-11.io.jtarget.blackbox:rbd";
    private static final long IMAGE_BYTES = 64L << 20;
    /** Short, so a hung OSD shows as a timeout sense within the initiator's own 10 s wait. */
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration RECOVERY = Duration.ofSeconds(90);
    private static final AtomicInteger IMAGES = new AtomicInteger();

    /** Skips expected on an rbd LUN, by suite and test: the non-removable medium (as for file LUNs). */
    private static final Map<String, Set<String>> ALLOWED_SKIPS = Map.of("StartStopUnit", Set.of("Simple"));
    /**
     * libiscsi 1.19 defect (as in MultipathConformanceIT): asks GET LBA STATUS for LBA i+1 and expects the first
     * descriptor to start at i+LBPPB, where SBC-4 §5.9.2.3 has it start at the requested LBA.
     */
    private static final Map<String, Set<String>> LIBISCSI_DEFECTS = Map.of("GetLBAStatus", Set.of("UnmapSingle"));

    private static CephCluster cluster;

    @TempDir
    Path dir;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = CephCluster.start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    static Stream<String> suites() {
        return Stream.concat(IscsiTestCuIT.suites(),
                Stream.of("CompareAndWrite", "GetLBAStatus", "Unmap", "WriteSame10", "WriteSame16"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void shouldPassConformanceSuiteOnAnRbdLun(String suite) throws Exception {
        String image = newImage();
        // LUN 1 is a snapshot of the image: read-only, for the ReadOnly suite.
        cluster.rbd("snap", "create", CephCluster.POOL + "/" + image + "@ro");
        try (IscsiServer server = start(List.of(
                new LunConfig(0, new RbdSpec(CephCluster.POOL, image, null), false),
                new LunConfig(1, new RbdSpec(CephCluster.POOL, image, "ro"), false)))) {
            int lun = suite.equals("ReadOnly") ? 1 : 0;
            IscsiTestCu run = IscsiTestCu.runSuite(suite, List.of("--dataloss"), List.of(lunUrl(server, lun)));
            CunitSummary summary = run.summary();
            ExternalTool.Result r = run.result();
            assertThat(summary.failedTestNames())
                    .as("failed tests of suite %s:\n%s", suite, r.describe())
                    .isSubsetOf(LIBISCSI_DEFECTS.getOrDefault(suite, Set.of()));
            assertThat(summary.testsFailed()).as(r.describe()).isEqualTo(summary.failedTestNames().size());
            assertThat(summary.skipNotes().keySet())
                    .as("skipped checks in suite %s:\n%s", suite, r.describe())
                    .isSubsetOf(ALLOWED_SKIPS.getOrDefault(suite, Set.of()));
        }
    }

    @Test
    void shouldReadBackAQemuImgCopyThroughTheTargetAndFromRbdExport() throws Exception {
        ExternalTool.requireInstalled("qemu-img", "qemu-utils");
        String image = newImage();
        Path original = dir.resolve("random.raw");
        Files.write(original, Bytes.random((int) IMAGE_BYTES, 15));
        try (IscsiServer server = start(List.of(new LunConfig(0, new RbdSpec(CephCluster.POOL, image, null), false)))) {
            String url = lunUrl(server, 0);
            run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", original.toString(), url);
            Path viaTarget = dir.resolve("via-target.raw");
            run("qemu-img", "convert", "-f", "raw", "-O", "raw", url, viaTarget.toString());
            assertThat(Files.mismatch(original, viaTarget)).as("read back through jtarget").isEqualTo(-1);
        }
        Path exported = dir.resolve("exported.raw");
        cluster.rbd("export", CephCluster.POOL + "/" + image, exported.toString());
        assertThat(Files.mismatch(original, exported)).as("rbd export of the image").isEqualTo(-1);
    }

    @Test
    void shouldShowAnRbdResizeToALoggedInInitiatorAsCapacityDataHasChanged() throws Exception {
        String image = newImage();
        try (IscsiServer server = start(List.of(new LunConfig(0, new RbdSpec(CephCluster.POOL, image, null), false)));
                TestInitiator initiator = login(server)) {
            assertThat(initiator.capacity(0).bytes()).isEqualTo(IMAGE_BYTES);
            cluster.rbd("resize", "--size", "96M", CephCluster.POOL + "/" + image);
            ScsiResult attention = awaitCheckCondition(initiator, Duration.ofSeconds(30));
            assertThat(attention.sense().is(0x6, 0x2A, 0x09)).as("CAPACITY DATA HAS CHANGED: %s", attention).isTrue();
            assertThat(initiator.capacity(0).bytes()).isEqualTo(96L << 20);
            byte[] tail = Bytes.random(4096, 7);
            long lastLba = (96L << 20) / 512 - 8;
            initiator.write16(0, lastLba, tail, false).requireGood();
            assertThat(initiator.read16(0, lastLba, 8).requireGood().data()).isEqualTo(tail);
        }
    }

    /**
     * librados keeps serving I/O while the monitor is away (it has the OSD map); with the OSD gone too, an I/O
     * ends with LOGICAL UNIT COMMUNICATION TIME-OUT after the I/O deadline, the session stays, and I/O works
     * again on the same session once both are back.
     */
    @Test
    void shouldAnswerWithSenseWhileTheClusterIsAwayAndRecoverWhenItIsBack() throws Exception {
        String image = newImage();
        byte[] before = Bytes.random(64 << 10, 21);
        byte[] after = Bytes.random(64 << 10, 22);
        try (IscsiServer server = start(List.of(new LunConfig(0, new RbdSpec(CephCluster.POOL, image, null), false)));
                TestInitiator initiator = login(server)) {
            initiator.write16(0, 0, before, false).requireGood();
            cluster.daemon("mon-stop");
            try {
                initiator.write16(0, 1024, before, false).requireGood();
                assertThat(initiator.read16(0, 0, 128).requireGood().data()).isEqualTo(before);
                cluster.daemon("osd-stop");
                ScsiResult hung = initiator.write16(0, 2048, after, false);
                assertThat(hung.isCheckCondition()).as("%s", hung).isTrue();
                assertThat(hung.sense().is(0xB, 0x08, 0x01)).as("LOGICAL UNIT COMMUNICATION TIME-OUT: %s", hung).isTrue();
            } finally {
                cluster.daemon("mon-start");
                cluster.daemon("osd-start");
            }
            ScsiResult write = awaitGood(() -> initiator.write16(0, 2048, after, false));
            assertThat(write.isGood()).as("%s", write).isTrue();
            assertThat(initiator.read16(0, 2048, 128).requireGood().data()).isEqualTo(after);
            assertThat(initiator.read16(0, 0, 128).requireGood().data()).isEqualTo(before);
        }
    }

    @Test
    void shouldGoNotReadyWhenBlocklistedAndServeAgainWithoutARestart() throws Exception {
        String image = newImage();
        byte[] data = Bytes.random(8192, 31);
        try (IscsiServer server = start(List.of(new LunConfig(0, new RbdSpec(CephCluster.POOL, image, null), false)));
                TestInitiator initiator = login(server)) {
            initiator.write16(0, 0, data, false).requireGood();
            String status = cluster.rbd("status", CephCluster.POOL + "/" + image);
            Matcher watcher = Pattern.compile("watcher=(\\S+)").matcher(status);
            assertThat(watcher.find()).as("the target's watch on the image:\n%s", status).isTrue();
            cluster.ceph("osd", "blocklist", "add", watcher.group(1));
            List<ScsiResult> failures = new ArrayList<>();
            ScsiResult good = awaitGood(() -> {
                ScsiResult r = initiator.write16(0, 16, data, false);
                if (!r.isGood()) {
                    failures.add(r);
                }
                return r;
            });
            assertThat(good.isGood()).as("%s", good).isTrue();
            assertThat(failures).as("answers while blocklisted").isNotEmpty()
                    .allSatisfy(r -> assertThat(r.sense().is(0x2, 0x04, 0x01)).as("NOT READY, BECOMING READY: %s", r).isTrue());
            assertThat(initiator.read16(0, 16, 16).requireGood().data()).isEqualTo(data);
            cluster.ceph("osd", "blocklist", "rm", watcher.group(1));
        }
    }

    @Test
    void shouldExitWithOneLineNamingTheMonitorsAndCephConfWhenTheClusterIsUnreachable() throws Exception {
        int port = Launched.freePort();
        Path conf = dir.resolve("unreachable.conf");
        Files.writeString(conf, Files.readString(cluster.conf())
                .replaceAll("mon_host = .*", "mon_host = [v2:127.0.0.1:" + port + "]"));
        Path launcher = Path.of(System.getProperty("user.dir")).resolve("jtarget");
        ExternalTool.Result r = ExternalTool.run(Duration.ofMinutes(2), List.of(launcher.toString(), "serve",
                "--listen", "127.0.0.1:0", "--lun", "rbd:" + CephCluster.POOL + "/none", "--ceph-conf", conf.toString(),
                "--io-timeout", "2"));
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        // The launcher's own notice when it (re)builds the jar is not an error line.
        List<String> errors = r.output().lines()
                .filter(l -> l.startsWith("jtarget: ") && !l.startsWith("jtarget: building")).toList();
        assertThat(errors).as(r.describe()).hasSize(1);
        assertThat(errors.getFirst()).contains("127.0.0.1:" + port).contains(conf.toString()).contains("client.admin");
    }

    private static String newImage() throws IOException, InterruptedException {
        String image = "it" + IMAGES.incrementAndGet();
        cluster.rbd("create", "--size", (IMAGE_BYTES >> 20) + "M", CephCluster.POOL + "/" + image);
        return image;
    }

    private static IscsiServer start(List<LunConfig> luns) throws InterruptedException {
        return IscsiServer.start(new ServerConfig(List.of(new InetSocketAddress("127.0.0.1", 0)),
                List.of(new TargetConfig(IQN, luns)), ServerConfig.Limits.defaults(),
                AuthConfig.NONE, ConnectionLimits.defaults(), null,
                new StoreSettings(Map.of(RbdStore.CONF, cluster.conf().toString()), IO_TIMEOUT)));
    }

    private static String lunUrl(IscsiServer server, int lun) {
        return "iscsi://127.0.0.1:" + server.boundAddresses().getFirst().getPort() + "/" + IQN + "/" + lun;
    }

    private static TestInitiator login(IscsiServer server) throws IOException {
        TestInitiator initiator = TestInitiator.login(server.boundAddresses().getFirst(), LoginOptions.normal(IQN));
        initiator.clearUnitAttentions(0);
        initiator.capacity(0);
        return initiator;
    }

    private static void run(String... command) throws Exception {
        ExternalTool.Result r = ExternalTool.run(Duration.ofMinutes(3), List.of(command));
        assertThat(r.exitCode()).as(r.describe()).isZero();
    }

    /** TEST UNIT READY until it is a CHECK CONDITION; that answer. */
    private static ScsiResult awaitCheckCondition(TestInitiator initiator, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            ScsiResult r = initiator.testUnitReady(0);
            if (r.isCheckCondition() || System.nanoTime() > deadline) {
                return r;
            }
            Thread.sleep(100);
        }
    }

    @FunctionalInterface
    private interface Command {
        ScsiResult run() throws IOException;
    }

    /** Repeats {@code command} (every 0.5 s) until GOOD or {@link #RECOVERY} passed; the last answer. */
    private static ScsiResult awaitGood(Command command) throws Exception {
        long deadline = System.nanoTime() + RECOVERY.toNanos();
        while (true) {
            ScsiResult r = command.run();
            if (r.isGood() || System.nanoTime() > deadline) {
                return r;
            }
            Thread.sleep(500);
        }
    }
}
