package pdagc.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Repo;

/**
 * The docs cannot rot: every command they show is run, and what it prints is held against what
 * they say it prints.
 *
 * <p>The documents are {@code README.md} and {@code docs/*.md}. Each {@code ```console} block is a
 * session: {@code $ } commands, each followed by its output ({@code ...} elides; see
 * {@link Console}). The blocks of one document run in order in one directory of their own, so a
 * tour's later steps read the files its earlier steps wrote; the checkout is never written. A
 * block that cannot run here (the whole test suite, which runs this test) carries the line
 * {@code <!-- not run by the docs test: REASON -->} right before its fence. A command shown in any
 * other kind of block, a {@code $ } line outside a console block, fails the test, and so does a
 * link to a file or heading that does not exist.
 */
class DocsTest {
    static final Path ROOT = Repo.root();

    /** Blocks that are not run, at most: the list must stay short. */
    static final int MOST_NOT_RUN = 2;

    @TempDir
    static Path work;

    static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>();
        docs.add(ROOT.resolve("README.md"));
        try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    static String name(Path doc) {
        return ROOT.relativize(doc).toString();
    }

    /** The line that bin/pdagc prints on stderr when it builds: expected output may show it, pdagc never prints it. */
    static String launcherLine() throws IOException {
        Matcher m = Pattern.compile("^\\s*echo \"(pdagc: building[^\"]*)\" >&2$", Pattern.MULTILINE)
                .matcher(Files.readString(ROOT.resolve("bin/pdagc")));
        assertTrue(m.find(), "bin/pdagc prints a line when it builds");
        return m.group(1);
    }

    @TestFactory
    Stream<DynamicNode> everyCommandOfTheDocs() throws IOException {
        String launcher = launcherLine();
        List<DynamicNode> nodes = new ArrayList<>();
        for (Path doc : documents()) {
            Path dir = Files.createDirectories(work.resolve(name(doc).replace('/', '_')));
            Console console = new Console(ROOT, dir, launcher);
            List<DynamicTest> tests = new ArrayList<>();
            for (Markdown.Block b : Markdown.blocks(Files.readAllLines(doc))) {
                if (!b.info().equals("console") || !b.notRun().isEmpty()) continue;
                for (Console.Command c : Console.parse(b.lines(), b.line())) {
                    String title = name(doc) + ":" + c.line() + " $ " + c.text();
                    tests.add(DynamicTest.dynamicTest(title, doc.toUri(), () -> check(console, doc, c)));
                }
            }
            nodes.add(DynamicContainer.dynamicContainer(name(doc), doc.toUri(), tests.stream()));
        }
        return nodes.stream();
    }

    static void check(Console console, Path doc, Console.Command c) throws IOException {
        Console.Outcome o = console.run(c);
        List<String> expected = new ArrayList<>(c.expected());
        boolean pdagc = c.text().startsWith("bin/pdagc ") || c.text().startsWith("pdagc ");
        if (pdagc) expected.removeIf(l -> l.equals(console.launcherLine));
        while (!expected.isEmpty() && expected.get(expected.size() - 1).isBlank()) expected.remove(expected.size() - 1);
        String where = name(doc) + ":" + c.line() + ": `" + c.text() + "`";
        if (o.exit() != 0 && !c.text().endsWith("echo \"exit $?\"")) {
            fail(where + " exited " + o.exit() + " (show a failing command's exit with `; echo \"exit $?\"`); it printed:\n" + shorten(Console.lines(o.output())));
        }
        List<String> actual = Console.lines(o.output());
        if (!Console.matches(expected, actual)) {
            fail(where + " printed what the docs do not show.\n--- the docs show:\n" + String.join("\n", expected)
                    + "\n--- it printed:\n" + shorten(actual));
        }
    }

    /** A long output as its first and last lines. */
    static String shorten(List<String> lines) {
        if (lines.size() <= 100) return String.join("\n", lines);
        return String.join("\n", lines.subList(0, 40)) + "\n[" + (lines.size() - 80) + " lines]\n"
                + String.join("\n", lines.subList(lines.size() - 40, lines.size()));
    }

