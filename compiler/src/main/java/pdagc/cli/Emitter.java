package pdagc.cli;

import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import pdagc.backend.DotBackend;
import pdagc.backend.JsonBackend;
import pdagc.backend.ReportBackend;
import pdagc.backend.SvgBackend;
import pdagc.backend.SvgEngine;
import pdagc.backend.SvgResult;
import pdagc.backend.ViewResult;
import pdagc.backend.Views;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.driver.MaterializedPlan;
import pdagc.partition.InsertCollectives;
import pdagc.spmd.IrText;

/**
 * The output formats: picks the backend, the view for drawings (saying which was drawn and with
 * which engine), and writes all or nothing through {@link OutputFiles}.
 */
final class Emitter {
    static final List<String> FORMATS = List.of("chakra", "dot", "html", "ir", "java", "json", "launch", "report", "svg", "timeline");

    private final String format;
    private pdagc.launch.Target target;

    private Emitter(String format) {
        this.format = format;
    }

    /**
     * {@code --for TARGET}, the engine of {@code --emit launch}: it needs one, and no other format
     * takes one. A usage error (exit 2) prints why.
     */
    static boolean checkTarget(String format, String target, PrintWriter err) {
        if (target != null && !"launch".equals(format)) {
            err.println("error: --for applies to --emit launch only, not to " + (format == null ? "the summary" : "--emit " + format));
            return false;
        }
        if ("launch".equals(format) && target == null) {
            err.println("error: --emit launch needs --for TARGET; targets are: " + String.join(", ", pdagc.launch.Target.keywords()));
            return false;
        }
        if (target != null && pdagc.launch.Target.of(target).isEmpty()) {
            err.println("error: unknown launch target `" + target + "`; targets are: " + String.join(", ", pdagc.launch.Target.keywords()));
            return false;
        }
        return true;
    }

    /** For chakra: the ranks whose traces are written (null: all). */
    private String ranks;

    /**
     * Checks the options that apply to one format only: {@code --ranks} to chakra. Returns false
     * (a usage error, said on {@code err}) when one is given with another format.
     */
    static boolean formatOptions(String format, String ranks, PrintWriter err) {
        if (ranks != null && !"chakra".equals(format) && !"timeline".equals(format)) {
            err.println("error: --ranks applies to Chakra traces and timelines only (--emit chakra, --emit timeline), not to "
                    + (format == null ? "the summary" : "--emit " + format));
            return false;
        }
        return true;
    }

    Emitter withRanks(String ranks) {
        this.ranks = ranks;
        return this;
    }

    void target(String keyword) {
        if (keyword != null) target = pdagc.launch.Target.of(keyword).orElseThrow();
    }

    static Optional<Emitter> forFormat(String format, PrintWriter err) {
        if (format == null) return Optional.empty();
        if (!FORMATS.contains(format)) {
            err.println("error: unknown format `" + format + "`; formats are: " + String.join(", ", FORMATS));
            return Optional.empty();
        }
        return Optional.of(new Emitter(format));
    }

    /**
     * The file written when no -o is given: stdout for text formats, FILE's stem + .svg for SVG,
     * + .timeline.svg for the timeline, + .html for the viewer.
     */
    Path defaultOutput(Path input) {
        String suffix = switch (format) {
            case "svg" -> ".svg";
            case "timeline" -> ".timeline.svg";
            case "html" -> ".html";
            default -> null;
        };
        if (suffix == null) return null;
        String name = input.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return Path.of((dot > 0 ? name.substring(0, dot) : name) + suffix);
    }

    /**
     * The options of a drawing: the view (null: choose one), the budget, the layout's deadline and
     * engine ({@code auto}, {@code dot}, {@code viz}). They apply to drawings only: given with
     * another format, or with none, they are a usage error rather than silently ignored.
     */
    record Drawing(String view, int budget, Duration deadline, String engine) {
        static final List<String> ENGINES = List.of("auto", "dot", "viz");

