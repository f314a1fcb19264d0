package io.jtarget.backstore.rbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.backstore.Stores;
import io.jtarget.config.BackingSpecParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** {@code rbd:POOL/IMAGE[@SNAP]} through the store seam's parser (no cluster needed). */
class RbdStoreTest {

    @Test
    void shouldParseAnImageAndASnapshot() {
        assertThat(Stores.parse("rbd:pool1/disk-a")).isEqualTo(new RbdSpec("pool1", "disk-a", null));
        assertThat(Stores.parse("RBD:pool1/disk-a@before.upgrade")).isEqualTo(new RbdSpec("pool1", "disk-a", "before.upgrade"));
    }

    @Test
    void shouldAcceptLunFlagsAfterTheImage() {
        BackingSpecParser.ParsedLun lun = BackingSpecParser.parseLun("rbd:pool1/disk-a,ro");
        assertThat(lun.backing()).isEqualTo(new RbdSpec("pool1", "disk-a", null));
        assertThat(lun.readOnly()).isTrue();
    }

    @Test
    void shouldNameThePoolImageAndSnapshotInTheIdentity() {
        assertThat(Stores.parse("rbd:p/i").identity()).isEqualTo("rbd:p/i");
        assertThat(Stores.parse("rbd:p/i@s").identity()).isEqualTo("rbd:p/i@s").isNotEqualTo(Stores.parse("rbd:p/i").identity());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rbd:", "rbd:pool", "rbd:/image", "rbd:pool/", "rbd:pool/ns/image", "rbd:pool/image@",
        "rbd:pool/image,wt"})
    void shouldRejectMalformedSpecsQuotingThem(String value) {
        assertThatThrownBy(() -> Stores.parse(value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(value)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void shouldListTheRbdSchemeInTheUsage() {
        assertThat(Stores.usages()).contains("rbd:POOL/IMAGE[@SNAP]");
    }
}
