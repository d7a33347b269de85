package pdagc.driver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import pdagc.analysis.Analysis;
import pdagc.analysis.MicroBatchFold;
import pdagc.analysis.Requirements;
import pdagc.analysis.Serving;
import pdagc.analysis.ServingSimulation;
import pdagc.ast.Decl;
import pdagc.dag.Materialize;
import pdagc.dag.Quotient;
import pdagc.dag.PlanDag;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.front.Elaborator;
import pdagc.front.Loader;
import pdagc.ir.Graph;
import pdagc.ir.Overflow;
import pdagc.lower.Lowering;
import pdagc.mesh.MeshContext;
import pdagc.partition.GroupedSplits;
import pdagc.partition.InsertCollectives;
import pdagc.partition.PipelineStaging;
import pdagc.partition.ShardingPropagation;
import pdagc.program.Program;
import pdagc.sem.Deployment;
import pdagc.sem.WorkloadSpec;
import pdagc.source.Span;
import pdagc.units.Units;
import pdagc.source.SourceFile;
import pdagc.spmd.IrText;
import pdagc.spmd.SpmdProgram;
import pdagc.validate.Validate;

/**
 * The pipeline, pass by pass: load, elaborate, lower, sharding-propagation, insert-collectives,
 * materialize, validate, analyze and check-requirements. Each pass reports into one
 * {@link Diagnostics}; the text form of the IR after any pass can be kept for printing.
 */
public final class Compiler {
    /** The passes whose IR can be printed, in order. */
    public static final List<String> PASSES = List.of("lower", ShardingPropagation.NAME, InsertCollectives.NAME);

    private final Diagnostics diagnostics = new Diagnostics();
    private final Set<String> printAfter;
    private final Map<String, String> irText = new LinkedHashMap<>();
    private java.util.function.UnaryOperator<Deployment> rewrite = java.util.function.UnaryOperator.identity();
    private pdagc.ir.OpSet ops = pdagc.ir.OpSet.STANDARD;
    /** Whether the IR of the plan being partitioned is kept for printing (of a serving workload, only its last decode step's). */
    private boolean keepIr = true;
    /** The most nodes of one GPU per pipeline stage that validation and analysis walk ({@link Materialize#MAX_STAGE_NODES}). */
    private long stageNodeBudget = Materialize.MAX_STAGE_NODES;

    /**
     * A deployment loaded and partitioned: {@code plan}, and for a serving workload {@code serving},
     * the deployment itself, whose {@code plan} is its prefill step.
     */
    private record Loaded(PartitionedPlan plan, Deployment serving) {}

    public Compiler(Set<String> printAfter) {
        this.printAfter = printAfter;
    }

    /** Rewrites each deployment after checking and before lowering (verify shrinks it). */
    public Compiler rewriting(java.util.function.UnaryOperator<Deployment> r) {
        this.rewrite = r;
        return this;
    }

    /** Lets blocks call the elementwise functions and contractions of {@code ops} (the standard set by default). */
    public Compiler withOps(pdagc.ir.OpSet ops) {
        this.ops = ops;
        return this;
    }

    /**
     * Walks at most {@code nodes} nodes of one GPU per pipeline stage; a training step over it is
     * analysed from plans of fewer micro-batches where it can be ({@link MicroBatchFold}).
     */
    public Compiler stageNodeBudget(long nodes) {
        this.stageNodeBudget = nodes;
        return this;
    }

    /** Asks for a deploy in the file (an output or the summary needs one; `check` also takes search declarations alone). */
    public Compiler needingDeploy() {
        this.needsDeploy = true;
        return this;
    }

    public Diagnostics diagnostics() {
        return diagnostics;
    }

    private final List<pdagc.sem.SearchSpec> searches = new ArrayList<>();
    /** Whether the file must have a deploy (compiling one to an output), not only search declarations (checking). */
    private boolean needsDeploy;

