package io.jtarget.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.config.ConfigPlan.AddLun;
import io.jtarget.config.ConfigPlan.AddPortal;
import io.jtarget.config.ConfigPlan.AddTarget;
import io.jtarget.config.ConfigPlan.Change;
import io.jtarget.config.ConfigPlan.RemoveLun;
import io.jtarget.config.ConfigPlan.RemovePortal;
import io.jtarget.config.ConfigPlan.RemoveTarget;
import io.jtarget.config.ConfigPlan.ResizeLun;
import io.jtarget.config.ConfigPlan.UpdateRules;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigPlanTest {
    @TempDir
    Path dataDir;

    private static final String BASE = """
            portals: [127.0.0.1:3260]
            targets:
              - name: iqn.2026-11.org.example:a
                luns:
                  - {lun: 0, backing: "ram:64M"}
                  - {lun: 1, backing: "file:/srv/a1.img", size: 64M}
              - name: iqn.2026-11.org.example:b
                luns:
                  - {lun: 0, backing: "file:/srv/b0.img", size: 1G}
            """;

    private ConfigPlan plan(String from, String to) throws Exception {
        return ConfigPlan.between(ConfigCompiler.compile(ConfigFiles.parse(from), dataDir),
                ConfigCompiler.compile(ConfigFiles.parse(to), dataDir));
    }

    @Test
    void shouldPlanNothingForTheSameConfiguration() throws Exception {
        ConfigPlan p = plan(BASE, BASE);
        assertThat(p.isEmpty()).isTrue();
        assertThat(p.restartNeeded()).isEmpty();
    }

    @Test
    void shouldTouchOnlyTheLunThatWasAdded() throws Exception {
        ConfigPlan p = plan(BASE, BASE + "      - {lun: 1, backing: \"ram:1M\"}\n");
        assertThat(p.changes()).hasSize(1).first().isInstanceOfSatisfying(AddLun.class, a -> {
            assertThat(a.target()).isEqualTo("iqn.2026-11.org.example:b");
            assertThat(a.lun().lun()).isEqualTo(1);
        });
    }

    @Test
    void shouldResizeInPlaceWhenOnlyTheSizeDiffers() throws Exception {
        ConfigPlan p = plan(BASE, BASE.replace("size: 64M", "size: 512M"));
        assertThat(p.changes()).containsExactly(new ResizeLun("iqn.2026-11.org.example:a", 1, 512L << 20));
    }

    @Test
    void shouldReplaceALunWhoseStoreChanged() throws Exception {
        ConfigPlan p = plan(BASE, BASE.replace("file:/srv/a1.img", "file:/srv/other.img"));
        assertThat(p.changes()).extracting(Change::getClass).containsExactly(RemoveLun.class, AddLun.class);
        assertThat(p.changes().getFirst().removes()).isTrue();
    }

    @Test
    void shouldAddBeforeItRemoves() throws Exception {
        String to = """
                portals: [127.0.0.1:3261]
                targets:
                  - name: iqn.2026-11.org.example:a
                    luns:
                      - {lun: 0, backing: "ram:64M"}
                    access: {initiators: [iqn.1994-05.com.redhat:db1]}
                  - name: iqn.2026-11.org.example:c
                """;
        ConfigPlan p = plan(BASE, to);
        assertThat(p.changes()).extracting(Change::getClass).containsExactly(AddPortal.class, UpdateRules.class,
                AddTarget.class, RemoveTarget.class, RemoveLun.class, RemovePortal.class);
        // Everything that can fail comes before anything that cannot be undone.
        int firstRemoval = p.changes().indexOf(p.changes().stream().filter(Change::removes).findFirst().orElseThrow());
        assertThat(p.changes().subList(firstRemoval, p.changes().size())).allMatch(Change::removes);
        assertThat(p.changes()).contains(new RemoveTarget("iqn.2026-11.org.example:b"),
                new RemoveLun("iqn.2026-11.org.example:a", 1));
    }

    @Test
    void shouldMatchTargetNamesCaseInsensitively() throws Exception {
        assertThat(plan(BASE, BASE.replace("org.example:b", "ORG.EXAMPLE:B")).changes()).isEmpty();
    }

    @Test
    void shouldSayWhatNeedsARestart() throws Exception {
        ConfigPlan p = plan(BASE, BASE.replace("portals: [127.0.0.1:3260]", "portals: [127.0.0.1:3260]\nlimits: {queue-depth: 8}"));
        assertThat(p.changes()).isEmpty();
        assertThat(p.restartNeeded()).containsExactly("limits (threads, queue depth, timeouts)");
    }
}
