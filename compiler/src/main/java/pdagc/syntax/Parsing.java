package pdagc.syntax;

import java.util.Optional;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
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
        PdagParser parser = new PdagParser(tokens);
        parser.setErrorHandler(new QuietRecovery());
        parser.removeErrorListeners();
        parser.addErrorListener(errors);
        PdagParser.FileContext tree = parser.file();
        if (errors.count() > 0) return Optional.empty();
        return Optional.of(new AstBuilder(file).file(tree));
    }
}
