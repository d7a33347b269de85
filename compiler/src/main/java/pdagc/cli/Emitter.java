package pdagc.cli;

import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import pdagc.backend.DotBackend;
import pdagc.backend.JsonBackend;
import pdagc.backend.ReportBackend;
import pdagc.backend.SvgBackend;
import pdagc.backend.SvgResult;
import pdagc.backend.ViewResult;
import pdagc.backend.Views;
import pdagc.driver.MaterializedPlan;
import pdagc.partition.InsertCollectives;
import pdagc.spmd.IrText;

/**
 * The output formats: picks the backend, the view for drawings (saying which was drawn and with
 * which engine), and writes all or nothing through {@link OutputFiles}.
 */
final class Emitter {
    static final List<String> FORMATS = List.of("dot", "ir", "java", "json", "report", "svg");

    private final String format;

    private Emitter(String format) {
        this.format = format;
    }

    static Optional<Emitter> forFormat(String format, PrintWriter err) {
        if (format == null) return Optional.empty();
        if (!FORMATS.contains(format)) {
            err.println("error: unknown format `" + format + "`; formats are: " + String.join(", ", FORMATS));
            return Optional.empty();
        }
        return Optional.of(new Emitter(format));
    }

    /** The file written when no -o is given: stdout for text formats, FILE's stem + .svg for SVG. */
    Path defaultOutput(Path input) {
        if (!format.equals("svg")) return null;
        String name = input.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return Path.of((dot > 0 ? name.substring(0, dot) : name) + ".svg");
    }

    private SvgBackend.Renderer renderer;

    /** Starts what the format needs ahead of the compilation: the SVG layout engine, which is slow to start. */
    void prepare() {
        if (format.equals("svg")) renderer = new SvgBackend().prepare();
    }

    int emit(MaterializedPlan plan, Path input, Path output, String view, int budget, OutputStream stdout, PrintWriter err) {
        Path target = output != null ? output : defaultOutput(input);
        return switch (format) {
            case "ir" -> OutputFiles.write(target, input, o -> o.write(IrText.spmd(InsertCollectives.NAME, plan.spmd()).getBytes(StandardCharsets.UTF_8)), stdout, err);
            case "json" -> pdagc.driver.Timings.time("json", () -> OutputFiles.write(target, input, o -> JsonBackend.write(plan.dag(), plan.analysis(), o), stdout, err));
            case "report" -> OutputFiles.write(target, input,
                    o -> o.write(ReportBackend.render(plan.deployment(), plan.dag(), plan.analysis()).getBytes(StandardCharsets.UTF_8)), stdout, err);
            case "dot", "svg" -> drawing(plan, input, target, view, budget, stdout, err);
            case "java" -> JavaOutput.emit(plan, output, err);
            default -> throw new IllegalStateException("format list and emitter disagree on " + format);
        };
    }

    private int drawing(MaterializedPlan plan, Path input, Path target, String view, int budget, OutputStream stdout, PrintWriter err) {
        ViewResult chosen = view == null ? Views.choose(plan.dag(), budget) : Views.request(plan.dag(), view, budget);
        if (chosen instanceof ViewResult.Refused refused) {
            err.println("error: " + refused.message());
            return Main.USAGE;
        }
        ViewResult.Shown shown = (ViewResult.Shown) chosen;
        err.println("pdagc: " + shown.description());
        if (format.equals("dot")) {
            return OutputFiles.write(target, input, o -> {
                Writer w = new OutputStreamWriter(o, StandardCharsets.UTF_8);
                DotBackend.write(plan.dag(), shown.selection(), w);
                w.flush();
            }, stdout, err);
        }
        SvgResult svg = (renderer != null ? renderer : new SvgBackend().prepare()).render(DotBackend.render(plan.dag(), shown.selection()));
        if (svg instanceof SvgResult.Failed failed) {
            err.println("error: " + failed.message());
            return Main.USAGE;
        }
        SvgResult.Rendered rendered = (SvgResult.Rendered) svg;
        err.println("pdagc: laid out with " + rendered.engine().description());
        int code = OutputFiles.write(target, input, o -> o.write(rendered.svg().getBytes(StandardCharsets.UTF_8)), stdout, err);
        if (code == Main.OK && target != null) err.println("pdagc: wrote " + target);
        return code;
    }
}
