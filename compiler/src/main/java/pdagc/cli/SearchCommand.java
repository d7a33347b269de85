package pdagc.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import pdagc.analysis.Analysis;
import pdagc.ast.Decl;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.front.Elaborator;
import pdagc.front.Loader;
import pdagc.lower.ModelStats;
import pdagc.program.Program;
import pdagc.search.Candidate;
import pdagc.search.Search;
import pdagc.sem.Phase;
import pdagc.sem.SearchSpec;
import pdagc.source.Span;
import pdagc.units.Units;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pdagc search FILE}: the parallel strategies of a model on a cluster for a workload,
 * ranked by the objective with the Pareto front of memory against time and the rejections by
 * reason; the best few compiled in full to confirm them, and the best written as a deploy.
 */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Search the parallel strategies of a model on a cluster for a workload: ranked, Pareto front, rejections.")
final class SearchCommand implements Callable<Integer> {
    private final PrintWriter out;
    private final PrintWriter err;

    @Parameters(index = "0", paramLabel = "FILE", description = "a .pdag file with a search declaration, or a deploy whose strategy is searched")
    Path file;

    @Option(names = "--search", paramLabel = "NAME", description = "which search (or deploy) of FILE, when it has several")
    String name;

    @Option(names = "--top", paramLabel = "N", description = "how many candidates the table shows (default: the search's `top`, else 10)")
    Integer top;

    @Option(names = "--confirm", paramLabel = "N", defaultValue = "3",
            description = "compile the best candidates in full until N of them compile and meet the requirements (at most 4 x N tries), "
                    + "and take the best by its compiled figures (default: ${DEFAULT-VALUE})")
    int confirm;

    @Option(names = "--json", description = "print the outcome as JSON")
    boolean json;

    @Option(names = "--stream", description = "print each feasible candidate as it is evaluated, one line each (JSON lines with --json)")
    boolean stream;

    @Option(names = "--rank", paramLabel = "STRATEGY",
            description = "where a strategy declared in FILE ranks among the candidates (repeatable)")
    List<String> rank = new ArrayList<>();

    @Option(names = "--write", paramLabel = "BEST.pdag", description = "write the best strategy as a deploy that imports FILE")
    Path write;

    SearchCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    /** A confirmed candidate: compiled in full, with its figures or why it failed. */
    record Confirmed(Search.Result result, Search.Figures compiled, String problem) {}