    /** The search declarations that {@link #check} read without errors. */
    public List<pdagc.sem.SearchSpec> searches() {
        return searches;
    }

    /** IR text by pass name, for the passes asked for. */
    public Map<String, String> irText() {
        return irText;
    }

    /** Checks every deploy of a file through the requirements; returns the plans that were built. */
    public List<MaterializedPlan> check(Path file, String display) {
        return materializeAll(Timings.time("front end + partition", () -> load(new Loader(diagnostics).loadRoot(file, display), null)));
    }

    public List<MaterializedPlan> check(SourceFile file) {
        return materializeAll(load(new Loader(diagnostics).loadRoot(file), null));
    }

    private List<MaterializedPlan> materializeAll(List<Loaded> plans) {
        List<MaterializedPlan> out = new ArrayList<>();
        for (Loaded p : plans) materialize(p).ifPresent(out::add);
        return out;
    }

    /** Compiles one deploy (by name, or the only one) through materialization and validation. */
    public Optional<MaterializedPlan> compile(Path file, String display, String deploy) {
        needsDeploy = true;
        List<Loaded> plans = Timings.time("front end + partition", () -> load(new Loader(diagnostics).loadRoot(file, display), deploy));
        if (plans.size() > 1 && !diagnostics.hasErrors()) {
            List<String> names = plans.stream().map(p -> p.plan().deployment().name()).toList();
            diagnostics.add(Diags.severalDeploys(plans.get(1).plan().deployment().span(), display, names));
        }
        if (plans.size() != 1 || diagnostics.hasErrors()) return Optional.empty();
        Optional<MaterializedPlan> built = materialize(plans.get(0));
        return diagnostics.hasErrors() ? Optional.empty() : built;
    }

    /**
     * Compiles a deployment made in memory (a strategy search's candidate), as {@code compile}
     * compiles one read from a file: rewritten, partitioned, materialized, validated, analyzed, a
     * serving workload step by step, and its requirements checked.
     */
    public Optional<MaterializedPlan> compile(Deployment d) {
        Optional<Loaded> loaded;
        if (d.workload().isServing()) {
            loaded = Optional.of(d.forStep(d.servingPrefill())).map(rewrite).flatMap(this::partition).map(p -> new Loaded(p, d));
        } else {
            loaded = Optional.of(d).map(rewrite).flatMap(this::partition).map(p -> new Loaded(p, null));
        }
        if (loaded.isEmpty() || diagnostics.hasErrors()) return Optional.empty();
        Optional<MaterializedPlan> built = materialize(loaded.get());
        return diagnostics.hasErrors() ? Optional.empty() : built;
    }

    private Optional<MaterializedPlan> materialize(Loaded loaded) {
        return loaded.serving() == null ? materialize(loaded.plan(), true) : serving(loaded.serving(), loaded.plan());
    }

    /**
     * Materializes, validates and analyzes a plan, and with {@code requirements} checks its
     * requirements and capacity (a violated one is an error in the diagnostics; the plan is still
     * returned).
     */
    private Optional<MaterializedPlan> materialize(PartitionedPlan plan, boolean requirements) {
        try {
            return materializeChecked(plan, requirements);
        } catch (Overflow e) {
            overflow(plan.deployment(), e);
            return Optional.empty();
        }
    }

