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
import pdagc.front.SourceReader;
import pdagc.source.SourceFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pdagc fmt FILE... [--check]}: rewrites files in the canonical layout of {@link Formatter},
 * in place and all or nothing; with {@code --check} writes nothing and lists the files that are
 * not formatted. A file is rewritten as {@link OutputFiles#replace} replaces files: a symbolic link
 * is kept and the file it points at is formatted; permissions, owner and group are kept; a file
 * with several hard links is overwritten in place, so that every link sees the formatted text. It exists so that the layout is one command away, and checkable in CI.
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
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(f);
            } catch (IOException | SecurityException e) {
                err.println("error: cannot read " + display + ": " + OutputFiles.why(e));
                worst = Math.max(worst, Main.USAGE);
                continue;
            }
            Diagnostics diagnostics = new Diagnostics();
            // Strictly UTF-8, as every other command reads: bytes that are not text are E0003 at the first bad byte.
            Optional<SourceFile> source = SourceReader.decode(bytes, f, display, diagnostics);
            Optional<String> formatted = source.flatMap(s -> Formatter.format(s, diagnostics));
            if (formatted.isEmpty()) {
                worst = Math.max(worst, Reporting.report(diagnostics, err, "could not format " + display));
                continue;
            }
            String text = source.get().text();
            if (formatted.get().equals(text)) continue;
            if (check) {
                out.println(display + ": not formatted");
                worst = Math.max(worst, Main.INPUT_ERRORS);
            } else {
                boolean bom = bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF;
                worst = Math.max(worst, OutputFiles.replace(f, ((bom ? "\uFEFF" : "") + formatted.get()).getBytes(StandardCharsets.UTF_8), err));
            }
        }
        out.flush();
        return worst;
    }
}