    @Override
    public Integer call() {
        if (top != null && top < 1 || confirm < 0) {
            err.println("error: --top takes a positive count and --confirm one of 0 or more");
            return Main.USAGE;
        }
        String display = Reporting.display(file);
        if (write != null && write.toAbsolutePath().normalize().equals(file.toAbsolutePath().normalize())) {
            err.println("error: --write names the input file " + display);
            return Main.USAGE;
        }
        Diagnostics diagnostics = new Diagnostics();
        Optional<Program> program = new Loader(diagnostics).loadRoot(file, display);
        Optional<SearchSpec> spec = Optional.empty();
        if (program.isPresent()) spec = spec(program.get(), diagnostics, display);
        Optional<ModelStats> stats = spec.flatMap(s -> ModelStats.of(s.model(), s.program(), diagnostics));
        int code = Reporting.report(diagnostics, err, "could not search " + display);
        if (code != Main.OK) return code;
        if (spec.isEmpty() || stats.isEmpty()) return Main.USAGE;
        SearchSpec s = spec.get();
        Progress bar = "1".equals(System.getenv("PDAGC_STDERR_TTY")) ? new Progress(err) : null;
        ObjectMapper mapper = new ObjectMapper();
        Search.Outcome outcome = new Search(s, stats.get().totalParams()).run(bar, !stream ? null : r -> {
            out.println(json ? mapper.createObjectNode().setAll(result(mapper, r, s)).toString() : line(r, s));
        });
        if (bar != null) bar.clear();
        if (outcome.ranked().isEmpty()) {
            List<String> reasons = new ArrayList<>();
            Search.sortedReasons(outcome.rejected()).entrySet().stream().limit(5)
                    .forEach(e -> reasons.add(String.format(Locale.ROOT, "%,d: %s", e.getValue(), e.getKey())));
            Diagnostics none = new Diagnostics();
            none.add(Diags.noFeasibleStrategy(s.span(), outcome.candidates(), s.name(), !s.requirements().isEmpty(), reasons));
            return Reporting.report(none, err, "could not search " + display);
        }
        List<String> ranks = new ArrayList<>();
        ObjectNode rankJson = mapper.createObjectNode();
        for (String strategy : rank) {
            Diagnostics d = new Diagnostics();
            Optional<pdagc.sem.StrategySpec> st = new Elaborator(s.program(), d).strategyNamed(strategy);
            if (st.isEmpty()) {
                Reporting.report(d, err, "could not read strategy " + strategy);
                err.println("error: --rank " + strategy + ": no such strategy in " + display);
                return Main.USAGE;
            }
            ranks.add(rankOf(s, outcome, strategy, Candidate.of(st.get(), s), stats.get().totalParams(), rankJson));
        }
        List<Confirmed> confirmed = confirm(s, outcome.ranked());
        Confirmed best = confirmed.stream().filter(c -> c.problem() == null)
                .min(java.util.Comparator.comparingDouble((Confirmed c) -> costOf(s, c.compiled())).thenComparing(c -> c.result(), Search.order(s.objective())))
                .orElse(confirm == 0 ? new Confirmed(outcome.ranked().get(0), null, null) : null);
        int shown = top != null ? top : s.top();
        if (json) {
            ObjectNode root = json(mapper, s, outcome, confirmed, best, shown);
            if (!rank.isEmpty()) root.set("rank", rankJson);
            out.println(root.toPrettyString());
        } else {
            text(s, display, outcome, confirmed, best, shown);
            for (String r : ranks) out.println(r);
        }
        out.flush();
        if (best == null) {
            err.println("error: none of the " + confirmed.size() + " best candidates compiles and meets the requirements in full (see above); "
                    + "more with --confirm N");
            return Main.INPUT_ERRORS;
        }
        if (write != null) return write(s, best.result().candidate());
        return Main.OK;
    }

    private Optional<SearchSpec> spec(Program program, Diagnostics diagnostics, String display) {
        Elaborator e = new Elaborator(program, diagnostics);
        List<Decl.Search> searches = e.searches();
        List<Decl.Deploy> deploys = e.deploys();
        for (Decl.Search d : searches) {
            if (name == null || d.name().text().equals(name)) return e.search(d);
        }
        if (searches.isEmpty() || name != null) {
            for (Decl.Deploy d : deploys) {
                if (name == null || d.name().text().equals(name)) return e.searchOf(d);
            }
        }
        var f = program.root().unit().file();
        Span at = new Span(f, 0, Math.min(1, f.text().length()));
        if (name != null) {
            List<String> names = new ArrayList<>();
            searches.forEach(d -> names.add(d.name().text()));
            deploys.forEach(d -> names.add(d.name().text()));
            diagnostics.add(Diags.deploymentNotFound(at, name, names));
        } else {
            diagnostics.add(Diags.nothingToSearch(at, display));
        }
        return Optional.empty();
    }

    private List<Confirmed> confirm(SearchSpec s, List<Search.Result> ranked) {
        List<Confirmed> out = new ArrayList<>();
        // Down the ranking until `confirm` candidates compile and meet the requirements, at most 4
        // times as many tries: an estimate near a limit (memory near the capacity) may miss it.
        int ok = 0;
        for (int i = 0; i < ranked.size() && ok < confirm && i < 4 * confirm; i++) {
            Search.Result r = ranked.get(i);
            Compiler c = new Compiler(java.util.Set.of());
            Optional<MaterializedPlan> plan = c.compile(r.candidate().deployment(s.name(), s));
            String problem = null;
            for (Diagnostic d : c.diagnostics().all()) {
                if (d.severity() == pdagc.diag.Severity.ERROR) {
                    problem = "error[" + d.code().id() + "]: " + d.message();
                    break;
                }
            }
            if (plan.isEmpty() && problem == null) problem = "does not compile";
            if (problem == null) ok++;
            out.add(new Confirmed(r, plan.isPresent() ? figures(s, plan.get()) : null, problem));
        }
        return out;
    }

