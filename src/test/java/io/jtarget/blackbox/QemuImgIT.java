package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qemu-img (QEMU's iSCSI block driver, built on libiscsi) copies a 64 MiB random image onto LUN 0
 * and back; the copy must be byte-for-byte identical, with the default options and with QEMU's
 * runtime options (header-digest=crc32c, parallel out-of-order writes).
 */
@Tag("blackbox")
class QemuImgIT {
    private static final long IMAGE_BYTES = 64L << 20;
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    @BeforeAll
    static void requireQemu() throws Exception {
        ExternalTool.requireInstalled("qemu-img", "qemu-utils");
        ExternalTool.Result help = ExternalTool.run(Duration.ofSeconds(30), List.of("qemu-img", "--help"));
        assertThat(help.output()).as("qemu-img lacks the iscsi block driver: install qemu-block-extra\n%s", help.describe())
                .containsPattern("Supported formats:.*\\biscsi\\b");
    }

    @Test
    void shouldCopyImageThroughLunWhenUsingIscsiUrls() throws Exception {
        Path image = randomImage(dir.resolve("in.raw"), 1);
        Path back = dir.resolve("back.raw");
        try (BlackboxTarget target = BlackboxTarget.start(dir, IMAGE_BYTES)) {
            String url = target.lunUrl(BlackboxTarget.WRITABLE_LUN);
            run(List.of("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), url));
            ExternalTool.Result info = run(List.of("qemu-img", "info", url));
            assertThat(info.output()).as(info.describe()).contains("(" + IMAGE_BYTES + " bytes)");
            run(List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", url, back.toString()));
        }
        assertThat(Files.size(back)).isEqualTo(IMAGE_BYTES);
        assertThat(Files.mismatch(image, back)).as("first differing byte").isEqualTo(-1L);
    }

    /**
     * libiscsi falls back to no digest when the negotiation does not end in CRC32C and qemu-img does
     * not say which it got, so this cannot prove digests were in force; the digests themselves are
     * checked by {@code io.jtarget.e2e.LoginE2ETest.shouldUseNegotiatedDigestsWhenInitiatorOffersThem}.
     */
    @Test
    void shouldCopyImageThroughLunWhenQemuAsksForHeaderDigests() throws Exception {
        Path image = randomImage(dir.resolve("in.raw"), 2);
        Path back = dir.resolve("back.raw");
        try (BlackboxTarget target = BlackboxTarget.start(dir, IMAGE_BYTES)) {
            // QEMU block/iscsi.c runtime options; header-digest takes crc32c|none|crc32c-none|none-crc32c.
            String opts = "driver=iscsi,transport=tcp,portal=" + target.hostPort() + ",target=" + BlackboxTarget.IQN
                    + ",lun=" + BlackboxTarget.WRITABLE_LUN + ",header-digest=crc32c";
            // -W: out-of-order parallel writes, so several commands are in flight at once.
            run(List.of("qemu-img", "convert", "-n", "-W", "-m", "16", "-f", "raw", "--target-image-opts",
                    image.toString(), opts));
            run(List.of("qemu-img", "convert", "--image-opts", "-O", "raw", opts, back.toString()));
        }
        assertThat(Files.size(back)).isEqualTo(IMAGE_BYTES);
        assertThat(Files.mismatch(image, back)).as("first differing byte").isEqualTo(-1L);
    }

    private static ExternalTool.Result run(List<String> command) throws Exception {
        ExternalTool.Result r = ExternalTool.run(TIMEOUT, command);
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return r;
    }

    private static Path randomImage(Path path, long seed) throws Exception {
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(path)) {
            for (long done = 0; done < IMAGE_BYTES; done += chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
        return path;
    }
}
