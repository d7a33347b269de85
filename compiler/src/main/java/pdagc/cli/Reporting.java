package pdagc.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;

/** Prints diagnostics and the closing summary line, and maps them to an exit code. */
final class Reporting {
    private Reporting() {}

    static int report(Diagnostics diagnostics, PrintWriter err) {
        return report(diagnostics, err, "could not compile");
    }

    /** The same, with the closing line saying what failed ({@code could not import}). */
    static int report(Diagnostics diagnostics, PrintWriter err, String failed) {
        err.print(DiagnosticRenderer.render(diagnostics.sorted()));
        String summary = DiagnosticRenderer.summary(diagnostics);
        if (diagnostics.hasErrors()) err.println("error: " + failed + ": " + summary);
        else if (!summary.isEmpty()) err.println("warning: " + summary);
        err.flush();
        if (!diagnostics.hasErrors()) return Main.OK;
        // E09xx: a plan pdagc built is invalid (a compiler bug, not the input's fault).
        for (pdagc.diag.Diagnostic d : diagnostics.all()) if (d.code().id().startsWith("E09")) return Main.INTERNAL;
        return Main.INPUT_ERRORS;
    }

    /** The path as the user wrote it, for messages. */
    static String display(Path file) {
        return file.toString();
    }
}