    /** The figures of a compiled plan, as the search estimates them. */
    static Search.Figures figures(SearchSpec s, MaterializedPlan p) {
        Analysis a = p.analysis();
        int gpus = s.cluster().count();
        if (a.serving() != null) {
            var sv = a.serving();
            var m = sv.peakMemory().memory();
            return new Search.Figures(sv.endToEnd(), sv.ttft(), sv.tpot(), sv.throughput() / gpus, m.total(), m.weightBytes(), m.activationBytes(),
                    m.gradientBytes() + m.optimizerBytes(), a.step().pipelineBubble().orElse(0), sv.ttftP99(), sv.tpotP99());
        }
        var m = a.largestMemory().memory();
        double seconds = a.step().seconds();
        boolean prefill = a.step().phase() == Phase.PREFILL, decode = a.step().phase() == Phase.DECODE;
        double tokens = p.stepTokens();
        return new Search.Figures(seconds, prefill ? seconds : Double.NaN, decode ? seconds : Double.NaN, tokens / seconds / gpus, m.total(),
                m.weightBytes(), m.activationBytes(), m.gradientBytes() + m.optimizerBytes(), a.step().pipelineBubble().orElse(0));
    }

    private static double costOf(SearchSpec s, Search.Figures f) {
        return switch (s.objective()) {
            case "throughput" -> -f.tokensPerSecondPerGpu();
            case "ttft" -> f.ttft();
            case "tpot" -> f.tpot();
            case "memory" -> f.memoryBytes();
            default -> f.stepSeconds();
        };
    }

    private int write(SearchSpec s, Candidate best) {
        Path target = write.toAbsolutePath().normalize();
        Path dir = target.getParent();
        String rel = dir.relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
        String strategy = freeName(s, s.name() + "Best");
        boolean training = s.workload().phase() == Phase.TRAIN;
        StringBuilder b = new StringBuilder();
        b.append("// The best strategy that `pdagc search` found for search ").append(s.name()).append(" of ").append(Reporting.display(file))
                .append(",\n// objective ").append(s.objective()).append(".\n");
        b.append("import \"").append(rel).append("\"\n\n");
        b.append("strategy ").append(strategy).append(" { ").append(best.text(training)).append(" }\n\n");
        String workload = s.workload().name();
        // At a request rate the candidate's batch is one request per split, which the deploy derives itself.
        if (!s.workload().atRate() && best.batch() != s.workload().batch()) {
            Optional<String> copy = workloadWithBatch(s, best.batch());
            if (copy.isEmpty()) {
                err.println("error: cannot write " + write + ": the best batch (" + best.batch() + ") needs a copy of workload " + workload
                        + ", which is not declared in " + Reporting.display(file));
                return Main.USAGE;
            }
            workload = freeName(s, workload + "Batch" + best.batch());
            b.append("workload ").append(workload).append(copy.get()).append("\n\n");
        }
        b.append("deploy ").append(freeName(s, s.name() + "Deploy")).append(" = ").append(s.model().name()).append(" on ").append(s.cluster().name())
                .append(" with ").append(strategy).append(" for ").append(workload);
        if (s.requirements().isEmpty()) b.append('\n');
        else {
            b.append(" {\n");
            for (var r : s.requirements()) {
                b.append("  require ").append(r.metric()).append(' ').append(r.comparison()).append(' ').append(r.limitText())
                        .append(r.metric().equals("memory") ? " per gpu" : "").append('\n');
            }
            b.append("}\n");
        }
        byte[] bytes = b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int code = OutputFiles.write(write, file, o -> o.write(bytes), java.io.OutputStream.nullOutputStream(), err);
        if (code == Main.OK) err.println("pdagc: wrote " + write);
        return code;
    }

