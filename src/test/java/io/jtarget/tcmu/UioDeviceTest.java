package io.jtarget.tcmu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** uio names as target_core_user.c writes them, and the sysfs and configfs files read beside them. */
class UioDeviceTest {

    @Test
    void nameCarriesHbaDeviceHandlerAndItsConfigurationWithSlashes() {
        UioDevice d = UioDevice.parse(3, "tcm-user/7/disk0/jtarget/file:/srv/a/b.img:1G\n").orElseThrow();
        assertThat(d.minor()).isEqualTo(3);
        assertThat(d.hbaId()).isEqualTo(7);
        assertThat(d.deviceName()).isEqualTo("disk0");
        assertThat(d.handler()).isEqualTo("jtarget");
        assertThat(d.config()).isEqualTo("file:/srv/a/b.img:1G");
        assertThat(d.namesHandler("jtarget")).isTrue();
        assertThat(d.devicePath()).hasToString("/dev/uio3");

        assertThat(d.lunSpec()).isEqualTo("file:/srv/a/b.img:1G");
        assertThat(UioDevice.parse(3, "tcm-user/7/disk0/jtarget/file:/srv/a.img;wt;ro").orElseThrow().lunSpec())
                .as("flags after semicolons: LIO splits dev_config at commas").isEqualTo("file:/srv/a.img,wt,ro");

        UioDevice runner = UioDevice.parse(1, "tcm-user/1/x/qcow//tmp/a.qcow2").orElseThrow();
        assertThat(runner.handler()).isEqualTo("qcow");
        assertThat(runner.namesHandler("jtarget")).isFalse();
        assertThat(UioDevice.parse(2, "tcm-user/1/noconfig").orElseThrow().handler()).isEmpty();
        assertThat(UioDevice.parse(0, "uio_pci_generic")).isEmpty();
        assertThatThrownBy(() -> UioDevice.parse(0, "tcm-user/x/y")).hasMessageContaining("bad HBA id");
    }

    @Test
    void scanFindsTcmuDevicesAndReadsTheirMapSize(@TempDir Path sys) throws IOException {
        uio(sys, 0, "tcm-user/1/a/jtarget/ram:1G", "0x40800000");
        uio(sys, 2, "tcm-user/1/b/qcow//tmp/q", "0x1000");
        uio(sys, 5, "something else", "0x1000");
        var found = UioDevice.scan(sys);
        assertThat(found).extracting(UioDevice::minor).containsExactly(0, 2);
        assertThat(found.getFirst().mapSize(sys)).isEqualTo(0x40800000L);
        assertThat(UioDevice.scan(sys.resolve("missing"))).isEmpty();
    }

    @Test
    void lioAttributesAreReadFromConfigfs(@TempDir Path core) throws IOException {
        UioDevice d = UioDevice.parse(0, "tcm-user/4/disk/jtarget/ram:1M").orElseThrow();
        Path dir = core.resolve("user_4/disk");
        assertThat(d.unitSerial(core)).isEmpty();
        assertThat(d.configuredSize(core)).isZero();
        Files.createDirectories(dir.resolve("wwn"));
        Files.createDirectories(dir.resolve("attrib"));
        Files.writeString(dir.resolve("wwn/vpd_unit_serial"), "T10 VPD Unit Serial Number: 5001405f00000001\n");
        Files.writeString(dir.resolve("attrib/dev_size"), "1048576\n");
        assertThat(d.unitSerial(core)).contains("5001405f00000001");
        assertThat(d.configuredSize(core)).isEqualTo(1048576);
    }

    private static void uio(Path sys, int minor, String name, String size) throws IOException {
        Path dir = sys.resolve("uio" + minor);
        Files.createDirectories(dir.resolve("maps/map0"));
        Files.writeString(dir.resolve("name"), name + "\n");
        Files.writeString(dir.resolve("maps/map0/size"), size + "\n");
    }
}
