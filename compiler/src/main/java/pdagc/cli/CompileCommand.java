package pdagc.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pdagc FILE --emit FORMAT [-o OUT]}: compile one deployment and write a backend's output. */
@Command(name = "pdagc", mixinStandardHelpOptions = true, version = "pdagc 0.1.0",
        description = "Compile a .pdag deployment to its checked per-GPU operator DAG.")
final class CompileCommand implements Callable<Integer> {
    private final PrintWriter out;
    private final java.io.OutputStream rawOut;
    private final PrintWriter err;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "the .pdag file")
    Path file;

    @Option(names = "--emit", paramLabel = "FORMAT", description = "ir, dot, svg, json, report, java, launch, chakra, timeline or html (default: a summary of each deploy)")
    String emit;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "output file (default: stdout for text; FILE's stem + .svg for svg); for java and chakra, a directory")
    Path output;

    @Option(names = "--for", paramLabel = "TARGET", description = "for launch: the engine to write the command of: megatron (training), vllm or sglang (serving)")
    String target;

    @Option(names = "--view", paramLabel = "VIEW", description = "for dot/svg: deployment, deployment:layer:N, whole, roles, roles:layer:N, gpu:N or layer:N (default: the first of deployment, whole, roles, roles:layer:N (the first MoE layer of an MoE model), gpu:0 that fits the budget)")
    String view;

    @Option(names = "--deploy", paramLabel = "NAME", description = "which deploy of FILE to compile (an output of a FILE with several deploys needs one)")
    String deploy;

    @Option(names = "--print-ir-after", paramLabel = "PASS", description = "print the IR after PASS (lower, sharding-propagation, insert-collectives, or all) to stderr")
    List<String> printIrAfter = List.of();

    @Option(names = "--budget", paramLabel = "N", description = "for dot/svg: the most nodes a drawing may lay out, and "
            + pdagc.backend.Views.EDGES_PER_NODE + " x N edges (default: " + pdagc.backend.Views.DEFAULT_BUDGET + ")")
    Integer budget;

    @Option(names = "--ranks", paramLabel = "LIST", description = "for chakra and timeline: the ranks whose traces or lanes to write, as ranks and ranges (0-7,64; default: all traces, one lane per role)")
    String ranks;

    @Option(names = "--layout-timeout", paramLabel = "SECONDS", description = "for svg: how long the layout may take before it is ended (default: 60)")
    Double layoutTimeout;

    @Option(names = "--layout-engine", paramLabel = "ENGINE", description = "for svg: dot (Graphviz on the PATH), viz (the bundled viz.js) or auto (default: dot when it is on the PATH)")
    String layoutEngine;

    CompileCommand(PrintWriter out, java.io.OutputStream rawOut, PrintWriter err) {
        this.out = out;
        this.rawOut = rawOut;
        this.err = err;
    }

    @Override
    public Integer call() {
        if (file == null) {
            spec.commandLine().usage(err);
            return Main.USAGE;
        }
        Set<String> passes = new LinkedHashSet<>();
        for (String p : printIrAfter) {
            if (p.equals("all")) passes.addAll(Compiler.PASSES);
            else if (Compiler.PASSES.contains(p)) passes.add(p);
            else {
                err.println("error: unknown pass `" + p + "`; passes are: " + String.join(", ", Compiler.PASSES) + ", all");
                return Main.USAGE;
            }
        }
        Optional<Emitter> emitter = Emitter.forFormat(emit, err);
        if (emit != null && emitter.isEmpty()) return Main.USAGE;
        if (!Emitter.checkTarget(emit, target, err)) return Main.USAGE;
        emitter.ifPresent(e -> e.target(target));
        Optional<Emitter.Drawing> drawing = Emitter.Drawing.of(emit, view, budget, layoutTimeout, layoutEngine, err);
        if (drawing.isEmpty()) return Main.USAGE;
        if (!Emitter.formatOptions(emit, ranks, err)) return Main.USAGE;
        emitter.ifPresent(e -> e.withRanks(ranks));
        emitter.ifPresent(e -> e.prepare(drawing.get()));
        if (emit == null && deploy == null && passes.isEmpty()) return summaries();
        Optional<Prefetch.Result> early = passes.isEmpty() ? Prefetch.take("compile", file, deploy) : Optional.empty();
        Compiler compiler = early.map(Prefetch.Result::compiler).orElseGet(() -> new Compiler(passes));
        @SuppressWarnings("unchecked")
        Optional<MaterializedPlan> plan = early.isPresent() ? (Optional<MaterializedPlan>) early.get().value() : compiler.compile(file, Reporting.display(file), deploy);
        compiler.irText().values().forEach(err::print);
        int code = Reporting.report(compiler.diagnostics(), err);
        if (code != Main.OK || plan.isEmpty()) {
            emitter.ifPresent(Emitter::close);
            return code == Main.OK ? Main.INPUT_ERRORS : code;
        }
        if (emitter.isEmpty()) {
            out.println(Summary.of(plan.get()));
            return Main.OK;
        }
        out.flush();
        return emitter.get().emit(plan.get(), file, output, drawing.get(), rawOut, err);
    }

    /** The summary of every deploy of the file, as {@code check} compiles them (one output per deploy needs none). */
    private int summaries() {
        Optional<Prefetch.Result> early = Prefetch.take("summary", file, null);
        Compiler compiler = early.map(Prefetch.Result::compiler).orElseGet(() -> new Compiler(Set.of()).needingDeploy());
        @SuppressWarnings("unchecked")
        List<MaterializedPlan> plans = early.isPresent() ? (List<MaterializedPlan>) early.get().value() : compiler.check(file, Reporting.display(file));
        int code = Reporting.report(compiler.diagnostics(), err);
        if (code != Main.OK) return code;
        if (plans.isEmpty()) return Main.INPUT_ERRORS;
        for (int i = 0; i < plans.size(); i++) {
            if (i > 0) out.println();
            out.println(Summary.of(plans.get(i)));
        }
        return Main.OK;
    }
}