    /**
     * The searched workload's declaration after its name, as written, with {@code batch} as its
     * batch: {@code " { batch 16  input 1024  output 256 }"}; empty when the root file does not declare it.
     */
    private static Optional<String> workloadWithBatch(SearchSpec s, long batch) {
        if (!(s.program().root().decls().get(s.workload().name()) instanceof Decl.Entity e)) return Optional.empty();
        String text = e.span().text();
        int from = e.name().span().end() - e.span().start();
        var prop = e.properties().stream().filter(p -> p.name().text().equals("batch")).findFirst();
        if (prop.isEmpty() || prop.get().value() == null) return Optional.empty();
        int vs = prop.get().value().span().start() - e.span().start(), ve = prop.get().value().span().end() - e.span().start();
        return Optional.of(text.substring(from, vs) + batch + text.substring(ve));
    }

    /** {@code base}, or base2, base3, ... where the searched program already declares the name. */
    private static String freeName(SearchSpec s, String base) {
        String n = base;
        for (int i = 2; s.program().root().decls().containsKey(n); i++) n = base + i;
        return n;
    }

    // ---- text -------------------------------------------------------------------------------------

    private static String objectiveText(SearchSpec s) {
        return switch (s.objective()) {
            case "throughput" -> "tokens/s per GPU, highest first";
            case "ttft" -> "time to first token, lowest first";
            case "tpot" -> "time per output token, lowest first";
            case "memory" -> "memory per GPU, lowest first";
            default -> s.workload().phase() == Phase.TRAIN ? "step time, lowest first" : "step time (end to end), lowest first";
        };
    }

    private void text(SearchSpec s, String display, Search.Outcome o, List<Confirmed> confirmed, Confirmed best, int shown) {
        boolean training = s.workload().phase() == Phase.TRAIN;
        out.printf(Locale.ROOT, "search %s (%s): %s on %s (%d x %s) for %s; objective %s%n", s.name(), display, s.model().name(), s.cluster().name(),
                s.cluster().count(), s.cluster().gpu().name(), s.workload().name(), objectiveText(s));
        long rejected = o.rejected().values().stream().mapToLong(Long::longValue).sum();
        out.printf(Locale.ROOT, "  %,d candidates: %,d rejected, %,d feasible; %d layer programs compiled; %.2f s (%.2f s of CPU), %,.0f candidates/s%n",
                o.candidates(), rejected, o.ranked().size(), o.profiles(), o.seconds(), o.cpuSeconds(), o.candidates() / o.seconds());
        out.println();
        out.println("rank " + header(training) + "  strategy");
        for (int i = 0; i < Math.min(shown, o.ranked().size()); i++) {
            Search.Result r = o.ranked().get(i);
            out.printf(Locale.ROOT, "%4d %s  %s%n", i + 1, row(r.figures(), training), label(s, r.candidate()));
        }
        out.println();
        out.println("Pareto front, memory per GPU against " + (training ? "step time" : s.objective().equals("throughput") ? "tokens/s per GPU" : s.objective()) + ":");
        for (Search.Result r : o.pareto()) {
            out.printf(Locale.ROOT, "  %10s  %s  %s%n", Units.bytes(r.figures().memoryBytes()), objectiveValue(s, r.figures()), label(s, r.candidate()));
        }
        out.println();
        out.println("Rejected, by reason:");
        for (Map.Entry<String, Long> e : Search.sortedReasons(o.rejected()).entrySet()) {
            out.printf(Locale.ROOT, "  %,10d  %s (e.g. %s)%n", e.getValue(), e.getKey(), o.examples().get(e.getKey()));
        }
        if (!confirmed.isEmpty()) {
            out.println();
            out.println("Compiled in full (the " + confirmed.size() + " best estimates, down to " + confirm
                    + " that compile and meet the requirements), compiled figures against the estimate:");
            for (Confirmed c : confirmed) {
                String what = c.problem() != null ? "not confirmed: " + c.problem()
                        : row(c.compiled(), training) + String.format(Locale.ROOT, "  (estimate %+.1f %%)", 100 * (cost(s, c.result().figures()) / cost(s, c.compiled()) - 1));
                out.printf(Locale.ROOT, "  %s%n      %s%n", label(s, c.result().candidate()), what);
            }
        }
        out.println();
        if (best != null) {
            out.println("best: " + (s.batches() != null ? "batch " + best.result().candidate().batch() + ", " : "") + "strategy { "
                    + best.result().candidate().text(training) + " }");
        }
    }

