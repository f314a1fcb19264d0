package io.jtarget.blackbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of libiscsi's iscsi-test-cu for one suite, with the checks every conformance test makes:
 * the tool is installed and got to run the suite (a CUnit summary, at least one test, no suite
 * setup failure).
 */
record IscsiTestCu(ExternalTool.Result result, CunitSummary summary) {
    static final Duration SUITE_TIMEOUT = Duration.ofMinutes(5);
    static final String INITIATOR_1 = "iqn.2026-11.io.jtarget.blackbox:initiator-1";
    static final String INITIATOR_2 = "iqn.2026-11.io.jtarget.blackbox:initiator-2";

    /**
     * @param options flags besides {@code --verbose} and the initiator names (e.g. {@code --dataloss})
     * @param urls the LU's URL, and optionally a second path to it (multipath checks)
     */
    static IscsiTestCu runSuite(String suite, List<String> options, List<String> urls) throws Exception {
        ExternalTool.requireInstalled("iscsi-test-cu", "libiscsi-bin");
        List<String> command = new ArrayList<>(List.of("iscsi-test-cu"));
        command.addAll(options);
        command.addAll(List.of("--verbose", "--initiator-name=" + INITIATOR_1, "--initiator-name-2=" + INITIATOR_2,
                "--test=ALL." + suite));
        command.addAll(urls);
        ExternalTool.Result r = ExternalTool.run(SUITE_TIMEOUT, command);
        CunitSummary summary = CunitSummary.parse(r.output());
        assertThat(summary).as("no CUnit run summary; the tool did not get to run the suite:\n%s", r.describe())
                .isNotNull();
        assertThat(summary.testsRun()).as("tests run in suite %s:\n%s", suite, r.describe()).isPositive();
        assertThat(summary.suitesFailed()).as("suite setup failures of %s:\n%s", suite, r.describe()).isZero();
        return new IscsiTestCu(r, summary);
    }
}
