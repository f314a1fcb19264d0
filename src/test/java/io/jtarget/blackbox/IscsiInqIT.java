package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libiscsi's iscsi-inq decodes standard INQUIRY data and every VPD page the LUN says it supports (SPC-5 §6.7, §7.8). */
@Tag("blackbox")
class IscsiInqIT {
    private static final Pattern SUPPORTED_PAGE = Pattern.compile("(?m)^Page:0x([0-9a-f]{2})\\s+(\\S+)");

    @TempDir
    static Path dir;

    private static BlackboxTarget target;

    @BeforeAll
    static void start() throws Exception {
        ExternalTool.requireInstalled("iscsi-inq", "libiscsi-bin");
        target = BlackboxTarget.start(dir, 64L << 20);
    }

    @AfterAll
    static void stop() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void shouldDescribeDiskWhenAskedForStandardInquiry() throws Exception {
        ExternalTool.Result r = inq(List.of());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.output()).as(r.describe())
                .contains("Peripheral Qualifier:CONNECTED")
                .contains("Peripheral Device Type:DIRECT_ACCESS")
                .contains("Removable:0")
                .containsPattern("Vendor:\\S")
                .containsPattern("Product:\\S");
    }

    /** VPD pages libiscsi 1.19's scsi_datain_unmarshall decodes; it fails on any other page code. */
    private static final Set<Integer> LIBISCSI_DECODES = Set.of(0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2);

    @Test
    void shouldDecodeEverySupportedVpdPageWhenAsked() throws Exception {
        ExternalTool.Result list = inq(List.of("-e", "1", "-c", "0"));
        assertThat(list.exitCode()).as(list.describe()).isZero();
        List<Integer> pages = new ArrayList<>();
        Matcher m = SUPPORTED_PAGE.matcher(list.output());
        while (m.find()) {
            pages.add(Integer.parseInt(m.group(1), 16));
        }
        // SPC-5 §7.8.1: Supported VPD Pages (00h) and Device Identification (83h) are mandatory;
        // SBC-4 §6.6: a disk also reports Block Limits (B0h) and Block Device Characteristics (B1h).
        assertThat(pages).as(list.describe()).contains(0x00, 0x83, 0xB0, 0xB1);
        for (int page : pages) {
            if (!LIBISCSI_DECODES.contains(page)) {
                continue; // e.g. Third-party Copy (8Fh): libiscsi 1.19 has no unmarshaller for it
            }
            // iscsi-inq reads the page code as a decimal number
            ExternalTool.Result r = inq(List.of("-e", "1", "-c", Integer.toString(page)));
            assertThat(r.exitCode()).as("VPD page 0x%02x: %s", page, r.describe()).isZero();
            assertThat(r.output()).as("VPD page 0x%02x: %s", page, r.describe()).doesNotContain("failed");
        }
    }

    @Test
    void shouldShowLogicalUnitDesignatorWhenAskedForDeviceIdentification() throws Exception {
        ExternalTool.Result r = inq(List.of("-e", "1", "-c", Integer.toString(0x83)));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.output()).as(r.describe())
                .contains("DEVICE_IDENTIFICATION")
                .contains("Association:(0) LOGICAL_UNIT");
    }

    @Test
    void shouldFailCleanlyWhenVpdPageIsUnsupported() throws Exception {
        ExternalTool.Result r = inq(List.of("-e", "1", "-c", Integer.toString(0x99)));
        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.output()).as("SPC-5: unsupported page → ILLEGAL REQUEST, INVALID FIELD IN CDB\n%s", r.describe())
                .contains("ILLEGAL_REQUEST").contains("INVALID_FIELD_IN_CDB");
    }

    private static ExternalTool.Result inq(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("iscsi-inq"));
        cmd.addAll(args);
        cmd.add(target.lunUrl(BlackboxTarget.WRITABLE_LUN));
        return ExternalTool.run(Duration.ofSeconds(60), cmd);
    }
}
