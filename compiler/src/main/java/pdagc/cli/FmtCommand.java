package pdagc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import pdagc.diag.Diagnostics;
import pdagc.format.Formatter;
import pdagc.source.SourceFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pdagc fmt FILE... [--check]}: rewrites files in the canonical layout of {@link Formatter},
 * in place and all or nothing; with {@code --check} writes nothing and lists the files that are
 * not formatted. It exists so that the layout is one command away, and checkable in CI.
 */
@Command(name = "fmt", description = "Format .pdag files in place (--check: only report the files that are not formatted).",
        mixinStandardHelpOptions = true)
final class FmtCommand implements Callable<Integer> {
    private final PrintWriter out;
    private final PrintWriter err;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "the .pdag files to format")
    List<Path> files;

    @Option(names = "--check", description = "write nothing; exit 1 listing the files that are not formatted")
    boolean check;

    FmtCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        int worst = Main.OK;
        for (Path f : files) {
            String display = Reporting.display(f);
            String text;
            try {
                text = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException | java.io.UncheckedIOException e) {
                err.println("error: cannot read " + display + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                worst = Math.max(worst, Main.USAGE);
                continue;
            }
            Diagnostics diagnostics = new Diagnostics();
            Optional<String> formatted = Formatter.format(SourceFile.of(display, f, text), diagnostics);
            if (formatted.isEmpty()) {
                worst = Math.max(worst, Reporting.report(diagnostics, err, "could not format " + display));
                continue;
            }
            if (formatted.get().equals(text)) continue;
            if (check) {
                out.println(display + ": not formatted");
                worst = Math.max(worst, Main.INPUT_ERRORS);
            } else {
                worst = Math.max(worst, OutputFiles.replace(f, formatted.get().getBytes(StandardCharsets.UTF_8), err));
            }
        }
        out.flush();
        return worst;
    }
}
