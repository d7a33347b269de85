package pdagc.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import pdagc.driver.Plan;
import pdagc.partition.IrText;

/** One output format: turns a validated plan into bytes, through the backends. */
final class Emitter {
    static final Set<String> FORMATS = Set.of("ir");

    private final String format;

    private Emitter(String format) {
        this.format = format;
    }

    static Optional<Emitter> forFormat(String format, PrintWriter err) {
        if (format == null) return Optional.empty();
        if (!FORMATS.contains(format)) {
            err.println("error: unknown format `" + format + "`; formats are: " + String.join(", ", new java.util.TreeSet<>(FORMATS)));
            return Optional.empty();
        }
        return Optional.of(new Emitter(format));
    }

    int emit(Plan plan, Path input, Path output, String view, PrintWriter out, PrintWriter err) {
        out.flush();
        OutputStream stdout = new java.io.FileOutputStream(java.io.FileDescriptor.out);
        return OutputFiles.write(output, input, o -> o.write(IrText.spmd(plan.spmd()).getBytes(StandardCharsets.UTF_8)), stdout, err);
    }
}
