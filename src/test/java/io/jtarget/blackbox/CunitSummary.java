package io.jtarget.blackbox;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one iscsi-test-cu run reported: CUnit's "Run Summary" table (Type Total Ran Passed Failed
 * Inactive) plus the per-test verdicts of verbose mode and the "had failures" lines of normal mode.
 * libiscsi counts a test that skipped some or all of its checks ("[SKIPPED] reason") as passed;
 * {@link #skipNotes} keeps those reasons per test.
 */
record CunitSummary(int suitesRun, int suitesFailed, int testsRun, int testsPassed, int testsFailed,
        List<String> failedTestNames, Map<String, Set<String>> skipNotes) {
    private static final Pattern SUMMARY = Pattern.compile(
            "(?m)^\\s*suites\\s+(\\d+)\\s+(\\d+)\\s+\\S+\\s+(\\d+)\\s+(\\d+)\\s*$[\\s\\S]*?"
                    + "^\\s*tests\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*$");
    private static final Pattern TEST_LINE = Pattern.compile("(?m)^\\s*Test: (\\S+) \\.\\.\\.");
    private static final Pattern VERDICT = Pattern.compile("(?<!\\[)\\b(passed|FAILED)\\b(?!\\])");
    private static final Pattern SKIP_NOTE = Pattern.compile("\\[SKIPPED\\] ([^\\n]*)");
    private static final Pattern FAILURE_HEADER = Pattern.compile("(?m)^Suite \\S+, Test (\\S+) had failures:");

    static CunitSummary parse(String output) {
        Matcher m = SUMMARY.matcher(output);
        if (!m.find()) {
            return null;
        }
        List<String> failed = new ArrayList<>();
        Map<String, Set<String>> skipNotes = new LinkedHashMap<>();
        Matcher t = TEST_LINE.matcher(output);
        List<int[]> spans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (t.find()) {
            spans.add(new int[] {t.start(), t.end()});
            names.add(t.group(1));
        }
        for (int i = 0; i < names.size(); i++) {
            int end = i + 1 < spans.size() ? spans.get(i + 1)[0] : m.start();
            // CUnit's verdict ("passed" / "FAILED") follows the test's own log lines, in which libiscsi
            // marks expected errors "[FAILED]" and skips "[SKIPPED]"; only the bare word is the verdict.
            String body = output.substring(spans.get(i)[1], end);
            Matcher verdict = VERDICT.matcher(body);
            int verdictAt = body.length();
            boolean testFailed = false;
            while (verdict.find()) {
                verdictAt = verdict.start();
                testFailed = verdict.group().equals("FAILED");
            }
            if (testFailed) {
                failed.add(names.get(i));
            }
            Matcher note = SKIP_NOTE.matcher(body.substring(0, verdictAt));
            while (note.find()) {
                skipNotes.computeIfAbsent(names.get(i), k -> new LinkedHashSet<>()).add(note.group(1).strip());
            }
        }
        Matcher f = FAILURE_HEADER.matcher(output);
        while (f.find()) {
            if (!failed.contains(f.group(1))) {
                failed.add(f.group(1));
            }
        }
        return new CunitSummary(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                Integer.parseInt(m.group(6)), Integer.parseInt(m.group(7)), Integer.parseInt(m.group(8)),
                failed, skipNotes);
    }
}