        static Optional<Drawing> of(String format, String view, Integer budget, Double seconds, String engine, PrintWriter err) {
            boolean drawing = "dot".equals(format) || "svg".equals(format);
            List<String> given = new ArrayList<>();
            if (view != null) given.add("--view");
            if (budget != null) given.add("--budget");
            if (!drawing && !given.isEmpty()) {
                err.println("error: " + String.join(" and ", given) + (given.size() == 1 ? " applies" : " apply") + " to drawings only (--emit dot or --emit svg), not to "
                        + (format == null ? "the summary" : "--emit " + format));
                return Optional.empty();
            }
            List<String> layout = new ArrayList<>();
            if (seconds != null) layout.add("--layout-timeout");
            if (engine != null) layout.add("--layout-engine");
            if (!"svg".equals(format) && !layout.isEmpty()) {
                err.println("error: " + String.join(" and ", layout) + (layout.size() == 1 ? " applies" : " apply") + " to SVG only (--emit svg): "
                        + (format == null ? "the summary" : "--emit " + format) + " lays nothing out");
                return Optional.empty();
            }
            if (budget != null && budget < 1) {
                err.println("error: --budget must be at least 1, found " + budget);
                return Optional.empty();
            }
            if (seconds != null && !(seconds > 0 && seconds <= 86_400)) {
                err.println("error: --layout-timeout must be a number of seconds above 0 and at most 86400, found " + seconds);
                return Optional.empty();
            }
            if (engine != null && !ENGINES.contains(engine)) {
                err.println("error: unknown layout engine `" + engine + "`; engines are: " + String.join(", ", ENGINES));
                return Optional.empty();
            }
            Duration deadline = seconds == null ? SvgBackend.DEFAULT_DEADLINE : Duration.ofNanos(Math.max(1, Math.round(seconds * 1e9)));
            return Optional.of(new Drawing(view, budget == null ? Views.DEFAULT_BUDGET : budget, deadline, engine == null ? "auto" : engine));
        }

        /** The backend these options ask for: {@code viz} never looks for {@code dot}. */
        SvgBackend backend() {
            SvgBackend b = engine.equals("viz") ? new SvgBackend("") : new SvgBackend();
            return b.withDeadline(deadline);
        }

        /** The deadline as a user writes it: {@code 60 s}, {@code 0.5 s}. */
        String deadlineText() {
            return java.math.BigDecimal.valueOf(deadline.toNanos(), 9).stripTrailingZeros().toPlainString() + " s";
        }
    }

    private SvgBackend.Renderer renderer;

    /** Starts what the format needs ahead of the compilation: the SVG layout engine, which is slow to start. */
    void prepare(Drawing options) {
        if (format.equals("svg") && !options.engine().equals("dot")) renderer = options.backend().prepare();
    }

    /** Ends what {@link #prepare} started, when nothing will be drawn. */
    void close() {
        if (renderer != null) renderer.close();
    }

    int emit(MaterializedPlan plan, Path input, Path output, Drawing drawing, OutputStream stdout, PrintWriter err) {
        Path target = output != null ? output : defaultOutput(input);
        return switch (format) {
            case "ir" -> OutputFiles.write(target, input, o -> o.write(IrText.spmd(InsertCollectives.NAME, plan.spmd()).getBytes(StandardCharsets.UTF_8)), stdout, err);
            case "json" -> pdagc.driver.Timings.time("json", () -> OutputFiles.write(target, input, o -> JsonBackend.write(plan.dag(), plan.analysis(), o), stdout, err));
            case "report" -> OutputFiles.write(target, input,
                    o -> o.write(ReportBackend.render(plan.deployment(), plan.dag(), plan.analysis()).getBytes(StandardCharsets.UTF_8)), stdout, err);
            case "dot", "svg" -> drawing(plan, input, target, drawing, stdout, err);
            case "java" -> JavaOutput.emit(plan, output, err);
            case "chakra" -> pdagc.driver.Timings.time("chakra", () -> ChakraOutput.emit(plan, output, ranks, err));
            case "launch" -> launch(plan, input, target, stdout, err);
            case "timeline" -> timeline(plan, input, target, stdout, err);
            case "html" -> html(plan, input, target, stdout, err);
            default -> throw new IllegalStateException("format list and emitter disagree on " + format);
        };
    }

