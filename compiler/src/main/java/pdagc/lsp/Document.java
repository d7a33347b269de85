package pdagc.lsp;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diagnostics;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.front.Loader;
import pdagc.program.Program;
import pdagc.source.SourceFile;

/**
 * One open document as the compiler sees it: its text as an in-memory source file, the modules it
 * loads (for names and definitions), the plans its deploys compile to (for hovers) and the
 * diagnostics of the whole pipeline. Made afresh on every change; never edited in place.
 */
record Document(String uri, SourceFile file, Optional<Program> program, List<MaterializedPlan> plans, List<Diagnostic> diagnostics, String internalError) {

    static Document analyze(String uri, String text) {
        Path path = pathOf(uri);
        SourceFile file = SourceFile.of(path != null ? path.toString() : uri, path, text);
        Compiler compiler = new Compiler(Set.of());
        List<MaterializedPlan> plans;
        String internalError = null;
        try {
            plans = compiler.check(file);
        } catch (RuntimeException | StackOverflowError e) {
            plans = List.of(); // a bug in pdagc: said once, at the top of the document, as `pdagc check` would
            internalError = "internal error, please report: " + e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "");
        }
        // A second, quiet load for the module structure (Compiler keeps its program to itself).
        Optional<Program> program;
        try {
            program = new Loader(new Diagnostics()).loadRoot(file);
        } catch (RuntimeException | StackOverflowError e) {
            program = Optional.empty();
        }
        return new Document(uri, file, program, List.copyOf(plans), compiler.diagnostics().sorted(), internalError);
    }

    static Path pathOf(String uri) {
        try {
            URI u = URI.create(uri);
            return "file".equals(u.getScheme()) ? Path.of(u) : null;
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return null;
        }
    }
}