    /** A command is shown only in a console block, where it runs, or in one marked as not run, with a reason. */
    @Test
    void everyCommandIsInAConsoleBlock() throws IOException {
        List<String> problems = new ArrayList<>();
        List<String> notRun = new ArrayList<>();
        for (Path doc : documents()) {
            List<String> lines = Files.readAllLines(doc);
            List<Markdown.Block> blocks = Markdown.blocks(lines);
            for (Markdown.Block b : blocks) {
                boolean command = b.lines().stream().anyMatch(l -> l.startsWith("$ "));
                if (command && !b.info().equals("console")) {
                    problems.add(name(doc) + ":" + b.line() + ": a command in a ```" + b.info() + " block; use ```console, which the docs test runs");
                }
                if (b.info().equals("console")) Console.parse(b.lines(), b.line());
                if (!b.notRun().isEmpty()) {
                    if (!b.info().equals("console")) problems.add(name(doc) + ":" + b.line() + ": a not-run marker before a block that is not ```console");
                    notRun.add(name(doc) + ":" + b.line() + ": " + b.notRun());
                }
            }
            for (int i = 0; i < lines.size(); i++) {
                if (Markdown.NOT_RUN.matcher(lines.get(i)).matches() && (i + 1 == lines.size() || !lines.get(i + 1).startsWith("```"))) {
                    problems.add(name(doc) + ":" + (i + 1) + ": a not-run marker that is not right before a fence");
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(notRun.size() <= MOST_NOT_RUN, "keep the blocks that are not run few: " + notRun);
    }

    /**
     * The README starts with two commands, each with its output: the first compiles an example
     * (the main job, build included), the second is the command {@code .ci/run} runs (every test).
     */
    @Test
    void theReadmeStartsWithTheTwoCommands() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
        List<Markdown.Block> blocks = Markdown.blocks(lines);
        assertTrue(blocks.size() >= 2);
        for (int i = 0; i < blocks.get(0).line() - 1; i++) {
            String l = lines.get(i);
            assertTrue(l.isBlank() || l.startsWith("# ") || l.startsWith("<!--"), "nothing before the first command but the title: " + l);
        }
        Markdown.Block first = blocks.get(0);
        Markdown.Block second = blocks.get(1);
        List<Console.Command> one = Console.parse(first.lines(), first.line());
        List<Console.Command> two = Console.parse(second.lines(), second.line());
        assertEquals(1, one.size());
        assertEquals(1, two.size());
        assertTrue(first.notRun().isEmpty(), "the docs test runs the first command");
        assertTrue(one.get(0).text().startsWith("bin/pdagc examples/"), one.get(0).text());
        assertFalse(one.get(0).expected().isEmpty(), "the first command shows its output");
        assertFalse(two.get(0).expected().isEmpty(), "the second command shows its output");
        List<String> ci = Files.readAllLines(ROOT.resolve(".ci/run"));
        assertEquals(ci.get(ci.size() - 1).strip(), two.get(0).text(), "the second command is what .ci/run runs");
    }

    /** Every link to a file of the checkout finds it, and every link to a heading finds the heading. */
    @Test
    void everyLinkResolves() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path doc : documents()) {
            for (Markdown.Link link : Markdown.links(Files.readAllLines(doc))) {
                String t = link.target();
                if (t.matches("^[a-z]+:.*")) continue;
                int hash = t.indexOf('#');
                String file = hash < 0 ? t : t.substring(0, hash);
                String anchor = hash < 0 ? "" : t.substring(hash + 1);
                Path target = file.isEmpty() ? doc : doc.getParent().resolve(file).normalize();
                String where = name(doc) + ":" + link.line() + ": " + t;
                if (!target.startsWith(ROOT) || !Files.exists(target)) {
                    problems.add(where + ": no such file");
                } else if (!anchor.isEmpty()) {
                    if (!target.toString().endsWith(".md")) problems.add(where + ": an anchor into a file that is not Markdown");
                    else if (!Markdown.anchors(Files.readAllLines(target)).contains(anchor)) problems.add(where + ": no such heading");
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void theConsoleMatchesAsDocumented() {
        assertTrue(Console.matches(List.of("a", "...", "d"), List.of("a", "b", "c", "d")));
        assertTrue(Console.matches(List.of("a", "...", "b"), List.of("a", "b")));
        assertTrue(Console.matches(List.of("x ... z"), List.of("x y z")));
        assertFalse(Console.matches(List.of("a", "d"), List.of("a", "b", "d")), "lines are not skipped without ...");
        assertFalse(Console.matches(List.of("a"), List.of("a", "b")), "the whole output is shown or elided");
        assertFalse(Console.matches(List.of(), List.of("a")));
        assertTrue(Console.matches(List.of(), List.of()));
        assertEquals(List.of("sed", "s/tp 8/pp 2, tp 8/", "a.pdag", ">", "b.pdag"), Console.words("sed 's/tp 8/pp 2, tp 8/' a.pdag > b.pdag"));
    }
}
