package io.jtarget.tcmu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One TCMU device as the kernel names it: {@code /dev/uioN} whose uio name is
 * {@code tcm-user/<hba id>/<device name>/<dev_config>} (target_core_user.c tcmu_update_uio_info),
 * where {@code dev_config} is the backstore's configuration string, by convention
 * {@code <handler>/<handler's own configuration>}: {@code jtarget/file:/srv/disk.img}.
 *
 * @param minor N of /dev/uioN
 * @param hbaId the LIO HBA number (configfs {@code core/user_<hbaId>})
 * @param deviceName the LIO device name (configfs {@code core/user_<hbaId>/<deviceName>})
 * @param handler the handler the configuration string names ({@code jtarget}), or "" when none
 * @param config what follows {@code <handler>/}: the backing store spec for jtarget
 */
record UioDevice(int minor, int hbaId, String deviceName, String handler, String config) {
    static final String PREFIX = "tcm-user/";
    static final Path SYS_UIO = Path.of("/sys/class/uio");
    static final Path CONFIGFS_CORE = Path.of("/sys/kernel/config/target/core");

    /**
     * Parse a uio name; empty when it is not a TCMU device's.
     *
     * @throws IllegalArgumentException for a TCMU name without HBA id and device name
     */
    static Optional<UioDevice> parse(int minor, String uioName) {
        String name = uioName.strip();
        if (!name.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] parts = name.substring(PREFIX.length()).split("/", 3);
        if (parts.length < 2 || parts[1].isEmpty()) {
            throw new IllegalArgumentException("TCMU device name without HBA and device: '" + uioName + "'");
        }
        int hba;
        try {
            hba = Integer.parseInt(parts[0]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("TCMU device name with a bad HBA id: '" + uioName + "'");
        }
        String devConfig = parts.length == 3 ? parts[2] : "";
        int slash = devConfig.indexOf('/');
        String handler = slash < 0 ? devConfig : devConfig.substring(0, slash);
        String config = slash < 0 ? "" : devConfig.substring(slash + 1);
        return Optional.of(new UioDevice(minor, hba, parts[1], handler, config));
    }

    /** Every TCMU device present now, from /sys/class/uio. */
    static List<UioDevice> scan(Path sysUio) throws IOException {
        List<UioDevice> found = new ArrayList<>();
        if (!Files.isDirectory(sysUio)) {
            return found;
        }
        try (var entries = Files.newDirectoryStream(sysUio, "uio*")) {
            for (Path dir : entries) {
                int minor;
                try {
                    minor = Integer.parseInt(dir.getFileName().toString().substring(3));
                } catch (NumberFormatException e) {
                    continue;
                }
                String name;
                try {
                    name = Files.readString(dir.resolve("name"), StandardCharsets.UTF_8);
                } catch (NoSuchFileException e) {
                    continue; // removed while we looked
                }
                try {
                    parse(minor, name).ifPresent(found::add);
                } catch (IllegalArgumentException e) {
                    // Not a name this code understands: not ours to serve.
                }
            }
        }
        found.sort((a, b) -> Integer.compare(a.minor, b.minor));
        return found;
    }

    boolean namesHandler(String name) {
        return handler.equals(name);
    }

    Path devicePath() {
        return Path.of("/dev/uio" + minor);
    }

    /** Size of the shared mapping (map0), from sysfs: the mmap must be exactly this long. */
    long mapSize(Path sysUio) throws IOException {
        String text = Files.readString(sysUio.resolve("uio" + minor).resolve("maps/map0/size")).strip();
        return text.startsWith("0x") ? Long.parseUnsignedLong(text.substring(2), 16) : Long.parseLong(text);
    }

    /** The device's configfs directory. */
    Path configfs(Path core) {
        return core.resolve("user_" + hbaId).resolve(deviceName);
    }

    /** LIO's unit serial of the device (wwn/vpd_unit_serial), when one was set. */
    Optional<String> unitSerial(Path core) {
        try {
            String text = Files.readString(configfs(core).resolve("wwn/vpd_unit_serial")).strip();
            int colon = text.lastIndexOf(':');
            String serial = (colon >= 0 ? text.substring(colon + 1) : text).strip();
            return serial.isEmpty() ? Optional.empty() : Optional.of(serial);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The device size LIO was given (attrib/dev_size, bytes), or 0 when unknown. */
    long configuredSize(Path core) {
        try {
            return Long.parseLong(Files.readString(configfs(core).resolve("attrib/dev_size")).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The {@code --lun} spec this device's configuration names. LIO splits its control string at
     * commas ({@code dev_config=...,dev_size=...}), so a store's flags follow semicolons there
     * ({@code jtarget/file:/srv/disk.img;wt}), the way tcmu-runner's handlers take their options.
     */
    String lunSpec() {
        return config.replace(';', ',');
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "uio%d (%s/%s: %s/%s)", minor, "user_" + hbaId, deviceName, handler, config);
    }
}
