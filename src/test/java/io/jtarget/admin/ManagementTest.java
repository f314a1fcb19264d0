package io.jtarget.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.config.ConfigCompiler;
import io.jtarget.config.ConfigDocument;
import io.jtarget.config.ConfigFiles;
import io.jtarget.config.ServerConfig;
import io.jtarget.net.IscsiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live changes against a running server: applied, saved, or refused with nothing changed. */
class ManagementTest {
    private static final String A = "iqn.2026-11.org.example:a";
    private static final String B = "iqn.2026-11.org.example:b";

    @TempDir
    Path dir;
    private IscsiServer server;
    private Management management;

    @BeforeEach
    void start() throws Exception {
        ConfigDocument doc = ConfigFiles.parse("""
                portals: [127.0.0.1:0]
                limits: {event-loops: 1, backend-threads: 1}
                targets:
                  - name: %s
                    luns: [{lun: 0, backing: "ram:1M"}]
                    auth: {chap: {user: alice, secret: s3cret-s3cret-s3cret}}
                """.formatted(A));
        ServerConfig config = ConfigCompiler.compile(doc, dir);
        ConfigFiles.save(dir, doc);
        server = IscsiServer.start(config);
        management = new Management(server, dir, doc, config, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String file() throws Exception {
        return Files.readString(ConfigFiles.in(dir));
    }

    @Test
    void shouldApplyAndSaveAnAddedLun() throws Exception {
        Management.Result r = management.changeTarget(A, t -> {
            List<ConfigDocument.Lun> luns = new ArrayList<>(t.luns());
            luns.add(new ConfigDocument.Lun(1, "file:lun1.img", "4M", null, null));
            return t.withLuns(luns);
        }, false);

        assertThat(r.changes()).containsExactly("add LUN 1 (file:" + dir.resolve("lun1.img") + ":4M) to " + A);
        assertThat(server.registry().target(A).core().logicalUnit(1)).isNotNull();
        assertThat(Files.size(dir.resolve("lun1.img"))).isEqualTo(4L << 20);
        assertThat(ConfigFiles.read(ConfigFiles.in(dir)).orElseThrow()).isEqualTo(management.document());
        assertThat(dir.resolve(ConfigFiles.PREVIOUS_NAME)).exists();
    }

    @Test
    void shouldUndoEverythingWhenALaterStepFails() throws Exception {
        Files.createDirectory(dir.resolve("not-a-file"));
        String before = file();
        // Adding target B works, adding LUN 1 to A cannot open its store: B must go again.
        ConfigDocument wanted = ConfigFiles.parse(ConfigFiles.format(management.document())
                .replace("        backing: ram:1M\n", "        backing: ram:1M\n      - lun: 1\n        backing: file:not-a-file:1M\n")
                + "  - name: " + B + "\n");

        assertThatThrownBy(() -> management.apply(wanted, false)).isInstanceOfSatisfying(ChangeRefused.class,
                e -> assertThat(e.kind()).isEqualTo(ChangeRefused.Kind.FAILED));

        assertThat(server.registry().target(B)).isNull();
        assertThat(server.registry().target(A).core().logicalUnit(1)).isNull();
        assertThat(file()).isEqualTo(before);
    }

    @Test
    void shouldRefuseABadValueWithItsPathAndChangeNothing() throws Exception {
        String before = file();
        assertThatThrownBy(() -> management.changeTarget(A, t -> t.withLuns(List.of(
                new ConfigDocument.Lun(0, "ram:1M", "1000", null, null))), false))
                .isInstanceOfSatisfying(ChangeRefused.class, e -> {
                    assertThat(e.kind()).isEqualTo(ChangeRefused.Kind.BAD_VALUE);
                    assertThat(e.getMessage()).isEqualTo("targets[0].luns[0].size: must be a positive multiple of 512 bytes, got 1000");
                });
        assertThat(file()).isEqualTo(before);
    }

    @Test
    void shouldNeverShowASecretAndKeepItWhenTheRedactedFileIsApplied() throws Exception {
        String shown = ConfigFiles.format(management.redactedDocument());
        assertThat(shown).doesNotContain("s3cret").contains(Management.REDACTED);

        Management.Result r = management.apply(ConfigFiles.parse(shown), false);

        assertThat(r.changes()).isEmpty();
        assertThat(file()).contains("s3cret-s3cret-s3cret");
    }

    @Test
    void shouldRemoveATargetAndEndNothingElse() throws Exception {
        management.change(d -> {
            List<ConfigDocument.Target> targets = new ArrayList<>(d.targets());
            targets.add(new ConfigDocument.Target(B, List.of(new ConfigDocument.Lun(0, "ram:1M", null, null, null)), null, null));
            return d.withTargets(targets);
        }, false);
        var aCore = server.registry().target(A).core();

        Management.Result r = management.change(d -> d.withTargets(d.targets().subList(0, 1)), false);

        assertThat(r.changes()).containsExactly("remove target " + B);
        assertThat(server.registry().target(B)).isNull();
        assertThat(server.registry().target(A).core()).isSameAs(aCore);
    }
}
