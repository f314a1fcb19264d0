package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The iscsi-test-cu output parser (plain unit test, runs with surefire). */
class CunitSummaryTest {
    private static final String SUMMARY_TAIL = """
            Run Summary:    Type  Total    Ran Passed Failed Inactive
                          suites      1      1    n/a      %d        0
                           tests      %d      %d      %d      %d        0
                         asserts      4      4      0      4      n/a

            Elapsed time =    0.001 seconds
            Tests completed with return value: 0
            """;

    @Test
    void shouldNameFailedTestWhenCunitSaysFailed() {
        String out = """
                Suite: iSCSIdatasn
                  Test: iSCSIDataSnInvalid ...FAILED
                    1. test_iscsi_datasn_invalid.c:98  - CU_ASSERT_NOT_EQUAL(ret,0)
                  Test: Other ...passed
                """ + SUMMARY_TAIL.formatted(0, 2, 2, 1, 1);
        CunitSummary s = CunitSummary.parse(out);
        assertThat(s.failedTestNames()).containsExactly("iSCSIDataSnInvalid");
        assertThat(s.testsRun()).isEqualTo(2);
        assertThat(s.testsFailed()).isEqualTo(1);
    }

    @Test
    void shouldTreatLibiscsiFailedMarkersAsLogWhenVerdictIsPassed() {
        String out = """
                Suite: iSCSIdatasn
                  Test: iSCSIDataSnInvalid ...    [FAILED] WRITE10 command failed with status 251658241
                    [FAILED] WRITE10 command failed with status 251658241
                passed    [SKIPPED] PERSISTENT RESERVE IN is not implemented.
                  Test: Simple ...    [SKIPPED] Logical unit is not removable. Skipping test.
                passed
                """ + SUMMARY_TAIL.formatted(0, 2, 2, 2, 0);
        CunitSummary s = CunitSummary.parse(out);
        assertThat(s.failedTestNames()).isEmpty();
        assertThat(s.skipNotes()).containsOnlyKeys("Simple");
        assertThat(s.skipNotes().get("Simple")).containsExactly("Logical unit is not removable. Skipping test.");
        assertThat(s.testsFailed()).isZero();
    }

    @Test
    void shouldNameFailedTestWhenNormalModeListsFailures() {
        String out = "Suite iSCSIdatasn, Test iSCSIDataSnInvalid had failures:\n    1. x.c:1 - CU_ASSERT(0)\n"
                + SUMMARY_TAIL.formatted(0, 1, 1, 0, 1);
        assertThat(CunitSummary.parse(out).failedTestNames()).containsExactly("iSCSIDataSnInvalid");
    }

    @Test
    void shouldReportSuiteFailureWhenSetupFailed() {
        String out = SUMMARY_TAIL.formatted(1, 0, 0, 0, 0);
        CunitSummary s = CunitSummary.parse(out);
        assertThat(s.suitesFailed()).isEqualTo(1);
        assertThat(s.testsRun()).isZero();
    }

    @Test
    void shouldReturnNullWhenToolNeverRan() {
        assertThat(CunitSummary.parse("Failed to connect to SCSI device 0\n")).isNull();
    }
}