    /**
     * A serving workload, from its prefill step's plan: the decode steps' plans at the contexts
     * the mean needs ({@link Serving}), each compiled like any deployment (rewritten, partitioned,
     * materialized, validated, analyzed). The plan returned is the last decode step's (its DAG is
     * what the backends write), or the prefill's with one output token; its analysis carries the
     * serving figures, the requirements are checked against them, and its steps are the prefill's
     * and the last decode step's plans.
     */
    private Optional<MaterializedPlan> serving(Deployment d, PartitionedPlan prefillPlan) {
        Optional<MaterializedPlan> prefill = materialize(prefillPlan, false);
        if (prefill.isEmpty()) return Optional.empty();
        WorkloadSpec.Serving lengths = d.workload().serving();
        if (lengths.hasRate()) return Timings.time("serving at a rate", () -> atRate(d, prefill.get()));
        java.util.Map<Long, MaterializedPlan> kept = new java.util.HashMap<>(2);
        java.util.function.LongFunction<Optional<Serving.StepPlan>> decodeAt = context -> {
            boolean last = context == lengths.lastContext();
            int errors = diagnostics.errorReports();
            Optional<MaterializedPlan> plan = stepPlan(d, d.workload().decodeStep(context), last);
            if (diagnostics.errorReports() > errors) return Optional.empty();
            if (last) plan.ifPresent(p -> kept.put(context, p));
            return plan.map(p -> new Serving.StepPlan(context, p.dag(), p.analysis()));
        };
        Optional<Serving> figures = Timings.time("serving steps", () -> Serving.of(d.workload().name(), d.workload().batch(), lengths.input(),
                lengths.output(), new Serving.StepPlan(lengths.input(), prefill.get().dag(), prefill.get().analysis()), decodeAt));
        if (figures.isEmpty()) return Optional.empty();
        MaterializedPlan main = lengths.decodeSteps() > 0 ? kept.get(lengths.lastContext()) : prefill.get();
        List<MaterializedPlan> steps = lengths.decodeSteps() > 0 ? List.of(prefill.get(), main) : List.of(prefill.get());
        return Optional.of(withServing(d, main, figures.get(), steps));
    }

