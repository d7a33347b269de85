package pdagc.syntax;

import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;
import pdagc.diag.Code;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;
import pdagc.source.Span;

/**
 * Turns ANTLR's lexer and parser errors into coded diagnostics with friendly token names
 * ("a name", "a number") instead of grammar symbols. Parsing goes on after an error, so every
 * syntax error of a file is reported.
 */
final class SyntaxErrors extends BaseErrorListener {
    private final SourceFile file;
    private final Diagnostics diagnostics;
    private int count;

    SyntaxErrors(SourceFile file, Diagnostics diagnostics) {
        this.file = file;
        this.diagnostics = diagnostics;
    }

    int count() {
        return count;
    }

    @Override
    public void syntaxError(
            Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg, RecognitionException e) {
        count++;
        if (!(offending instanceof Token token)) {
            int offset = offsetOf(line, col);
            String ch = offset < file.text().length() ? describeChar(file.text().codePointAt(offset)) : "at end of file";
            diagnostics.add(Diagnostic.of(Code.E0001, new Span(file, offset, offset + 1), ch)
                    .label("not part of the .pdag language")
                    .help("names are letters, digits and `_`; comments start with `//`"));
            return;
        }
        Span span = token.getType() == Token.EOF
                ? new Span(file, file.text().length(), file.text().length())
                : new Span(file, token.getStartIndex(), token.getStopIndex() + 1);
        String found = token.getType() == Token.EOF ? "end of file" : "`" + token.getText() + "`";
        String expected = "";
        if (recognizer instanceof Parser parser) {
            IntervalSet set = e != null && e.getExpectedTokens() != null ? e.getExpectedTokens() : parser.getExpectedTokens();
            expected = describe(set, parser);
        }
        diagnostics.add(Diagnostic.of(Code.E0002, span, "unexpected " + found)
                .label(expected.isEmpty() ? "unexpected here" : "expected " + expected));
    }

    private int offsetOf(int line, int col) {
        if (line < 1 || line > file.lineCount()) return file.text().length();
        return Math.min(file.text().length(), file.lineStarts()[line - 1] + col);
    }

    private static String describeChar(int cp) {
        if (Character.isISOControl(cp) || Character.isWhitespace(cp)) return String.format("U+%04X", cp);
        return "`" + new String(Character.toChars(cp)) + "` (U+" + String.format("%04X", cp) + ")";
    }

    private static String describe(IntervalSet set, Parser parser) {
        List<String> names = new ArrayList<>();
        for (int type : set.toList()) {
            String name = friendly(type, parser);
            if (!names.contains(name)) names.add(name);
        }
        if (names.isEmpty()) return "";
        if (names.size() > 6) {
            names = new ArrayList<>(names.subList(0, 6));
            names.add("...");
        }
        if (names.size() == 1) return names.get(0);
        return "one of " + String.join(", ", names);
    }

    private static String friendly(int type, Parser parser) {
        if (type == Token.EOF) return "end of file";
        return switch (parser.getVocabulary().getSymbolicName(type) == null ? "" : parser.getVocabulary().getSymbolicName(type)) {
            case "IDENT" -> "a name";
            case "NUMBER" -> "a number";
            case "STRING" -> "a string";
            case "UNIT" -> "a unit";
            case "WORD" -> "a word such as `1f1b`";
            default -> {
                String literal = parser.getVocabulary().getLiteralName(type);
                yield literal != null ? "`" + literal.replace("'", "") + "`" : parser.getVocabulary().getDisplayName(type);
            }
        };
    }
}