    private static double cost(SearchSpec s, Search.Figures f) {
        return Math.abs(costOf(s, f));
    }

    private static String objectiveValue(SearchSpec s, Search.Figures f) {
        return switch (s.objective()) {
            case "throughput" -> String.format(Locale.ROOT, "%10.1f tok/s/GPU", f.tokensPerSecondPerGpu());
            case "ttft" -> String.format(Locale.ROOT, "TTFT %10s", Units.seconds(f.ttft()));
            case "tpot" -> String.format(Locale.ROOT, "TPOT %10s", Units.seconds(f.tpot()));
            default -> String.format(Locale.ROOT, "%10s", Units.seconds(f.stepSeconds()));
        };
    }

    private static String header(boolean training) {
        return training ? String.format(Locale.ROOT, "%11s %12s %10s", "step time", "tok/s/GPU", "memory")
                : String.format(Locale.ROOT, "%10s %10s %11s %10s", "TTFT", "TPOT", "tok/s/GPU", "memory");
    }

    private static String row(Search.Figures f, boolean training) {
        return training ? String.format(Locale.ROOT, "%11s %12.1f %10s", Units.seconds(f.stepSeconds()), f.tokensPerSecondPerGpu(), Units.bytes(f.memoryBytes()))
                : String.format(Locale.ROOT, "%10s %10s %11.1f %10s", Units.seconds(f.ttft()), Double.isNaN(f.tpot()) ? "-" : Units.seconds(f.tpot()),
                        f.tokensPerSecondPerGpu(), Units.bytes(f.memoryBytes()));
    }

    /** A candidate as the table shows it: its strategy, after its batch where the search varies the batch. */
    private static String label(SearchSpec s, Candidate c) {
        return (s.batches() != null ? "batch " + c.batch() + "  " : "") + c.text(s.workload().phase() == Phase.TRAIN);
    }

    private static String line(Search.Result r, SearchSpec s) {
        boolean training = s.workload().phase() == Phase.TRAIN;
        return row(r.figures(), training) + "  " + label(s, r.candidate());
    }

    // ---- JSON -------------------------------------------------------------------------------------

    private static ObjectNode result(ObjectMapper m, Search.Result r, SearchSpec s) {
        ObjectNode o = m.createObjectNode();
        o.put("strategy", r.candidate().text(s.workload().phase() == Phase.TRAIN));
        o.put("mesh", r.candidate().meshText());
        if (r.candidate().expertMesh() != null) o.put("expert_mesh", r.candidate().expertMeshText());
        o.put("batch", r.candidate().batch());
        o.set("estimate", figuresJson(m, r.figures()));
        return o;
    }

    private static ObjectNode figuresJson(ObjectMapper m, Search.Figures f) {
        ObjectNode o = m.createObjectNode();
        o.put("step_seconds", f.stepSeconds());
        if (!Double.isNaN(f.ttft())) o.put("ttft_seconds", f.ttft());
        if (!Double.isNaN(f.tpot())) o.put("tpot_seconds", f.tpot());
        o.put("tokens_per_second_per_gpu", f.tokensPerSecondPerGpu());
        o.put("memory_bytes", f.memoryBytes());
        o.put("weight_bytes", f.weightBytes());
        o.put("activation_bytes", f.activationBytes());
        o.put("model_state_bytes", f.modelStateBytes());
        o.put("pipeline_bubble", f.bubble());
        return o;
    }

