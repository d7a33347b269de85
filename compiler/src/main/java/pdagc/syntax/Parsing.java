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
                diagnostics.add(pdagc.diag.Diagnostic.of(pdagc.diag.Code.E0005,
                                new pdagc.source.Span(file, t.getStartIndex(), t.getStopIndex() + 1), MAX_NESTING)
                        .label("nested " + depth + " deep here").help("split the expression with intermediate names"));
                return false;
            }
        }
        return true;
    }
}