    /**
     * A serving workload at a request rate ({@link Serving.Arrivals}): from the prefill step of one
     * request per split of the batch, the decode step at the requests' mean context of the batch in
     * flight, found by compiling decode plans at the batch the rate needs until it repeats (the
     * batch needs grow with the step's time, so from one request per split they rise to the least
     * batch that keeps up). A rate whose prefills would take all of the time, or whose requests in
     * flight outgrow a GPU's memory, is E0508.
     */
    private Optional<MaterializedPlan> atRate(Deployment d, MaterializedPlan prefill) {
        WorkloadSpec w = d.workload();
        WorkloadSpec.Serving lengths = w.serving();
        long unit = d.batchWays();
        double prefillSeconds = prefill.analysis().step().seconds();
        double share = Serving.Arrivals.prefillShare(lengths.rate(), prefillSeconds, unit);
        Span rateAt = w.spanOf("rate");
        String rate = pdagc.analysis.Figures.rate(lengths.rate());
        if (share >= 1) {
            diagnostics.add(Diags.rateBeyondCapacity(rateAt, rate, d.name(), String.format(java.util.Locale.ROOT,
                    "their prefills alone would take %.0f%% of the time (%d at a time, %s each)", 100 * share, unit, Units.seconds(prefillSeconds)),
                    "at most " + pdagc.analysis.Figures.rate(unit / prefillSeconds) + " keeps up with the prefills alone; less, for the decode steps"));
            return Optional.empty();
        }
        Serving.StepPlan prefillStep = new Serving.StepPlan(lengths.input(), prefill.dag(), prefill.analysis());
        java.util.Map<Long, Double> decodeSeconds = new java.util.HashMap<>();
        if (lengths.decodeSteps() == 0) {
            Optional<ServingSimulation.Result> run = simulate(d, prefillSeconds, decodeSeconds, Long.MAX_VALUE);
            if (run.isEmpty()) return Optional.empty();
            Serving s = Serving.atRate(w.name(), unit, lengths.input(), lengths.output(), prefillStep, null,
                    new Serving.Arrivals(lengths.rate(), unit, 0, 0, share, 0, run.get()));
            return Optional.of(withServing(d, prefill, s, List.of(prefill)));
        }
        long context = lengths.meanContext(), batch = unit;
        MaterializedPlan decode = null;
        double need = 0;
        for (int plans = 0; plans < Serving.Arrivals.MAX_STEPS; plans++) {
            int errors = diagnostics.errorReports();
            long sequences = batch;
            Optional<MaterializedPlan> plan = stepPlan(d, w.decodeStep(context, sequences), true);
            if (diagnostics.errorReports() > errors || plan.isEmpty()) return Optional.empty();
            decode = plan.get();
            decodeSeconds.put(sequences, decode.analysis().step().seconds());
            Analysis.GpuFigures largest = decode.analysis().largestMemory();
            if (largest.memory().total() > largest.capacityBytes()) {
                diagnostics.add(Diags.rateBeyondCapacity(rateAt, rate, d.name(), String.format(java.util.Locale.ROOT,
                        "keeping up needs more than %d requests in flight, and %d at context %d need %s on GPU %d, which has %s", sequences, sequences,
                        context, Units.bytes(largest.memory().total()), largest.gpu(), Units.bytes(largest.capacityBytes())),
                        "a lower rate, or more GPUs (dp) to share the requests"));
                return Optional.empty();
            }
            // Tokens made per second, batch x (1 - share) / step, equal the tokens asked for, rate x output.
            need = Serving.Arrivals.inFlight(lengths.rate(), lengths.output(), decode.analysis().step().seconds(), share);
            long next = Serving.Arrivals.batchFor(need, unit);
            if (next <= batch) break;
            if (plans == Serving.Arrivals.MAX_STEPS - 1 || next > Serving.Arrivals.MAX_BATCH) {
                diagnostics.add(Diags.rateBeyondCapacity(rateAt, rate, d.name(), "the batch it needs keeps growing with the decode step it makes "
                        + "(" + sequences + " requests in flight need " + (long) Math.ceil(need) + ")", "a lower rate, or more GPUs to share the requests"));
                return Optional.empty();
            }
            batch = next;
        }
        if (lengths.maxBatch() > 0 && need > (double) lengths.maxBatch() * unit) {
            diagnostics.add(Diags.rateBeyondCapacity(rateAt, rate, d.name(), String.format(java.util.Locale.ROOT,
                    "keeping up needs %.1f requests in flight%s, and `max_batch %d` admits %d", need, unit > 1 ? " (" + unit + " splits of the batch)" : "",
                    lengths.maxBatch(), lengths.maxBatch() * unit), "a lower rate, a larger `max_batch`, or more GPUs (dp) to share the requests"));
            return Optional.empty();
        }
        Serving.StepPlan decodeStep = new Serving.StepPlan(context, decode.dag(), decode.analysis());
        Optional<ServingSimulation.Result> run = simulate(d, prefillSeconds, decodeSeconds, inFlightLimit(lengths, batch / unit, decode.analysis()));
        if (run.isEmpty()) return Optional.empty();
        Serving s = Serving.atRate(w.name(), unit, lengths.input(), lengths.output(), prefillStep, decodeStep,
                new Serving.Arrivals(lengths.rate(), unit, need, batch, share, decode.analysis().step().seconds(), run.get()));
        return Optional.of(withServing(d, decode, s, List.of(prefill, decode)));
    }

    /** The requests in flight one split admits ({@link ServingSimulation#admitted}), from the largest GPU of {@code decode}. */
    static long inFlightLimit(WorkloadSpec.Serving lengths, long perSplit, Analysis decode) {
        Analysis.GpuFigures largest = decode.largestMemory();
        long kv = largest.memory().kvCacheBytes();
        return ServingSimulation.admitted(largest.capacityBytes(), largest.memory().total() - kv, kv, perSplit, lengths.input(), lengths.output());
    }

