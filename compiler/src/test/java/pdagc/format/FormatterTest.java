package pdagc.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;
import org.junit.jupiter.api.Test;
import pdagc.Repo;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;
import pdagc.syntax.PdagLexer;

/**
 * The formatter's contract: the stdlib, examples and benchmarks stay formatted; formatting is
 * idempotent and changes only whitespace (every comment kept), on every .pdag file of the
 * repository and on seeded random re-spacings of them with comments inserted; and the layout rules
 * hold on small cases.
 */
class FormatterTest {

    static Optional<String> fmt(String text) {
        return Formatter.format(SourceFile.of("t.pdag", Path.of("t.pdag"), text), new Diagnostics());
    }

    /** The token sequence less whitespace, comments with trailing whitespace removed. */
    static List<String> tokens(String text) {
        PdagLexer lexer = new PdagLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        CommonTokenStream s = new CommonTokenStream(lexer);
        s.fill();
        List<String> out = new ArrayList<>();
        for (Token t : s.getTokens()) {
            if (t.getType() == PdagLexer.WS || t.getType() == Token.EOF) continue;
            out.add(t.getType() + ":" + (Formatter.isComment(t) ? Formatter.normalize(t.getText()) : t.getText()));
        }
        return out;
    }

    static List<Path> pdagFiles(String... dirs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String d : dirs) {
            try (Stream<Path> s = Files.walk(Repo.file(d))) {
                files.addAll(s.filter(p -> p.toString().endsWith(".pdag"))
                        .filter(p -> !p.toString().contains("node_modules") && !p.toString().contains("/target/"))
                        .sorted().collect(Collectors.toList()));
            }
        }
        return files;
    }

    /** Asserts idempotence and whitespace-only change; returns the formatted text. */
    static String checkOne(String name, String text) {
        Optional<String> once = fmt(text);
        assertTrue(once.isPresent(), name + " should parse");
        String f = once.get();
        assertEquals(f, fmt(f).orElseThrow(), name + ": fmt(fmt(x)) != fmt(x)");
        assertEquals(tokens(text), tokens(f), name + ": tokens changed");
        assertFalse(f.lines().anyMatch(l -> !l.equals(l.stripTrailing())), name + ": trailing whitespace");
        assertTrue(f.isEmpty() || (f.endsWith("\n") && !f.endsWith("\n\n")), name + ": must end with one newline");
        assertFalse(f.contains("\n\n\n"), name + ": more than one blank line");
        return f;
    }

    @Test
    void stdlibExamplesAndBenchAreFormatted() throws IOException {
        List<Path> files = pdagFiles("stdlib/std", "examples", "bench");
        assertTrue(files.size() >= 15, "found " + files.size());
        List<String> stale = new ArrayList<>();
        for (Path p : files) {
            String text = Files.readString(p);
            if (!fmt(text).orElseThrow().equals(text)) stale.add(Repo.root().relativize(p).toString());
        }
        assertEquals(List.of(), stale, "run `bin/pdagc fmt` on these files");
    }

    @Test
    void everyRepositoryFileIsIdempotentAndKeepsItsTokens() throws IOException {
        int checked = 0;
        for (Path p : pdagFiles("stdlib", "examples", "bench", "tests", "compiler/src/test/resources", "editors")) {
            String text;
            try {
                text = Files.readString(p);
            } catch (java.nio.charset.MalformedInputException e) {
                continue; // robustness inputs that are not UTF-8 on purpose
            }
            if (fmt(text).isEmpty()) continue; // files with syntax errors on purpose
            checkOne(p.toString(), text);
            checked++;
        }
        assertTrue(checked >= 30, "checked " + checked);
    }

    private static final String[] SPACES = {"", " ", "  ", "\t", "\n", "\n\n\n", " \n  ", "\r\n", "\r"};
    private static final String[] COMMENTS = {"/* m */", "// m\n", "/* a\n   b */", "//\n"};

    @Test
    void seededRandomRespacingsWithCommentsAreIdempotentAndKeepTheirTokens() throws IOException {
        Random random = new Random(7);
        int mutants = 0;
        for (Path p : pdagFiles("stdlib/std", "examples", "bench")) {
            String text = Files.readString(p);
            List<String> original = tokens(text);
            PdagLexer lexer = new PdagLexer(CharStreams.fromString(text));
            List<? extends Token> all = lexer.getAllTokens();
            for (int round = 0; round < 12; round++) {
                StringBuilder b = new StringBuilder();
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < all.size(); i++) {
                    Token t = all.get(i);
                    if (t.getType() == PdagLexer.WS) {
                        String w = random.nextInt(3) == 0 ? SPACES[random.nextInt(SPACES.length)] : t.getText();
                        if (w.isEmpty() && (i == 0 || i + 1 == all.size() || !separate(all.get(i - 1).getText(), all.get(i + 1).getText()))) w = " ";
                        if (i > 0 && all.get(i - 1).getType() == PdagLexer.LINE_COMMENT && w.indexOf('\n') < 0 && w.indexOf('\r') < 0) w = "\n";
                        b.append(w);
                        continue;
                    }
                    if (random.nextInt(25) == 0) {
                        String c = COMMENTS[random.nextInt(COMMENTS.length)];
                        b.append(' ').append(c).append(' ');
                    }
                    b.append(t.getText());
                }
                String mutant = b.toString();
                List<String> mt = tokens(mutant);
                List<String> withoutInserted = new ArrayList<>(mt);
                withoutInserted.removeIf(s -> s.endsWith(":/* m */") || s.endsWith(":// m") || s.endsWith(":/* a\n   b */") || s.endsWith("://"));
                List<String> originalWithout = new ArrayList<>(original);
                originalWithout.removeIf(s -> s.endsWith("://"));
                if (!withoutInserted.equals(originalWithout) || fmt(mutant).isEmpty()) continue; // two tokens merged: not a re-spacing
                checkOne(p + " mutant " + round, mutant);
                mutants++;
            }
        }
        assertTrue(mutants >= 100, "mutants " + mutants);
    }

    /** Whether two tokens written side by side still lex as those two tokens. */
    static boolean separate(String a, String b) {
        PdagLexer lexer = new PdagLexer(CharStreams.fromString(a + b));
        lexer.removeErrorListeners();
        List<? extends Token> ts = lexer.getAllTokens();
        return ts.size() == 2 && ts.get(0).getText().equals(a);
    }

    @Test
    void layoutAndCommentsOfAMessyFile() {
        String messy = """
                   // header


                import std.hardware
                import   std.blocks
                model M{vocab 32000 hidden 512   heads 8
                  layers 16 ffn 2048 // trailing
                    // own line


                  experts 16  top 2 head_dim hidden/heads
                  norm layernorm  act gelu}
                cluster C { gpu H100 { memory 64 GB }  count 64 }
                block b(x:[B,S,hidden])->[B,S,hidden]{
                a=linear( x , out : -heads*head_dim ) @column ( tp )
                  longer_name = a+(x) /* inline */
                  // comment
                  return f(a,
                    x) // end
                }
                strategy S { mesh [ep 16, tp 4,] }
                deploy D = M on C with S for W { require ttft <= 10 s
                  require memory <= 64 GB per gpu }
                // trailing at end
                """;
        String expected = """
                // header

                import std.hardware
                import std.blocks

                model M {
                  vocab 32000  hidden 512  heads 8
                  layers 16  ffn 2048 // trailing
                  // own line

                  experts 16  top 2  head_dim hidden / heads
                  norm layernorm  act gelu
                }

                cluster C { gpu H100 { memory 64 GB }  count 64 }

                block b(x: [B, S, hidden]) -> [B, S, hidden] {
                  a           = linear(x, out: -heads * head_dim) @column(tp)
                  longer_name = a + (x) /* inline */
                  // comment
                  return f(a, x) // end
                }

                strategy S { mesh [ep 16, tp 4,] }

                deploy D = M on C with S for W {
                  require ttft <= 10 s
                  require memory <= 64 GB per gpu
                }
                // trailing at end
                """;
        assertEquals(expected, checkOne("messy", messy));
    }

    @Test
    void commentedPropertiesFormATable() {
        String in = "model M {\n  vocab 32000 // a\n  hidden_size 4096   // b\n  layer gated_moe_layer // c\n\n  top 2 // alone\n}\n";
        String expected = "model M {\n  vocab        32000            // a\n  hidden_size  4096             // b\n"
                + "  layer        gated_moe_layer  // c\n\n  top 2 // alone\n}\n";
        assertEquals(expected, checkOne("table", in));
    }

    @Test
    void aLineCommentInsideAnExpressionBreaksTheLineAndStaysIdempotent() {
        String in = "block b(x: [B]) -> [B] {\n  y = f(x, // why\n  x)\n  return y\n}\n";
        String expected = "block b(x: [B]) -> [B] {\n  y = f(x, // why\n      x)\n  return y\n}\n";
        assertEquals(expected, checkOne("break", in));
    }

    @Test
    void blockCommentsAndCommentsBeforeAClosingBraceKeepTheirPlace() {
        String in = "/* one\n   two */\nstrategy S {\n  mesh [tp 4] /* why */\n\n  // last\n}\n";
        String expected = "/* one\n   two */\nstrategy S {\n  mesh [tp 4] /* why */\n  // last\n}\n";
        assertEquals(expected, checkOne("block comments", in));
    }

    @Test
    void aParenthesizedValueKeepsItsSpaceSoItDoesNotBecomeACall() {
        assertEquals("cluster C { count (4 * 8) }\n", checkOne("paren", "cluster C {count (4*8)}"));
    }

    @Test
    void aFileWithSyntaxErrorsIsNotFormatted() {
        Diagnostics d = new Diagnostics();
        assertTrue(Formatter.format(SourceFile.of("bad.pdag", Path.of("bad.pdag"), "model M { vocab }\n"), d).isEmpty());
        assertTrue(d.hasErrors());
    }

    @Test
    void emptyAndCommentOnlyFiles() {
        assertEquals("", checkOne("empty", ""));
        assertEquals("", checkOne("blank", "\n\n  \n"));
        assertEquals("// only\n", checkOne("comment", "\n\n// only   \n\n\n"));
    }
}
