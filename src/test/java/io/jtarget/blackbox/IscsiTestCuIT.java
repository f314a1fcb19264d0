package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * libiscsi's conformance suite, one CUnit suite per test case, each against a fresh target.
 * A suite passes when CUnit ran at least one test and reports no failed test and no failed
 * suite setup; checks libiscsi skipped (it prints "[SKIPPED] reason" and counts the test as
 * passed) are printed to the test output.
 */
@Tag("blackbox")
class IscsiTestCuIT {

    @TempDir
    Path dir;

    static Stream<String> suites() {
        return Stream.of("Inquiry", "Mandatory", "ModeSense6", "NoMedia", "Prefetch10", "Prefetch16", "PreventAllow",
                "Read6", "Read10", "Read12", "Read16", "ReadCapacity10", "ReadCapacity16", "ReadOnly", "StartStopUnit",
                "TestUnitReady", "Verify10", "Verify12", "Verify16", "Write10", "Write12", "Write16", "WriteVerify10",
                "WriteVerify12", "WriteVerify16", "iSCSIcmdsn", "iSCSIdatasn", "iSCSIResiduals", "iSCSITMF");
    }

    @BeforeAll
    static void requireTool() {
        ExternalTool.requireInstalled("iscsi-test-cu", "libiscsi-bin");
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
            if (suite.equals("ReadOnly")) {
                // CHECK_FOR_READONLY skips the whole test unless MODE SENSE reports the LUN write-protected.
                assertThat(summary.skipNotes().values()).as("ReadOnly must really run:\n%s", r.describe())
                        .noneMatch(notes -> notes.stream().anyMatch(n -> n.toLowerCase(java.util.Locale.ROOT)
                                .contains("write-protected")));
            }
            summary.skipNotes().forEach((test, reasons) ->
                    System.out.println("iscsi-test-cu " + suite + "." + test + " skipped checks: " + reasons));
        }
    }
}