    /**
     * The run {@link ServingSimulation} simulates for a deploy at a rate: its {@code requests},
     * spread over the splits of the batch, each split a queue of its own at the rate over the
     * splits; an iteration's prefill of {@code k} prompts a split and decode step of {@code b}
     * requests a split are the plans of {@code k} and {@code b} per split (compiled at powers of two
     * and interpolated between; the prefill of one and the decode steps already compiled are
     * reused). Empty when one of those plans does not compile (the diagnostics say why).
     */
    private Optional<ServingSimulation.Result> simulate(Deployment d, double prefillOne, java.util.Map<Long, Double> decodeSeconds, long inFlight) {
        WorkloadSpec w = d.workload();
        WorkloadSpec.Serving lengths = w.serving();
        long unit = d.batchWays();
        boolean[] failed = {false};
        java.util.function.Function<WorkloadSpec, Double> stepSeconds = step -> {
            if (failed[0]) return Double.NaN;
            int errors = diagnostics.errorReports();
            Optional<MaterializedPlan> plan = stepPlan(d, step, false);
            if (diagnostics.errorReports() > errors || plan.isEmpty()) {
                failed[0] = true;
                return Double.NaN;
            }
            return plan.get().analysis().step().seconds();
        };
        ServingSimulation.StepTimes steps = ServingSimulation.StepTimes.onPowersOfTwo(
                k -> k == 1 ? prefillOne : stepSeconds.apply(w.prefillStep(k * unit)),
                b -> decodeSeconds.computeIfAbsent(b * unit, sequences -> stepSeconds.apply(w.decodeStep(lengths.meanContext(), sequences))));
        long requests = lengths.requestsPerSplit(unit);
        try {
            ServingSimulation.Result r = Timings.time("serving simulation", () -> ServingSimulation.run(lengths.rate() / unit, requests,
                    lengths.input(), lengths.output(), ServingSimulation.Engine.of(lengths.input(), lengths.tokenBudget(), inFlight, lengths.maxBatch(),
                            lengths.chunkedPrefill()),
                    steps));
            return Optional.of(r);
        } catch (IllegalStateException e) {
            if (failed[0]) return Optional.empty();
            throw e;
        }
    }

    /**
     * The plan of one step of a serving deploy ({@code step}, a prefill or decode workload),
     * rewritten, partitioned and materialized; {@code keep}: whether it keeps its IR (a plan the
     * backends write), else only its figures are needed.
     */
    private Optional<MaterializedPlan> stepPlan(Deployment d, WorkloadSpec step, boolean keep) {
        keepIr = keep;
        try {
            return Optional.of(d.forStep(step)).map(rewrite).flatMap(this::partition).flatMap(p -> materialize(p, false));
        } finally {
            keepIr = true;
        }
    }

    /** The plan {@code main} carrying a serving workload's figures, its requirements checked against them. */
    private MaterializedPlan withServing(Deployment d, MaterializedPlan main, Serving figures, List<MaterializedPlan> steps) {
        Analysis analysis = main.analysis().withServing(figures, d.requirements());
        Requirements.check(d, analysis, diagnostics);
        return new MaterializedPlan(main.deployment(), main.graph(), main.shardings(), main.spmd(), main.dag(), analysis, List.copyOf(steps));
    }

    /**
     * Reports a count that does not fit in 64 bits, anywhere in lowering, partitioning or analysis,
     * at the deploy whose sizes made it.
     */
    private void overflow(Deployment d, Overflow e) {
        diagnostics.add(Diags.deploymentSizesOverflow(d.span(), e.what()));
    }

