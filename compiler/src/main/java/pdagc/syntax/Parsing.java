package pdagc.syntax;

import java.util.Optional;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;
import pdagc.ast.CompilationUnit;
import pdagc.diag.Diagnostics;
import pdagc.source.SourceFile;

/** The entry point of the syntax package: text in, AST out, all syntax errors reported. */
public final class Parsing {
    private Parsing() {}

    /** Parses a file; empty when it has syntax errors (they are in {@code diagnostics}). */
    public static Optional<CompilationUnit> parse(SourceFile file, Diagnostics diagnostics) {
        SyntaxErrors errors = new SyntaxErrors(file, diagnostics);
        PdagLexer lexer = new PdagLexer(CharStreams.fromString(file.text(), file.displayName()));
        lexer.removeErrorListeners();
        lexer.addErrorListener(errors);
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        errors.unterminated(tokens.getTokens());
        if (!nestingWithinLimit(file, tokens.getTokens(), diagnostics)) return Optional.empty();
        if (!expressionsWithinLimit(file, tokens.getTokens(), diagnostics)) return Optional.empty();
        PdagParser.FileContext tree = parse(tokens, errors);
        if (errors.count() > 0) return Optional.empty();
        return Optional.of(new AstBuilder(file).file(tree));
    }

    /**
     * Parses in two stages, as ANTLR recommends: first with the faster SLL prediction, bailing out
     * at the first error; a file that SLL parses gets the very tree that full LL would give. Only
     * when it fails (a syntax error, or input that needs full LL) is the file parsed again with LL
     * prediction and the error recovery that reports every error, so diagnostics are unchanged.
     */
    private static PdagParser.FileContext parse(CommonTokenStream tokens, SyntaxErrors errors) {
        PdagParser parser = new PdagParser(tokens);
        parser.removeErrorListeners();
        parser.setErrorHandler(new BailErrorStrategy());
        parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
        try {
            return parser.file();
        } catch (ParseCancellationException e) {
            // Parsed again below, reporting every error.
        }
        tokens.seek(0);
        parser.reset();
        parser.getInterpreter().setPredictionMode(PredictionMode.LL);
        parser.setErrorHandler(new QuietRecovery());
        parser.addErrorListener(errors);
        return parser.file();
    }

    /** Brackets nested deeper than this are refused before parsing (the parser and the passes recurse on them). */
    public static final int MAX_NESTING = 200;

    private static boolean nestingWithinLimit(SourceFile file, java.util.List<org.antlr.v4.runtime.Token> tokens, Diagnostics diagnostics) {
        int depth = 0;
        for (org.antlr.v4.runtime.Token t : tokens) {
            int type = t.getType();
            if (type == PdagLexer.LPAREN || type == PdagLexer.LBRACK || type == PdagLexer.LBRACE) depth++;
            else if (type == PdagLexer.RPAREN || type == PdagLexer.RBRACK || type == PdagLexer.RBRACE) depth = Math.max(0, depth - 1);
            if (depth > MAX_NESTING) {
                diagnostics.add(pdagc.diag.Diags.nestedTooDeep(new pdagc.source.Span(file, t.getStartIndex(), t.getStopIndex() + 1), MAX_NESTING, depth));
                return false;
            }
        }
        return true;
    }

    /**
     * Operators (binary and unary) in one expression, counted before parsing. The parser, the AST
     * builder and every pass after them recurse on an expression's tree, which is as deep as its
     * operators (a left-associative chain {@code 1 + 1 + ... + 1} nests each sum in the next;
     * {@code - - - 1} nests each minus) plus its brackets ({@link #MAX_NESTING}); bounding both
     * bounds the recursion, whatever the thread's stack size, so a long expression is this error
     * every time rather than a stack overflow some of the time.
     */
    public static final int MAX_OPERATORS = 1000;

    /**
     * Finds an expression with more than {@link #MAX_OPERATORS} operators, on the tokens: an
     * expression runs while each operand is followed by an operator (or a call's parenthesis, a
     * qualified name's dot, a number's unit) and takes in everything in its brackets. Braces and
     * anything after a finished operand that does not continue it start afresh, so two properties
     * in a row ({@code vocab 1 + 1  hidden 2 * 3}) are two expressions. Within brackets the count
     * runs on over commas: a list is one expression, and its items' operators add up, which only
     * over-counts (never under-counts) the depth of any one item.
     */
    private static boolean expressionsWithinLimit(SourceFile file, java.util.List<org.antlr.v4.runtime.Token> tokens, Diagnostics diagnostics) {
        int operators = 0;
        int depth = 0;
        boolean afterOperand = false;
        for (org.antlr.v4.runtime.Token t : tokens) {
            int type = t.getType();
            if (t.getChannel() != org.antlr.v4.runtime.Token.DEFAULT_CHANNEL || type == org.antlr.v4.runtime.Token.EOF) continue;
            boolean operator = type == PdagLexer.PLUS || type == PdagLexer.MINUS || type == PdagLexer.STAR
                    || type == PdagLexer.SLASH || type == PdagLexer.PERCENT;
            if (type == PdagLexer.LBRACE || type == PdagLexer.RBRACE) {
                operators = 0;
                depth = 0;
                afterOperand = false;
                continue;
            }
            boolean continues = operator || type == PdagLexer.LPAREN || type == PdagLexer.DOT || type == PdagLexer.UNIT;
            if (depth == 0 && afterOperand && !continues) operators = 0;
            if (type == PdagLexer.LPAREN || type == PdagLexer.LBRACK) depth++;
            else if (type == PdagLexer.RPAREN || type == PdagLexer.RBRACK) depth = Math.max(0, depth - 1);
            afterOperand = type == PdagLexer.NUMBER || type == PdagLexer.UNIT || type == PdagLexer.IDENT || type == PdagLexer.WORD
                    || type == PdagLexer.STRING || type == PdagLexer.RPAREN || type == PdagLexer.RBRACK;
            if (operator && ++operators > MAX_OPERATORS) {
                diagnostics.add(pdagc.diag.Diags.tooManyOperators(new pdagc.source.Span(file, t.getStartIndex(), t.getStopIndex() + 1), MAX_OPERATORS, operators));
                return false;
            }
        }
        return true;
    }
}
