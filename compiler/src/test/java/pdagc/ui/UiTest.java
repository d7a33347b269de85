package pdagc.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import pdagc.cli.Main;
import pdagc.diag.Code;

/**
 * UI tests, in the manner of rustc's: every {@code tests/ui/X.pdag} at the repository root is
 * checked in-process with {@code pdagc check}, and what the user would see is compared byte for
 * byte with {@code X.stderr} (the rendered diagnostics and the summary line) and {@code X.exit}
 * (the exit code). Files under {@code tests/ui/lib/} are helpers that cases import, not cases.
 *
 * <p>{@code mvn test -Dbless=true} rewrites the expected files from the actual output instead of
 * comparing (and deletes expected files whose case is gone); review the diff before committing.
 * Surefire passes Maven's user properties ({@code -D...}) to the test JVM as system properties, so
 * {@code bless} needs no configuration in the pom.
 * A crash (exit 3, "internal error") is never blessed: it fails the case either way.
 *
 * <p>A case runs {@code pdagc check X.pdag} unless an {@code X.args} file beside it gives the
 * command line instead, one argument a line, {@code {}} standing for the case's path
 * ({@code --emit launch --for megatron {}}); an {@code X.args} without an {@code X.pdag} is a case
 * of its own, a command line that reads no file ({@code import megatron ...}).
 *
 * <p>Paths: surefire runs in {@code compiler/}, and the CLI shows a path as it was given, so the
 * harness passes the absolute path of the case and strips the repository root from the output;
 * messages then show {@code tests/ui/X.pdag}, as a user running from the root would see them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UiTest {
    private static final Path ROOT = Path.of(System.getProperty("pdagc.root", "..")).toAbsolutePath().normalize();
    private static final Path UI = ROOT.resolve("tests").resolve("ui");
    private static final boolean BLESS = Boolean.getBoolean("bless");
    private static final Pattern CODE = Pattern.compile("^(?:error|warning)\\[([EW]\\d{4})\\]", Pattern.MULTILINE);

    /**
     * Codes that no UI case can reach, with the reason; the coverage test skips them and checks that
     * they indeed appear nowhere. E09xx (plan invariants, a compiler bug when seen) are skipped too.
     */
    private static final Map<Code, String> UNREACHABLE = Map.of(
            Code.E0004, "needs a file that exists but cannot be read (a permission), which git cannot keep; "
                    + "a missing import is E0101, and a missing command-line file is not a case",
            Code.E0308, "`check` checks every deploy; only `compile --deploy NAME` names one",
            Code.E0312, "`check` checks every deploy; only an output of one deploy needs a choice (MultipleDeploysTest)",
            Code.E0507, "only an SVG drawing is laid out, and `check` draws nothing (DrawingOptionsTest)",
            Code.E0318, "every built-in operation has a gradient rule; only a function added to the operation set without its derivative "
                    + "has none, and `check` runs the standard set (OpDefinitionTest)");

    /** The outcome of one run: exit code and stderr, with the repository root stripped. */
    record Outcome(int exit, String stderr) {}

    @TestFactory
    @Order(1)
    Stream<DynamicTest> ui() throws IOException {
        List<Path> cases = caseFiles();
        assertFalse(cases.isEmpty(), "no UI cases in " + UI);
        return cases.stream().map(c -> DynamicTest.dynamicTest(name(c), c.toUri(), () -> check(c)));
    }

    /** Expected files whose case was removed or renamed: stale, deleted when blessing. */
    @Test
    @Order(2)
    void noOrphanExpectations() throws IOException {
        List<String> orphans = new ArrayList<>();
        try (Stream<Path> files = Files.list(UI)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (!n.endsWith(".stderr") && !n.endsWith(".exit")) continue;
                String stem = n.substring(0, n.lastIndexOf('.'));
                if (Files.exists(UI.resolve(stem + ".pdag")) || Files.exists(UI.resolve(stem + ".args"))) continue;
                if (BLESS) Files.delete(f);
                else orphans.add(n);
            }
        }
        assertTrue(orphans.isEmpty(), "expected files without a case (run with -Dbless=true to delete): " + orphans);
    }

    /** Every user-facing code is shown by at least one case, so every diagnostic's rendering is reviewed. */
    /** Runs after the cases, so that when blessing it reads the files just written. */
    @Test
    @Order(3)
    void everyCodeIsExercised() throws IOException {
        Map<String, List<String>> seen = new TreeMap<>();
        for (Path c : caseFiles()) {
            Path expected = sibling(c, ".stderr");
            if (!Files.exists(expected)) continue;
            Matcher m = CODE.matcher(Files.readString(expected, StandardCharsets.UTF_8));
            while (m.find()) seen.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(name(c));
        }
        TreeSet<String> missing = new TreeSet<>();
        for (Code code : Code.values()) {
            // E06xx and W06xx are the config importer's, which no case runs; ImportErrorsTest asserts each of them.
            if (code.id().startsWith("E09") || code.id().substring(1).startsWith("06") || UNREACHABLE.containsKey(code)) {
                assertFalse(seen.containsKey(code.id()), code.id() + " is listed as unreachable but " + seen.get(code.id()) + " show it");
                continue;
            }
            if (!seen.containsKey(code.id())) missing.add(code.id());
        }
        assertTrue(missing.isEmpty(), "codes that no UI case exercises: " + missing);
    }

    private static void check(Path pdag) throws IOException {
        Outcome actual = run(pdag);
        if (actual.exit() == Main.INTERNAL || actual.stderr().contains("internal error")) {
            fail("pdagc crashed on " + name(pdag) + " (exit " + actual.exit() + "):\n" + actual.stderr());
        }
        Path stderrFile = sibling(pdag, ".stderr");
        Path exitFile = sibling(pdag, ".exit");
        String exitText = actual.exit() + "\n";
        if (BLESS) {
            writeIfChanged(stderrFile, actual.stderr());
            writeIfChanged(exitFile, exitText);
            return;
        }
        if (!Files.exists(stderrFile) || !Files.exists(exitFile)) {
            fail("no expected output for " + name(pdag) + "; run `mvn test -Dbless=true` and review it. Actual (exit "
                    + actual.exit() + "):\n" + actual.stderr());
        }
        assertEquals(Files.readString(stderrFile, StandardCharsets.UTF_8), actual.stderr(),
                () -> "stderr of " + name(pdag) + " differs from " + ROOT.relativize(stderrFile) + " (bless with -Dbless=true)");
        assertEquals(Files.readString(exitFile, StandardCharsets.UTF_8), exitText,
                () -> "exit code of " + name(pdag) + " differs from " + ROOT.relativize(exitFile));
    }

    /** Runs {@code pdagc check} on one case (or the command line of its {@code .args}) in-process, the way the command line would. */
    static Outcome run(Path pdag) throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit;
        Path argsFile = sibling(pdag, ".args");
        String[] args = {"check", pdag.toString()};
        if (Files.exists(argsFile)) {
            Path source = sibling(pdag, ".pdag");
            args = Files.readAllLines(argsFile, StandardCharsets.UTF_8).stream().filter(l -> !l.isEmpty())
                    .map(l -> l.equals("{}") ? source.toString() : l).toArray(String[]::new);
        }
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            exit = Main.run(args, o, e);
        }
        String prefix = ROOT.toString() + pdag.getFileSystem().getSeparator();
        String text = err.toString().replace("\r\n", "\n").replace(prefix, "");
        return new Outcome(exit, text);
    }

    private static List<Path> caseFiles() throws IOException {
        try (Stream<Path> files = Files.list(UI)) {
            return files.filter(f -> Files.isRegularFile(f) && (f.getFileName().toString().endsWith(".pdag")
                    || f.getFileName().toString().endsWith(".args") && !Files.exists(sibling(f, ".pdag")))).sorted().toList();
        }
    }

    private static String name(Path pdag) {
        return ROOT.relativize(pdag).toString().replace('\\', '/');
    }

    /** The file beside a case ({@code X.pdag} or {@code X.args}) with another extension. */
    private static Path sibling(Path c, String extension) {
        String n = c.getFileName().toString();
        return c.resolveSibling(n.substring(0, n.lastIndexOf('.')) + extension);
    }

    private static void writeIfChanged(Path file, String text) {
        try {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.UTF_8).equals(text)) return;
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