    private Optional<MaterializedPlan> materializeChecked(PartitionedPlan plan, boolean requirements) {
        Deployment d = plan.deployment();
        PlanDag dag;
        try {
            dag = Timings.time("materialize",
                    () -> Materialize.run(d.name(), d.span().file().displayName(), plan.spmd(), d.cluster().perNode(), d.workload().precision(),
                            stageNodeBudget));
        } catch (Materialize.PlanTooLarge e) {
            // With data parallelism the whole plan can be over its budget while one GPU per stage is not: the same fold.
            Optional<MaterializedPlan> folded = fold(plan, requirements);
            if (folded != null) return folded;
            diagnostics.add(Diags.dagTooLarge(d.span(), e.nodes(), e.edges(), e.budget()));
            return Optional.empty();
        } catch (Materialize.StagesTooLarge e) {
            Optional<MaterializedPlan> folded = fold(plan, requirements);
            if (folded != null) return folded;
            diagnostics.add(Diags.stagesTooLarge(d.span(), e.nodes(), Materialize.MAX_STAGE_NODES, d.strategy().pipeline().stages(),
                    d.strategy().pipeline().microBatches(), plan.spmd().nodes().size()));
            return Optional.empty();
        }
        Timings.count("nodes", dag.nodes().size());
        Timings.count("edges", dag.edges().size());
        // Validation and analysis walk the plan up to its symmetry: one GPU per role.
        Quotient quotient = Timings.time("quotient", () -> Quotient.of(dag));
        Quotient structure = quotient.symmetric() || !(dag instanceof PlanDag.ClosedForm) ? quotient : Quotient.structural(dag);
        List<String> problems = Timings.time("validate", () -> Validate.run(structure));
        Analysis analysis = problems.isEmpty() ? Timings.time("analyze", () -> Analysis.run(d, plan.graph(), plan.spmd(), quotient)) : null;
        if (analysis != null && analysis.problem() != null) problems = List.of(analysis.problem());
        for (String p : problems) {
            diagnostics.add(Diags.planInvalid(d.span(), p));
        }
        if (!problems.isEmpty()) return Optional.empty();
        if (requirements) Requirements.check(d, analysis, diagnostics);
        return Optional.of(plan.materialized(dag, analysis));
    }

    /**
     * A training step over pipeline stages whose one-GPU-per-stage walk (or whole plan) is over the budget, analysed
     * from three plans of fewer micro-batches ({@link MicroBatchFold}): their deployment, program and
     * DAG are the largest's, the analysis the step's of all its micro-batches. Null where it does not
     * apply (not a pipelined 1F1B or interleaved training step, too few micro-batches, or even the
     * smallest plan over the budget), or where the three plans' figures are not on one line: the
     * caller reports the budget.
     */
    private Optional<MaterializedPlan> fold(PartitionedPlan plan, boolean requirements) {
        Deployment d = plan.deployment();
        pdagc.mesh.Pipeline pipe = d.strategy().pipeline();
        if (d.workload().phase() != pdagc.sem.Phase.TRAIN || pipe.stages() < 2 || pipe.schedule() == pdagc.mesh.Pipeline.Schedule.GPIPE) return null;
        int m = pipe.microBatches();
        if (d.workload().batch() % m != 0) return null;
        long perMicroBatch = d.workload().batch() / m;
        long[] none = pdagc.dag.Schedules.size(plan.spmd(), 0), one = pdagc.dag.Schedules.size(plan.spmd(), 1);
        long per = one[2] - none[2];
        if (per <= 0) return null;
        int unit = MicroBatchFold.step(pipe), first = MicroBatchFold.smallest(pipe);
        long most = (stageNodeBudget - none[2]) / per;
        // The whole plan of each compiled count within its budget too (data-parallel replicas multiply it).
        long wholePer = one[0] - none[0];
        if (wholePer > 0) most = Math.min(most, (Materialize.MAX_STREAMED_NODES - none[0]) / wholePer);
        long spread = (most - first) / 2 / unit * unit;
        if (spread < unit || first + 2 * spread >= m) return null;
        int[] ms = {first, (int) (first + spread), (int) (first + 2 * spread)};
        Analysis[] at = new Analysis[3];
        MaterializedPlan last = null;
        for (int i = 0; i < 3; i++) {
            pdagc.mesh.Pipeline p = pipe.withMicroBatches(ms[i]);
            pdagc.sem.StrategySpec s = d.strategy();
            pdagc.sem.StrategySpec sm = new pdagc.sem.StrategySpec(s.name(), s.mesh(), s.expertMesh(), s.sequenceParallel(), p, s.stageLayers(),
                    s.axisSpans(), s.spans(), s.meshSpan(), s.span(), s.training());
            WorkloadSpec w = d.workload();
            WorkloadSpec wm = new WorkloadSpec(w.name(), perMicroBatch * ms[i], w.seq(), w.phase(), w.context(), w.dtype(), w.execution(), w.spans(),
                    w.span(), w.serving(), w.expertDtype(), w.vocabularyDtype());
            Deployment dm = new Deployment(d.name(), d.model(), d.cluster(), sm, wm, List.of(), d.program(), d.span());
            // Its own diagnostics: the warnings of partitioning repeat the plan's own; an error is the plan's too.
            Compiler sub = new Compiler(i == 2 && keepIr ? printAfter : Set.of()).withOps(ops).stageNodeBudget(stageNodeBudget);
            Optional<MaterializedPlan> built = sub.partition(dm).flatMap(pm -> sub.materialize(pm, false));
            if (sub.diagnostics().hasErrors()) {
                for (pdagc.diag.Diagnostic x : sub.diagnostics().sorted()) if (x.severity() == pdagc.diag.Severity.ERROR) diagnostics.report(x);
                return Optional.empty();
            }
            if (built.isEmpty() || built.get().fold() != null) return null;
            at[i] = built.get().analysis();
            last = built.get();
            if (i == 2) irText.putAll(sub.irText());
        }
        String[] why = new String[1];
        Analysis figures = MicroBatchFold.extrapolate(d, at, ms, m, why);
        if (figures == null) return null;
        if (requirements) Requirements.check(d, figures, diagnostics);
        return Optional.of(new MaterializedPlan(last.deployment(), last.graph(), last.shardings(), last.spmd(), last.dag(), figures, List.of(),
                new MicroBatchFold(m, List.of(ms[0], ms[1], ms[2]))));
    }