    /**
     * A hand-written strategy's place: evaluated as a candidate is (the same checks and estimate),
     * ranked 1 + the number of feasible candidates with a strictly better objective.
     */
    private static String rankOf(SearchSpec s, Search.Outcome o, String name, Candidate c, long params, ObjectNode json) {
        Object e = new Search(s, params).evaluate(c);
        ObjectNode n = json.putObject(name);
        n.put("strategy", c.text(s.workload().phase() == Phase.TRAIN));
        if (!(e instanceof Search.Result r)) {
            String why = e.toString();
            n.put("rejected", why);
            return "rank of " + name + ": rejected: " + why;
        }
        double mine = costOf(s, r.figures());
        long better = o.ranked().stream().filter(x -> costOf(s, x.figures()) < mine).count();
        long ties = o.ranked().stream().filter(x -> costOf(s, x.figures()) == mine).count();
        n.put("rank", better + 1);
        n.put("feasible", o.ranked().size());
        n.set("estimate", figuresJson(new ObjectMapper(), r.figures()));
        boolean training = s.workload().phase() == Phase.TRAIN;
        return String.format(Locale.ROOT, "rank of %s: %,d of %,d feasible%s: %s  %s", name, better + 1, o.ranked().size(),
                ties > 1 ? " (" + ties + " candidates tie with it)" : "", row(r.figures(), training).trim(), c.text(training));
    }

    private static ObjectNode json(ObjectMapper m, SearchSpec s, Search.Outcome o, List<Confirmed> confirmed, Confirmed best, int shown) {
        ObjectNode root = m.createObjectNode();
        root.put("search", s.name());
        root.put("objective", s.objective());
        root.put("gpus", s.cluster().count());
        root.put("candidates", o.candidates());
        root.put("feasible", o.ranked().size());
        root.put("layer_programs", o.profiles());
        root.put("seconds", o.seconds());
        root.put("cpu_seconds", o.cpuSeconds());
        ArrayNode ranked = root.putArray("ranked");
        for (int i = 0; i < Math.min(shown, o.ranked().size()); i++) ranked.add(result(m, o.ranked().get(i), s).put("rank", i + 1));
        ArrayNode pareto = root.putArray("pareto");
        for (Search.Result r : o.pareto()) pareto.add(result(m, r, s));
        ObjectNode rejected = root.putObject("rejected");
        Search.sortedReasons(o.rejected()).forEach(rejected::put);
        ArrayNode conf = root.putArray("confirmed");
        for (Confirmed c : confirmed) {
            ObjectNode n = result(m, c.result(), s);
            if (c.compiled() != null) n.set("compiled", figuresJson(m, c.compiled()));
            if (c.problem() != null) n.put("problem", c.problem());
            conf.add(n);
        }
        if (best != null) root.set("best", result(m, best.result(), s));
        return root;
    }

    /** A progress bar on stderr: candidates done of all, feasible so far, layer programs compiled, ETA. */
    static final class Progress implements Search.Progress {
        private final PrintWriter err;
        private final long start = System.nanoTime();

        Progress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void update(long done, long total, long feasible, int profiles) {
            double elapsed = (System.nanoTime() - start) / 1e9;
            double eta = done > 0 ? elapsed * (total - done) / done : 0;
            int width = 30, filled = total > 0 ? (int) (width * done / total) : width;
            err.printf(Locale.ROOT, "\r[%s%s] %,d/%,d candidates, %,d feasible, %d layer programs, ETA %.0f s ", "#".repeat(filled),
                    " ".repeat(width - filled), done, total, feasible, profiles, eta);
            err.flush();
        }

        void clear() {
            err.print("\r" + " ".repeat(100) + "\r");
            err.flush();
        }
    }
}
