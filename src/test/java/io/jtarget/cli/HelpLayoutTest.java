package io.jtarget.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/** Every command's help, rendered for an 80-column terminal, fits it and keeps its tables aligned. */
class HelpLayoutTest {
    private static final int WIDTH = 80;
    /** A table row: two-space indent, a term, at least two spaces, its description. */
    private static final Pattern TABLE_ROW = Pattern.compile("^  (\\S+)( {2,})\\S");
    private static final Pattern TERM_ALONE = Pattern.compile("^  \\S+$");

    @TestFactory
    Stream<DynamicTest> shouldFitEveryLineOfEveryCommandsHelpIn80Columns() {
        return commands(Main.commandLine()).stream().map(cmd -> DynamicTest.dynamicTest(
                cmd.getCommandSpec().qualifiedName(), () -> {
                    List<String> lines = usage(cmd);
                    assertThat(lines).hasSizeGreaterThan(2);
                    assertThat(lines).allSatisfy(line -> assertThat(line.length())
                            .as("line longer than %d columns: '%s'", WIDTH, line).isLessThanOrEqualTo(WIDTH));
                }));
    }

    @Test
    void shouldAlignTheLunSpecTableOfServe() {
        List<String> lines = usage(Main.commandLine().getSubcommands().get("serve"));
        int heading = lines.indexOf("LUN specs (--lun SPEC):");
        assertThat(heading).as("LUN spec heading").isNotNegative();
        List<Integer> descriptionColumns = new ArrayList<>();
        List<String> terms = new ArrayList<>();
        for (String line : lines.subList(heading + 1, lines.size())) {
            Matcher m = TABLE_ROW.matcher(line);
            if (TERM_ALONE.matcher(line).matches()) {
                // A term wider than its column (rbd:POOL/IMAGE[@SNAP]): the description follows below.
                terms.add(line.strip());
            } else if (m.find()) {
                terms.add(m.group(1));
                descriptionColumns.add(m.end() - 1);
            } else if (line.startsWith(" ")) {
                // A continuation line starts exactly at the description column.
                descriptionColumns.add(line.length() - line.stripLeading().length());
            }
        }
        assertThat(terms).contains("ram:SIZE", "file:PATH[:SIZE]", ",ro", ",wt", ",removable");
        assertThat(descriptionColumns).as("description columns").containsOnly(descriptionColumns.getFirst());
    }

    @Test
    void shouldNotBreakAParagraphAfterASingleWord() {
        // A description array element per source line once left "abort" alone on a line.
        for (CommandLine cmd : commands(Main.commandLine())) {
            List<String> lines = usage(cmd);
            for (int i = 1; i + 1 < lines.size(); i++) {
                String line = lines.get(i);
                // The last word of a paragraph may wrap alone; a word cut from its sentence may not.
                boolean lonelyWord = !line.isBlank() && !line.startsWith(" ") && !line.contains(" ")
                        && !lines.get(i + 1).isBlank() && !line.matches(".*[.:)]$");
                assertThat(lonelyWord).as("'%s' alone in the help of %s", line, cmd.getCommandName()).isFalse();
            }
        }
    }

    private static List<String> usage(CommandLine cmd) {
        cmd.setUsageHelpWidth(WIDTH);
        return cmd.getUsageMessage(CommandLine.Help.Ansi.OFF).lines().toList();
    }

    private static List<CommandLine> commands(CommandLine root) {
        List<CommandLine> all = new ArrayList<>();
        all.add(root);
        for (CommandLine sub : root.getSubcommands().values()) {
            if (!all.contains(sub)) {
                all.addAll(commands(sub));
            }
        }
        return all;
    }
}