    private List<Loaded> load(Optional<Program> loaded, String only) {
        List<Loaded> plans = new ArrayList<>();
        if (loaded.isEmpty()) return plans;
        Optional<Program> program = ops == pdagc.ir.OpSet.STANDARD ? loaded : loaded.map(p -> p.withOps(ops));
        Elaborator elaborator = new Elaborator(program.get(), diagnostics);
        List<Decl.Deploy> deploys = elaborator.deploys();
        if (only != null) {
            List<Decl.Deploy> named = deploys.stream().filter(d -> d.name().text().equals(only)).toList();
            if (named.isEmpty()) {
                SourceFile f = program.get().root().unit().file();
                diagnostics.add(Diags.deploymentNotFound(new pdagc.source.Span(f, 0, 0), only, deploys.stream().map(d -> d.name().text()).toList()));
                return plans;
            }
            deploys = named;
        }
        // Search declarations are checked as far as `pdagc search` reads them: names, knobs, requirements.
        for (Decl.Search s : elaborator.searches()) {
            if (only == null) elaborator.search(s).ifPresent(searches::add);
        }
        // `check` accepts a file of search declarations only; an output needs a deploy.
        if (deploys.isEmpty() && (elaborator.searches().isEmpty() || needsDeploy)) {
            SourceFile f = program.get().root().unit().file();
            var d = Diags.noDeployment(new pdagc.source.Span(f, 0, Math.min(1, f.text().length())), f.displayName());
            if (!elaborator.searches().isEmpty()) d.note("it declares searches: `pdagc search " + f.displayName() + "` runs them");
            diagnostics.add(d);
        }
        for (Decl.Deploy d : deploys) {
            Optional<Deployment> dep = elaborator.deployment(d);
            if (dep.isEmpty()) continue;
            if (dep.get().workload().isServing()) {
                // A serving workload is compiled step by step: first its prefill (the decode steps once that is materialized).
                keepIr = dep.get().workload().serving().decodeSteps() == 0;
                Optional.of(dep.get().forStep(dep.get().servingPrefill())).map(rewrite).flatMap(this::partition)
                        .ifPresent(p -> plans.add(new Loaded(p, dep.get())));
                keepIr = true;
            } else {
                dep.map(rewrite).flatMap(this::partition).ifPresent(p -> plans.add(new Loaded(p, null)));
            }
        }
        elaborator.checkUnused(deploys);
        return plans;
    }

