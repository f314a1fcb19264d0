package io.jtarget.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.backstore.BackingSpec;
import io.jtarget.backstore.RamBlockDevice;
import io.jtarget.config.LunConfig;
import io.jtarget.metrics.prometheus.PrometheusEndpoint;
import io.jtarget.registry.Fabric;
import io.jtarget.registry.ServedTarget;
import io.jtarget.registry.SessionInfo;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.testinit.Bytes;
import io.jtarget.testinit.LoginRejectedException;
import io.jtarget.testinit.TestInitiator;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code serve --metrics}: the Prometheus endpoint shows what initiators did, per LUN and per target. */
class MetricsE2ETest {
    @RegisterExtension
    static final E2eTarget target = E2eTarget.withDefaults();

    private static final String LUN0 = "lun=\"0\"";
    private static final String TARGET = "target=\"" + E2eTarget.TARGET_NAME + "\"";

    private static PrometheusEndpoint endpoint;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startEndpoint() throws Exception {
        endpoint = PrometheusEndpoint.start(target.server(), new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterAll
    static void stopEndpoint() {
        endpoint.close();
    }

    @Test
    void shouldServeWriteAndReadCountersOfALunAfterIo() throws Exception {
        byte[] data = Bytes.random(64 * 1024, 7);
        try (TestInitiator initiator = target.loginReady()) {
            initiator.write16(E2eTarget.RAM_LUN, 0, data, false).requireGood();
            initiator.write16(E2eTarget.RAM_LUN, 512, data, false).requireGood();
            initiator.read16(E2eTarget.RAM_LUN, 0, data.length / initiator.blockSize(E2eTarget.RAM_LUN)).requireGood();

            List<String> metrics = scrape("/metrics").body().lines().toList();
            assertThat(value(metrics, "jtarget_lun_written_bytes_total", LUN0, TARGET)).isEqualTo(2.0 * data.length);
            assertThat(value(metrics, "jtarget_lun_read_bytes_total", LUN0, TARGET)).isEqualTo(data.length);
            assertThat(value(metrics, "jtarget_lun_commands_total", LUN0, TARGET, "kind=\"write\"")).isEqualTo(2);
            assertThat(value(metrics, "jtarget_lun_commands_total", LUN0, TARGET, "kind=\"read\"")).isEqualTo(1);
            assertThat(value(metrics, "jtarget_lun_written_bytes_total", "lun=\"1\"", TARGET)).isZero();
            assertThat(value(metrics, "jtarget_lun_command_latency_seconds_count", LUN0, TARGET, "kind=\"write\""))
                    .isEqualTo(2);
            assertThat(value(metrics, "jtarget_lun_command_latency_seconds_bucket", LUN0, TARGET, "kind=\"write\"",
                    "le=\"+Inf\"")).isEqualTo(2);
            assertThat(value(metrics, "jtarget_lun_commands_in_flight", LUN0, TARGET)).isZero();
            assertThat(value(metrics, "jtarget_target_sessions", TARGET)).isGreaterThanOrEqualTo(1);
            assertThat(value(metrics, "jtarget_logins_total", TARGET, "outcome=\"success\"")).isGreaterThanOrEqualTo(1);
            assertThat(value(metrics, "jtarget_connections")).isGreaterThanOrEqualTo(1);
            assertThat(value(metrics, "jtarget_lun_size_bytes", LUN0, TARGET)).isEqualTo(E2eTarget.RAM_BYTES);
            assertThat(metrics).anyMatch(l -> l.startsWith("jvm_buffer_memory_used_bytes{"));
            assertThat(metrics).anyMatch(l -> l.startsWith("jtarget_backend_io_total{path=\"pool\"}"));
        }
    }

    @Test
    void shouldCountAFailedLoginUnderItsReasonWithoutTheMadeUpTargetName() throws Exception {
        assertThatThrownBy(() -> target.login(E2eTarget.options().targetName("iqn.2026-11.example:nonexistent")))
                .isInstanceOf(LoginRejectedException.class);
        List<String> metrics = scrape("/metrics").body().lines().toList();
        assertThat(value(metrics, "jtarget_logins_total", "target=\"\"", "outcome=\"not_found\"")).isEqualTo(1);
        assertThat(metrics).noneMatch(l -> l.contains("nonexistent"));
    }

    @Test
    void shouldShowALunAddedWhileServingAndDropItWhenRemoved() throws Exception {
        int added = 5;
        target.server().registry().addLun(E2eTarget.TARGET_NAME, new LunConfig(added, new BackingSpec.Ram(8L << 20), false));
        String lun5 = "lun=\"" + added + "\"";
        byte[] data = Bytes.random(16 * 1024, 9);
        try (TestInitiator initiator = target.login()) {
            initiator.clearUnitAttentions(added);
            initiator.capacity(added);
            initiator.write16(added, 0, data, false).requireGood();
            List<String> metrics = scrape("/metrics").body().lines().toList();
            assertThat(value(metrics, "jtarget_lun_written_bytes_total", lun5, TARGET)).isEqualTo(data.length);
            assertThat(value(metrics, "jtarget_lun_size_bytes", lun5, TARGET)).isEqualTo(8 << 20);
        }
        target.server().registry().removeLun(E2eTarget.TARGET_NAME, added, false, Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS);
        assertThat(scrape("/metrics").body().lines()).noneMatch(l -> l.contains(lun5));
    }

    @Test
    void shouldListTheUnitsAFabricServesOutsideTheTargetsAsTcmuDevicesAre() throws Exception {
        LogicalUnit device = new LogicalUnit(0, new RamBlockDevice(4L << 20, 512), false, "tcmu-test");
        AtomicBoolean serving = new AtomicBoolean(true);
        target.server().registry().addFabric(new Fabric() {
            @Override
            public String name() {
                return "tcmu";
            }

            @Override
            public CompletableFuture<Void> endSessions(ServedTarget t) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public List<SessionInfo> sessions() {
                return List.of();
            }

            @Override
            public boolean dropSession(String id) {
                return false;
            }

            @Override
            public List<OwnUnit> ownUnits() {
                return serving.get() ? List.of(new OwnUnit("tcmu/user_0/disk0", device)) : List.of();
            }
        });
        String name = "target=\"tcmu/user_0/disk0\"";
        List<String> metrics = scrape("/metrics").body().lines().toList();
        assertThat(value(metrics, "jtarget_lun_size_bytes", LUN0, name)).isEqualTo(4 << 20);
        assertThat(value(metrics, "jtarget_lun_commands_total", LUN0, name, "kind=\"write\"")).isZero();
        serving.set(false);
        assertThat(scrape("/metrics").body().lines()).as("a device gone is gone from the scrape")
                .noneMatch(l -> l.contains(name));
    }

    @Test
    void shouldAnswerOtherPathsWith404() throws Exception {
        assertThat(scrape("/").statusCode()).isEqualTo(404);
        HttpResponse<String> ok = scrape("/metrics");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    }

    private static HttpResponse<String> scrape(String path) throws Exception {
        InetSocketAddress a = endpoint.boundAddress();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of the one sample of {@code name} whose labels include every one given. */
    private static double value(List<String> lines, String name, String... labels) {
        List<String> matching = lines.stream()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .filter(l -> List.of(labels).stream().allMatch(l::contains))
                .toList();
        assertThat(matching).as("samples of %s with %s", name, List.of(labels)).hasSize(1);
        String line = matching.getFirst();
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
}
