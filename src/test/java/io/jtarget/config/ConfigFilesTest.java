package io.jtarget.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFilesTest {
    @TempDir
    Path dir;

    private static ConfigDocument doc(String target) {
        return new ConfigDocument(List.of("127.0.0.1:3260"), null, null,
                List.of(new ConfigDocument.Target(target, List.of(new ConfigDocument.Lun(0, "ram:64M", null, null, null)),
                        null, null)));
    }

    @Test
    void shouldKeepThePreviousVersion() throws Exception {
        ConfigFiles.save(dir, doc("iqn.2026-11.org.example:one"));
        assertThat(dir.resolve(ConfigFiles.PREVIOUS_NAME)).doesNotExist();
        ConfigFiles.save(dir, doc("iqn.2026-11.org.example:two"));
        ConfigFiles.save(dir, doc("iqn.2026-11.org.example:three"));

        assertThat(ConfigFiles.read(ConfigFiles.in(dir))).contains(doc("iqn.2026-11.org.example:three"));
        assertThat(ConfigFiles.read(dir.resolve(ConfigFiles.PREVIOUS_NAME))).contains(doc("iqn.2026-11.org.example:two"));
        // No temporary file is left behind.
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(ConfigFiles.FILE_NAME, ConfigFiles.PREVIOUS_NAME);
        }
    }

    /** A crash at any step of a save leaves a complete file in place: the old one, or once renamed, the new one. */
    @ParameterizedTest
    @EnumSource(ConfigFiles.SaveStep.class)
    void shouldLeaveACompleteFileWhenASaveStopsBetweenSteps(ConfigFiles.SaveStep crashAfter) throws Exception {
        ConfigFiles.save(dir, doc("iqn.2026-11.org.example:old"));
        ConfigDocument wanted = doc("iqn.2026-11.org.example:new");

        assertThatThrownBy(() -> ConfigFiles.save(dir, wanted, step -> {
            if (step == crashAfter) {
                throw new IOException("crash after " + step);
            }
        })).isInstanceOf(IOException.class);

        ConfigDocument onDisk = ConfigFiles.read(ConfigFiles.in(dir)).orElseThrow();
        if (crashAfter == ConfigFiles.SaveStep.RENAMED) {
            assertThat(onDisk).isEqualTo(wanted);
        } else {
            assertThat(onDisk).isEqualTo(doc("iqn.2026-11.org.example:old"));
        }
        // The next save works whatever the crash left behind.
        ConfigFiles.save(dir, wanted);
        assertThat(ConfigFiles.read(ConfigFiles.in(dir))).contains(wanted);
    }

    @Test
    void shouldKeepTheOperatorsCommentsWhereTheyStillBelongWhenTheServerRewritesTheFile() throws Exception {
        String example = Files.readString(Path.of("docs/jtarget.example.yaml"));
        Files.writeString(ConfigFiles.in(dir), example);
        ConfigDocument before = ConfigFiles.read(ConfigFiles.in(dir)).orElseThrow();
        // A live change, as `jtarget lun add` makes one: a LUN added to the first target, the last target removed.
        List<ConfigDocument.Target> targets = new java.util.ArrayList<>(before.targets());
        ConfigDocument.Target db = targets.getFirst();
        List<ConfigDocument.Lun> luns = new java.util.ArrayList<>(db.luns());
        luns.add(new ConfigDocument.Lun(7, "ram:16M", null, null, null));
        targets.set(0, new ConfigDocument.Target(db.name(), luns, db.auth(), db.access()));
        ConfigDocument.Target removed = targets.removeLast();
        ConfigDocument after = new ConfigDocument(before.portals(), before.discoveryAuth(), before.limits(), targets);

        ConfigFiles.save(dir, after);

        String written = Files.readString(ConfigFiles.in(dir));
        assertThat(ConfigFiles.read(ConfigFiles.in(dir))).as("the same configuration as saved").contains(after);
        assertThat(written).contains("# Discovery sessions (SendTargets) may require CHAP of their own.",
                "# created sparse at size when missing", "# commands one session may have outstanding",
                "# LUN masking: db2 sees only LUN 0");
        assertThat(written).as("the removed target and its comments are gone").doesNotContain(removed.name(),
                "# off-heap memory, lost on exit");
        assertThat(written).as("the operator's [a, b] stays a flow sequence")
                .contains("algorithms: [SHA3-256, SHA-256, SHA-1, MD5] # MD5 only for initiators without SHA");
        assertThat(ConfigFiles.read(dir.resolve(ConfigFiles.PREVIOUS_NAME))).contains(before);
    }

    @Test
    void shouldKeepTheCommentsOfAnAppliedFileRatherThanThoseOfTheFileItReplaces() throws Exception {
        Files.writeString(ConfigFiles.in(dir), "# old comment\n" + ConfigFiles.format(doc("iqn.2026-11.org.example:one")));
        String applied = "# what config apply sent\nportals: [127.0.0.1:3260]\ntargets:\n"
                + "  - name: iqn.2026-11.org.example:two   # the new one\n    luns:\n      - lun: 0\n"
                + "        backing: ram:64M\n";
        ConfigDocument wanted = ConfigFiles.parse(applied);
        ConfigFiles.save(dir, wanted, applied);
        String written = Files.readString(ConfigFiles.in(dir));
        assertThat(written).contains("# what config apply sent", "# the new one").doesNotContain("# old comment");
        assertThat(ConfigFiles.read(ConfigFiles.in(dir))).contains(wanted);
    }

    @Test
    void shouldWriteAFileWithoutCommentsAsBefore() throws Exception {
        ConfigFiles.save(dir, doc("iqn.2026-11.org.example:one"));
        ConfigFiles.save(dir, doc("iqn.2026-11.org.example:two"));
        assertThat(Files.readString(ConfigFiles.in(dir))).isEqualTo(ConfigFiles.format(doc("iqn.2026-11.org.example:two")));
    }

    @Test
    void shouldReadAMissingFileAsAbsent() throws Exception {
        assertThat(ConfigFiles.read(ConfigFiles.in(dir))).isEmpty();
    }
}