    private Optional<PartitionedPlan> partition(Deployment d) {
        try {
            return partitionChecked(d);
        } catch (Overflow e) {
            overflow(d, e);
            return Optional.empty();
        }
    }

    private Optional<PartitionedPlan> partitionChecked(Deployment d) {
        Optional<Graph> graph = Lowering.lower(d, diagnostics);
        if (graph.isEmpty()) return Optional.empty();
        keep("lower", () -> IrText.logical(graph.get()));
        MeshContext folded = MeshContext.of(d.strategy().mesh(), d.strategy().expertMesh(), d.strategy().sequenceParallel()).orElseThrow(
                () -> new IllegalStateException("the strategy check accepted an expert mesh that does not fold the mesh"));
        MeshContext mesh = GroupedSplits.refine(graph.get(), folded);
        ShardingPropagation.Result shardings = ShardingPropagation.run(graph.get(), mesh, d.strategy().training().zero());
        keep(ShardingPropagation.NAME, () -> IrText.sharded(ShardingPropagation.NAME, graph.get(), shardings.output(), shardings.required()));
        int[] chunks = PipelineStaging.run(graph.get(), d.strategy().pipeline(), d.model().layers(), d.strategy().stageLayers());
        Optional<SpmdProgram> spmd = InsertCollectives.run(graph.get(), shardings, mesh, d.strategy().pipeline(), chunks, diagnostics);
        if (spmd.isEmpty()) return Optional.empty();
        keep(InsertCollectives.NAME, () -> IrText.spmd(InsertCollectives.NAME, spmd.get()));
        unshardedOptimizerStates(d, spmd.get());
        return Optional.of(new PartitionedPlan(d, graph.get(), shardings, spmd.get()));
    }

    /**
     * W0319 where ZeRO leaves a weight's optimizer step whole: its gradient, reduced over the
     * data-parallel ranks, is all-reduced instead of reduce-scattered, because no dimension of
     * the weight divides evenly over them ({@code ShardingRules.optimizerShard}).
     */
    private void unshardedOptimizerStates(Deployment d, SpmdProgram program) {
        int zero = d.strategy().training().zero();
        if (zero == 0) return;
        List<String> weights = new java.util.ArrayList<>();
        long ranks = 0, extra = 0;
        for (pdagc.spmd.SpmdNode n : program.nodes()) {
            if (!(n.op() instanceof pdagc.ir.Op.Update)) continue;
            pdagc.spmd.SpmdNode in = program.nodes().get(n.inputs().get(0));
            if (!(in.op() instanceof pdagc.ir.Op.Collective c) || c.collective() != pdagc.ir.CollectiveKind.ALL_REDUCE) continue;
            long n1 = program.mesh().size(c.axes());
            weights.add(n.name().replaceFirst("\\.adam$", ""));
            ranks = Math.max(ranks, n1);
            long perElement = pdagc.analysis.Memory.OPTIMIZER_STATE_BYTES + (zero >= 2 ? program.dtype().bytes() : 0);
            extra += n.local().elements() * perElement - n.local().elements() * perElement / n1;
        }
        if (!weights.isEmpty()) {
            diagnostics.add(Diags.zeroCannotShard(d.strategy().spanOf("zero"), zero, weights, ranks, pdagc.units.Units.bytes(extra)));
        }
    }

    private void keep(String pass, java.util.function.Supplier<String> text) {
        if (keepIr && printAfter.contains(pass)) irText.put(pass, text.get());
    }
}
