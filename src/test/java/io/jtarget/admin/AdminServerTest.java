package io.jtarget.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API's transport: routing, path parameters, refusals as status and one line, the socket's mode. */
class AdminServerTest {
    @TempDir
    Path dir;
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private AdminServer start() throws IOException {
        return AdminServer.start(dir, loops, List.of(
                new AdminServer.Route("GET", "/v1/things/{name}", req -> Map.of("name", req.param("name"),
                        "force", req.flag("force"))),
                new AdminServer.Route("POST", "/v1/things", req -> {
                    throw new ChangeRefused(ChangeRefused.Kind.CONFLICT, "thing " + req.json().path("name").asText()
                            + " already exists");
                })));
    }

    @Test
    void shouldRouteAndAnswerJsonOnAnOwnerOnlySocket() throws Exception {
        try (AdminServer server = start(); AdminClient client = AdminClient.forDataDir(dir)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socket()))).isEqualTo("rw-------");

            AdminClient.Response ok = client.send("GET", "/v1/things/iqn.2026-11.org.example%3Aa?force=true", null);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(AdminServer.JSON.readTree(ok.body()).path("name").asText()).isEqualTo("iqn.2026-11.org.example:a");
            assertThat(AdminServer.JSON.readTree(ok.body()).path("force").asBoolean()).isTrue();

            AdminClient.Response refused = client.send("POST", "/v1/things", "{\"name\": \"x\"}");
            assertThat(refused.status()).isEqualTo(409);
            assertThat(AdminServer.JSON.readTree(refused.body()).path("error").asText()).isEqualTo("thing x already exists");

            assertThat(client.send("DELETE", "/v1/things/x", null).status()).isEqualTo(405);
            assertThat(client.send("GET", "/v1/nothing", null).status()).isEqualTo(404);
        }
        assertThat(dir.resolve(AdminServer.SOCKET_NAME)).doesNotExist();
    }

    @Test
    void shouldRefuseToStartWhileAnotherServerAnswersAndReplaceAStaleSocket() throws Exception {
        try (AdminServer first = start()) {
            assertThatThrownBy(this::start).isInstanceOf(IOException.class).hasMessageContaining("another jtarget serves");
        }
        // A socket file left by a server that died answers nobody: the next server takes its place.
        Files.createFile(dir.resolve(AdminServer.SOCKET_NAME));
        try (AdminServer again = start(); AdminClient client = AdminClient.forDataDir(dir)) {
            assertThat(client.send("GET", "/v1/things/a", null).status()).isEqualTo(200);
        }
    }

    @Test
    void shouldSayWhenNoServerRunsThere() {
        assertThatThrownBy(() -> AdminClient.forDataDir(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("no jtarget server runs on " + dir);
    }
}
