package pdagc.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.cli.Main;
import pdagc.source.SourceFile;
import pdagc.source.Span;

/** A diagnostic quotes at most {@link DiagnosticRenderer#MAX_COLUMNS} columns of a long line, clipped around its span, carets under it. */
class LongLineTest {
    @TempDir
    Path dir;

    /** The quoted source line and the caret line of a rendered diagnostic. */
    private static List<String> quoted(String rendered) {
        List<String> lines = rendered.lines().filter(l -> l.matches("\\s*[0-9]* \\| .*")).toList();
        return lines;
    }

    private static String render(String text, int start, int end) {
        SourceFile f = SourceFile.of("long.pdag", null, text);
        return DiagnosticRenderer.render(Diagnostic.of(Code.E0001, new Span(f, start, end), "`!`").label("here").build());
    }

    @Test
    void aSpanInTheMiddleOfALongLineIsQuotedClippedOnBothSides() {
        String text = "a".repeat(1_000_000) + "!" + "b".repeat(1_000_000);
        String out = render(text, 1_000_000, 1_000_001);
        assertTrue(out.length() < 1000, out.length() + " chars");
        List<String> q = quoted(out);
        assertEquals(2, q.size(), out);
        String source = q.get(0).substring(q.get(0).indexOf(" | ") + 3);
        String carets = q.get(1).substring(q.get(1).indexOf(" | ") + 3);
        assertTrue(source.startsWith("...a") && source.endsWith("b..."), source);
        assertEquals(DiagnosticRenderer.MAX_COLUMNS + 6, source.length());
        assertEquals('!', source.charAt(carets.indexOf('^')), "the caret is under the span:\n" + source + "\n" + carets);
        assertTrue(carets.endsWith("^ here"), carets);
        assertTrue(out.contains("long.pdag:1:1000001"), out);
    }

    @Test
    void spansAtEitherEndClipOneSide() {
        String text = "!" + "b".repeat(10_000);
        List<String> q = quoted(render(text, 0, 1));
        assertTrue(q.get(0).endsWith("b..."), q.get(0));
        assertTrue(q.get(0).contains(" | !b"), q.get(0));
        assertTrue(q.get(1).endsWith(" | ^ here"), q.get(1));

        text = "a".repeat(10_000) + "!";
        q = quoted(render(text, 10_000, 10_001));
        String source = q.get(0).substring(q.get(0).indexOf(" | ") + 3);
        String carets = q.get(1).substring(q.get(1).indexOf(" | ") + 3);
        assertTrue(source.startsWith("...a") && source.endsWith("a!"), source);
        assertEquals(source.length() - 1, carets.indexOf('^'));
    }

    @Test
    void aLongSpanIsMarkedToTheEndOfTheWindow() {
        String text = "x".repeat(100) + "y".repeat(100_000);
        List<String> q = quoted(render(text, 100, 100_100));
        String source = q.get(0).substring(q.get(0).indexOf(" | ") + 3);
        String carets = q.get(1).substring(q.get(1).indexOf(" | ") + 3);
        assertTrue(source.length() <= DiagnosticRenderer.MAX_COLUMNS + 6, source);
        assertEquals('y', source.charAt(carets.indexOf('^')));
        assertEquals(source.length(), carets.indexOf(" here"));
    }

    @Test
    void aShortLineIsQuotedWhole() {
        String text = "model M { vocab ! }";
        List<String> q = quoted(render(text, 16, 17));
        assertTrue(q.get(0).endsWith(" | model M { vocab ! }"), q.get(0));
        assertTrue(q.get(1).endsWith(" |                 ^ here"), q.get(1));
    }

    /** The case: a huge one-line config; stderr stays small. */
    @Test
    void aHugeOneLineConfigGivesASmallReport() throws Exception {
        Path config = dir.resolve("huge.json");
        Files.writeString(config, "{\"model_type\": \"llama\", \"x\": \"" + "z".repeat(20_000_000) + "\", \"vocab_size\": \"64\"}");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"import", "hf", config.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(1, code, err.toString());
        assertTrue(err.toString().contains("error[E0"), err.toString());
        assertTrue(err.toString().length() < 5_000, err.toString().length() + " chars on stderr");
    }
}
