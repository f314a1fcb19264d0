package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store seam's entry points: one parser for every scheme, one opener, identities for serial numbers. */
class StoresTest {
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void shouldParseEachSchemeThroughItsProvider() {
        assertThat(Stores.parse("ram:1M")).isEqualTo(new BackingSpec.Ram(1 << 20));
        assertThat(Stores.parse("FILE:/srv/x.img:2G,WT")).isEqualTo(new BackingSpec.File(Path.of("/srv/x.img"), 2L << 30, true));
    }

    @Test
    void shouldReturnTheCallersFlagsUninterpretedAndRefuseOthers() {
        Stores.Parsed parsed = Stores.parse("file:/x.img,ro,wt", Set.of("ro", "removable"));
        assertThat(parsed.spec()).isEqualTo(new BackingSpec.File(Path.of("/x.img"), 0, true));
        assertThat(parsed.otherFlags()).containsExactly("ro");
        assertThatThrownBy(() -> Stores.parse("ram:1M,wt", Set.of("ro")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'wt'").hasMessageContaining("ram:1M,wt").hasMessageContaining("known: ro");
        assertThatThrownBy(() -> Stores.parse("nvme:0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nvme:0").hasMessageContaining("ram:SIZE").hasMessageContaining("file:PATH[:SIZE]");
    }

    @Test
    void shouldGiveIdentitiesThatIgnoreSpellingButTellStoresApart() {
        assertThat(Stores.parse("file:/srv/./a.img").identity()).isEqualTo(Stores.parse("file:/srv/a.img:1G,wt").identity())
                .isEqualTo("file:/srv/a.img");
        assertThat(Stores.parse("ram:1M").identity()).isEqualTo("ram:1048576")
                .isNotEqualTo(Stores.parse("ram:2M").identity());
    }

    @Test
    void shouldOpenAParsedSpecThroughTheEntryPoint(@TempDir Path dir) throws Exception {
        StoreContext context = StoreContext.of(FairQueueExecutor.over(pool));
        try (BlockDevice device = Stores.open(Stores.parse("file:" + dir.resolve("a.img") + ":1M,wt"), context)) {
            assertThat(device.blockCount() * device.blockSize()).isEqualTo(1 << 20);
            assertThat(device.writeCacheEnabled()).isFalse();
            assertThat(device.describe()).contains("a.img");
        }
        try (BlockDevice device = Stores.open(new BackingSpec.Ram(1 << 20), context)) {
            assertThat(device.capabilities()).contains(BlockDevice.Capability.DEALLOCATE);
        }
    }

    @Test
    void shouldRefuseAContextWithoutAPositiveDeadline() {
        FairQueueExecutor dispatcher = FairQueueExecutor.over(pool);
        assertThatThrownBy(() -> new StoreContext(dispatcher, java.util.Map.of(), java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
