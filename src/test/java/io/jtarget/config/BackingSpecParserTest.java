package io.jtarget.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.backstore.BackingSpec;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class BackingSpecParserTest {

    @ParameterizedTest
    @CsvSource({
        "ram:512M, 536870912",
        "ram:512MiB, 536870912",
        "ram:1g, 1073741824",
        "ram:2GiB, 2147483648",
        "ram:1T, 1099511627776",
        "ram:64K, 65536",
        "ram:1048576, 1048576",
        "RAM:4kib, 4096",
    })
    void shouldParseRamWhenSizeHasAnySuffix(String value, long bytes) {
        assertThat(BackingSpecParser.parse(value)).isEqualTo(new BackingSpec.Ram(bytes));
    }

    @Test
    void shouldParseFileWithoutSizeAsExisting() {
        assertThat(BackingSpecParser.parse("file:/srv/x.img"))
                .isEqualTo(new BackingSpec.File(Path.of("/srv/x.img"), 0, false));
    }

    @Test
    void shouldParseFileWithSize() {
        assertThat(BackingSpecParser.parse("file:/srv/x.img:1G"))
                .isEqualTo(new BackingSpec.File(Path.of("/srv/x.img"), 1L << 30, false));
    }

    @Test
    void shouldKeepColonsInPathWhenLastTokenIsNotASize() {
        assertThat(BackingSpecParser.parse("file:/mnt/a:b/x.img"))
                .isEqualTo(new BackingSpec.File(Path.of("/mnt/a:b/x.img"), 0, false));
        assertThat(BackingSpecParser.parse("file:/mnt/a:b/x.img:10M"))
                .isEqualTo(new BackingSpec.File(Path.of("/mnt/a:b/x.img"), 10L << 20, false));
    }

    @Test
    void shouldSetWriteThroughWhenFlagged() {
        assertThat(BackingSpecParser.parse("file:disk.img:1G,wt"))
                .isEqualTo(new BackingSpec.File(Path.of("disk.img"), 1L << 30, true));
    }

    @Test
    void shouldReportRemovableWhenParsedAsLun() {
        assertThat(BackingSpecParser.parseLun("file:/srv/x.img:1G,removable"))
                .isEqualTo(new BackingSpecParser.ParsedLun(new BackingSpec.File(Path.of("/srv/x.img"), 1L << 30, false),
                        false, true));
        assertThatThrownBy(() -> BackingSpecParser.parse("ram:1M,removable"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("removable");
    }

    @Test
    void shouldReportReadOnlyWhenParsedAsLun() {
        assertThat(BackingSpecParser.parseLun("file:/srv/x.img,ro,wt"))
                .isEqualTo(new BackingSpecParser.ParsedLun(new BackingSpec.File(Path.of("/srv/x.img"), 0, true), true));
        assertThat(BackingSpecParser.parseLun("ram:1M"))
                .isEqualTo(new BackingSpecParser.ParsedLun(new BackingSpec.Ram(1 << 20), false));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "ram",
        "ram:",
        "ram:0",
        "ram:1000",
        "ram:-5M",
        "ram:5X",
        "ram:1.5G",
        "ram:5MB",
        "ram:99999999999999999999",
        "ram:9999999999T",
        "ram:1M,wt",
        "ram:1M,fast",
        "disk:/x.img",
        "file:",
        "file::1G",
        "file:/x.img:1000",
        "file:/x.img:0",
        "file:/x.img,",
    })
    void shouldRejectWithMessageNamingValueWhenMalformed(String value) {
        assertThatThrownBy(() -> BackingSpecParser.parse(value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"))
                .satisfies(e -> {
                    if (!value.isBlank()) {
                        assertThat(e.getMessage()).contains(value);
                    }
                });
    }

    @Test
    void shouldRejectReadOnlyFlagWhenOnlyABackingStoreIsExpected() {
        assertThatThrownBy(() -> BackingSpecParser.parse("ram:1M,ro"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ro");
    }

    @Test
    void shouldRejectNull() {
        assertThatThrownBy(() -> BackingSpecParser.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
