package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * libiscsi's conformance suite, one CUnit suite per test case, each against a fresh target with
 * a fixed (non-removable) LUN. A suite passes when CUnit ran at least one test and reports no
 * failed test and no failed suite setup, and when no check was skipped beyond {@link #ALLOWED_SKIPS}:
 * libiscsi prints "[SKIPPED] reason" and counts the test as passed, so a skip would otherwise
 * look like a pass. The removable-medium suites (PreventAllow, StartStopUnit with LoEj) run
 * against a removable LUN in {@link MultipathConformanceIT}.
 */
@Tag("blackbox")
class IscsiTestCuIT {

    /** Skips expected against a non-removable LUN, by suite, test and the reason libiscsi prints. */
    private static final Map<String, Map<String, Set<String>>> ALLOWED_SKIPS = Map.of(
            // Loads and ejects the medium, so it only runs on a removable LU; MultipathConformanceIT runs it.
            "StartStopUnit", Map.of("Simple", Set.of("Media is not removable.")));

    @TempDir
    Path dir;

    static Stream<String> suites() {
        return Stream.of("Inquiry", "Mandatory", "ModeSense6", "NoMedia", "Prefetch10", "Prefetch16",
                "Read6", "Read10", "Read12", "Read16", "ReadCapacity10", "ReadCapacity16", "ReadOnly", "StartStopUnit",
                "TestUnitReady", "Verify10", "Verify12", "Verify16", "Write10", "Write12", "Write16", "WriteVerify10",
                "WriteVerify12", "WriteVerify16", "iSCSIcmdsn", "iSCSIdatasn", "iSCSIResiduals", "iSCSITMF");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void shouldPassConformanceSuite(String suite) throws Exception {
        // ReadOnly's tests only run against a write-protected LUN (CHECK_FOR_READONLY); everything else
        // wants a writable one.
        int lun = suite.equals("ReadOnly") ? BlackboxTarget.READ_ONLY_LUN : BlackboxTarget.WRITABLE_LUN;
        try (BlackboxTarget target = BlackboxTarget.start(dir, 256L << 20)) {
            IscsiTestCu run = IscsiTestCu.runSuite(suite, List.of("--dataloss"), List.of(target.lunUrl(lun)));
            CunitSummary summary = run.summary();
            ExternalTool.Result r = run.result();
            assertThat(summary.failedTestNames())
                    .as("failed tests of suite %s:\n%s", suite, r.describe())
                    .isEmpty();
            assertThat(summary.testsFailed()).as("failed tests of suite %s:\n%s", suite, r.describe()).isZero();
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(unexpectedSkips(suite, summary.skipNotes()))
                    .as("skipped checks in suite %s (beyond the allowed ones):\n%s", suite, r.describe())
                    .isEmpty();
        }
    }

    private static Map<String, Set<String>> unexpectedSkips(String suite, Map<String, Set<String>> skipNotes) {
        Map<String, Set<String>> allowed = ALLOWED_SKIPS.getOrDefault(suite, Map.of());
        Map<String, Set<String>> unexpected = new LinkedHashMap<>();
        skipNotes.forEach((test, notes) -> {
            if (!allowed.getOrDefault(test, Set.of()).containsAll(notes)) {
                unexpected.put(test, notes);
            }
        });
        return unexpected;
    }
}
