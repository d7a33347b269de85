package pdagc.syntax;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;
import pdagc.source.Span;
import pdagc.units.Units;

/**
 * Turns ANTLR's lexer and parser errors into coded diagnostics with friendly token names
 * ("a name", "a number", "a declaration") instead of grammar symbols. Parsing goes on after an
 * error, so every syntax error of a file is reported; but only the first error of a line is
 * shown, because the ones after it on the same line are almost always echoes of its recovery.
 */
final class SyntaxErrors extends BaseErrorListener {
    private static final Set<Integer> DECLARATION = Set.of(PdagParser.IMPORT, PdagParser.MODEL, PdagParser.CLUSTER,
            PdagParser.WORKLOAD, PdagParser.STRATEGY, PdagParser.GPU, PdagParser.DEPLOY, PdagParser.SEARCH, PdagParser.BLOCK);
    private static final Set<Integer> VALUE = Set.of(PdagParser.MINUS, PdagParser.NUMBER, PdagParser.IDENT, PdagParser.LPAREN,
            PdagParser.LBRACK, PdagParser.STRING);
    private static final Set<Integer> KEYWORDS = Set.of(PdagParser.IMPORT, PdagParser.AS, PdagParser.MODEL, PdagParser.CLUSTER,
            PdagParser.WORKLOAD, PdagParser.STRATEGY, PdagParser.GPU, PdagParser.DEPLOY, PdagParser.SEARCH, PdagParser.ON, PdagParser.WITH,
            PdagParser.FOR, PdagParser.BLOCK, PdagParser.RETURN, PdagParser.REQUIRE, PdagParser.PER);

    private final SourceFile file;
    private final Diagnostics diagnostics;
    private final Set<Integer> linesWithErrors = new HashSet<>();
    private int count;

    SyntaxErrors(SourceFile file, Diagnostics diagnostics) {
        this.file = file;
        this.diagnostics = diagnostics;
    }

    int count() {
        return count;
    }

    /**
     * Reports the lexer's error tokens (an unterminated string or block comment) where they start;
     * the parser's own complaint about such a token is then dropped as an echo.
     */
    void unterminated(List<Token> tokens) {
        for (Token t : tokens) {
            if (t.getType() == PdagLexer.UNTERMINATED_STRING || t.getType() == PdagLexer.UNTERMINATED_COMMENT) count++;
            if (t.getType() == PdagLexer.UNTERMINATED_STRING) {
                report(Diags.unterminatedString(span(t)));
            } else if (t.getType() == PdagLexer.UNTERMINATED_COMMENT) {
                report(Diags.unterminatedComment(new Span(file, t.getStartIndex(), t.getStartIndex() + 2)));
            }
        }
    }

    @Override
    public void syntaxError(
            Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg, RecognitionException e) {
        count++;
        if (!(offending instanceof Token token)) {
            int offset = offsetOf(line, col);
            String ch = offset < file.text().length() ? describeChar(file.text().codePointAt(offset)) : "at end of file";
            report(Diags.unexpectedCharacter(new Span(file, offset, offset + 1), ch));
            return;
        }
        if (token.getType() == PdagLexer.UNTERMINATED_STRING || token.getType() == PdagLexer.UNTERMINATED_COMMENT) return;
        Span span = token.getType() == Token.EOF ? new Span(file, file.text().length(), file.text().length()) : span(token);
        String found = token.getType() == Token.EOF ? "end of file" : "`" + token.getText() + "`";
        Diagnostic.Builder d = Diags.unexpectedToken(span, found);
        if (!(recognizer instanceof Parser parser)) {
            report(d.label("unexpected here"));
            return;
        }
        if (e instanceof NoViableAltException nv && nv.getCtx() instanceof PdagParser.PropertyContext
                && nv.getStartToken() != token) {
            // The parser knew a property name and found no value after it; the expected set at the
            // start of that decision (a name) would point the user the wrong way.
            d.label("expected a value after `" + nv.getStartToken().getText() + "`");
            if (token.getType() == PdagParser.ASSIGN || token.getType() == PdagParser.COLON) {
                d.help("a property is written `name value`, as in `hidden 512`, without `" + token.getText() + "`");
            } else {
                Units.spelledLike(nv.getStartToken().getText())
                        .ifPresent(u -> d.help("units are case-sensitive: did you mean `" + u + "`?"));
            }
            report(d);
            return;
        }
        IntervalSet expected = e != null && e.getExpectedTokens() != null ? e.getExpectedTokens() : parser.getExpectedTokens();
        String names = describe(expected, parser);
        d.label(names.isEmpty() ? "unexpected here" : "expected " + names);
        if (expected.contains(PdagParser.IDENT) && KEYWORDS.contains(token.getType())) {
            d.help("`" + token.getText() + "` is a keyword and cannot be used as a name");
        } else if (expected.contains(PdagParser.IDENT) && token.getType() == PdagParser.UNIT) {
            d.help("`" + token.getText() + "` is a unit and cannot be used as a name");
        }
        if (expected.contains(PdagParser.RBRACE) && (token.getType() == Token.EOF || DECLARATION.contains(token.getType()) && token.getType() != PdagParser.GPU)) {
            Token open = unclosedBrace(parser.getContext());
            if (open != null) d.secondary(span(open), "this `{` is not closed").help("add the missing `}`");
        }
        report(d);
    }

    private void report(Diagnostic.Builder d) {
        Diagnostic built = d.build();
        if (linesWithErrors.add(built.span().line())) diagnostics.report(built);
    }

    /** The `{` of the innermost body the parser is in, if any. */
    private static Token unclosedBrace(ParserRuleContext ctx) {
        for (ParserRuleContext c = ctx; c != null; c = c.getParent()) {
            if (c instanceof PdagParser.BodyContext || c instanceof PdagParser.DeployBodyContext) return c.getStart();
            if (c instanceof PdagParser.BlockDeclContext b && b.LBRACE() != null) return b.LBRACE().getSymbol();
        }
        return null;
    }

    private Span span(Token t) {
        return new Span(file, t.getStartIndex(), t.getStopIndex() + 1);
    }

    private int offsetOf(int line, int col) {
        if (line < 1 || line > file.lineCount()) return file.text().length();
        return Math.min(file.text().length(), file.lineStarts()[line - 1] + col);
    }

    private static String describeChar(int cp) {
        if (Character.isISOControl(cp) || Character.isWhitespace(cp)) return String.format("U+%04X", cp);
        return "`" + new String(Character.toChars(cp)) + "` (U+" + String.format("%04X", cp) + ")";
    }

    /** Names the expected tokens; a full set of declaration or value starts is named as a group. */
    private static String describe(IntervalSet set, Parser parser) {
        List<Integer> types = new ArrayList<>(set.toList());
        List<String> names = new ArrayList<>();
        if (types.containsAll(DECLARATION)) {
            types.removeAll(DECLARATION);
            types.remove(Integer.valueOf(Token.EOF));
            names.add("a declaration");
        }
        if (types.containsAll(VALUE)) {
            types.removeAll(VALUE);
            names.add("a value");
        }
        if (types.contains(PdagParser.IDENT)) types.remove(Integer.valueOf(PdagParser.GPU));
        for (int type : types) {
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