    /**
     * The simulated step as an SVG Gantt chart: one lane per role, or per GPU of {@code --ranks}. A
     * serving workload's is its prefill step (its length the TTFT).
     */
    private int timeline(MaterializedPlan plan, Path input, Path target, OutputStream stdout, PrintWriter err) {
        MaterializedPlan step = plan.steps().get(0);
        List<Integer> gpus = null;
        if (ranks != null) {
            try {
                gpus = ChakraOutput.parseRanks(ranks, step.dag().gpus().size()).stream().boxed().toList();
            } catch (IllegalArgumentException e) {
                err.println("error: --ranks " + e.getMessage());
                return Main.USAGE;
            }
        }
        pdagc.backend.StepTimeline t = pdagc.backend.StepTimeline.of(step.dag(), step.spmd(), step.analysis(), title(step), gpus);
        if (t == null) {
            err.println("error: the plan has no schedule to draw: " + step.analysis().problem());
            return Main.INPUT_ERRORS;
        }
        int code = OutputFiles.write(target, input, o -> {
            try {
                pdagc.backend.TimelineSvg.write(t, o);
            } catch (javax.xml.stream.XMLStreamException e) {
                throw new java.io.IOException(e);
            }
        }, stdout, err);
        if (code == Main.OK && target != null) err.println("pdagc: wrote " + target);
        return code;
    }

    /** The interactive viewer: one HTML file with the plan's graph, timeline and memory. */
    private int html(MaterializedPlan plan, Path input, Path target, OutputStream stdout, PrintWriter err) {
        MaterializedPlan step = plan.steps().get(0);
        if (step.analysis().schedule() == null) {
            err.println("error: the plan has no schedule to show: " + step.analysis().problem());
            return Main.INPUT_ERRORS;
        }
        int code = OutputFiles.write(target, input, o -> pdagc.backend.HtmlBackend.write(step, title(step), o), stdout, err);
        if (code == Main.OK && target != null) err.println("pdagc: wrote " + target);
        return code;
    }

    /** {@code deploy Seed: prefill step, 64 GPUs, mesh [ep 16, tp 4, pp 1]}. */
    private static String title(MaterializedPlan step) {
        var d = step.deployment();
        return "deploy " + d.name() + ": " + d.workload().phase().keyword() + " step, " + step.dag().gpus().size() + " GPUs, mesh " + step.dag().mesh();
    }

    /** The engine's launch script, or the diagnostics of what its flags cannot say (nothing written). */
    private int launch(MaterializedPlan plan, Path input, Path target, OutputStream stdout, PrintWriter err) {
        Diagnostics d = new Diagnostics();
        Optional<String> text = pdagc.launch.Launch.write(plan, this.target, d);
        int code = Reporting.report(d, err, "could not write the " + this.target.display() + " launch");
        if (code != Main.OK || text.isEmpty()) return code == Main.OK ? Main.INPUT_ERRORS : code;
        byte[] bytes = text.get().getBytes(StandardCharsets.UTF_8);
        return OutputFiles.write(target, input, o -> o.write(bytes), stdout, err);
    }

    private int drawing(MaterializedPlan plan, Path input, Path target, Drawing options, OutputStream stdout, PrintWriter err) {
        String view = options.view();
        ViewResult chosen = view == null ? Views.choose(plan.dag(), options.budget()) : Views.request(plan.dag(), view, options.budget());
        if (chosen instanceof ViewResult.Refused refused) {
            close();
            err.println("error: " + refused.message());
            return Main.USAGE;
        }
        ViewResult.Shown shown = (ViewResult.Shown) chosen;
        err.println("pdagc: " + shown.description());
        if (format.equals("dot")) {
            return OutputFiles.write(target, input, o -> {
                Writer w = new OutputStreamWriter(o, StandardCharsets.UTF_8);
                DotBackend.write(plan.dag(), shown.selection(), shown.layout(), w);
                w.flush();
            }, stdout, err);
        }
        String dot = DotBackend.render(plan.dag(), shown.selection(), shown.layout());
        SvgResult svg = pdagc.driver.Timings.time("layout", () -> options.engine().equals("dot")
                ? options.backend().render(dot, SvgEngine.NATIVE_DOT)
                : (renderer != null ? renderer : options.backend().prepare()).render(dot));
        if (svg instanceof SvgResult.TimedOut late) {
            Diagnostics d = new Diagnostics();
            d.add(Diags.layoutTimedOut(plan.deployment().span(), shown.selection().view().spec(), shown.layout().nodes(),
                    shown.layout().edges(), late.engine().description(), options.deadlineText()));
            Reporting.report(d, err, "could not draw");
            return Main.USAGE;
        }
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
