package pdagc.driver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import pdagc.analysis.Memory;
import pdagc.ast.Decl;
import pdagc.dag.Materialize;
import pdagc.dag.PlanDag;
import pdagc.diag.Code;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diagnostics;
import pdagc.front.Elaborator;
import pdagc.front.Loader;
import pdagc.front.Program;
import pdagc.ir.Graph;
import pdagc.lower.Lowering;
import pdagc.partition.InsertCollectives;
import pdagc.partition.IrText;
import pdagc.partition.MeshContext;
import pdagc.partition.PipelineStaging;
import pdagc.partition.ShardingPropagation;
import pdagc.partition.SpmdProgram;
import pdagc.sem.Deployment;
import pdagc.sem.Requirement;
import pdagc.sem.Units;
import pdagc.source.SourceFile;
import pdagc.validate.Validate;

/**
 * The pipeline, pass by pass: load, elaborate, lower, sharding-propagation, insert-collectives,
 * requirements, then (for backends) materialize and validate. Each pass reports into one
 * {@link Diagnostics}; the text form of the IR after any pass can be kept for printing.
 */
public final class Compiler {
    /** The passes whose IR can be printed, in order. */
    public static final List<String> PASSES = List.of("lower", ShardingPropagation.NAME, InsertCollectives.NAME);

    private final Diagnostics diagnostics = new Diagnostics();
    private final Set<String> printAfter;
    private final Map<String, String> irText = new LinkedHashMap<>();
    private java.util.function.UnaryOperator<Deployment> rewrite = java.util.function.UnaryOperator.identity();

    public Compiler(Set<String> printAfter) {
        this.printAfter = printAfter;
    }

    /** Rewrites each deployment after checking and before lowering (verify shrinks it). */
    public Compiler rewriting(java.util.function.UnaryOperator<Deployment> r) {
        this.rewrite = r;
        return this;
    }

    public Diagnostics diagnostics() {
        return diagnostics;
    }

    /** IR text by pass name, for the passes asked for. */
    public Map<String, String> irText() {
        return irText;
    }

    /** Checks every deploy of a file through partitioning; returns their plans (without DAGs). */
    public List<Plan> check(Path file, String display) {
        return load(new Loader(diagnostics).loadRoot(file, display), null);
    }

    public List<Plan> check(SourceFile file) {
        return load(new Loader(diagnostics).loadRoot(file), null);
    }

    /** Compiles one deploy (by name, or the only one) through materialization and validation. */
    public Optional<Plan> compile(Path file, String display, String deploy) {
        List<Plan> plans = load(new Loader(diagnostics).loadRoot(file, display), deploy);
        if (plans.size() != 1 || diagnostics.hasErrors()) return Optional.empty();
        return materialize(plans.get(0));
    }

    public Optional<Plan> materialize(Plan plan) {
        Deployment d = plan.deployment();
        PlanDag dag = Materialize.run(d.name(), d.span().file().displayName(), plan.spmd(), d.cluster().perNode());
        List<String> problems = Validate.run(dag);
        for (String p : problems) {
            diagnostics.add(Diagnostic.of(Code.E0901, d.span(), p).label("in the plan of this deployment")
                    .note("this is a bug in pdagc; please report it with this file"));
        }
        return problems.isEmpty() ? Optional.of(plan.withDag(dag)) : Optional.empty();
    }

    private List<Plan> load(Optional<Program> program, String only) {
        List<Plan> plans = new ArrayList<>();
        if (program.isEmpty()) return plans;
        Elaborator elaborator = new Elaborator(program.get(), diagnostics);
        List<Decl.Deploy> deploys = elaborator.deploys();
        if (only != null) {
            List<Decl.Deploy> named = deploys.stream().filter(d -> d.name().text().equals(only)).toList();
            if (named.isEmpty()) {
                SourceFile f = program.get().root().unit().file();
                diagnostics.add(Diagnostic.of(Code.E0308, new pdagc.source.Span(f, 0, 0), only,
                        deploys.isEmpty() ? "(none)" : String.join(", ", deploys.stream().map(d -> d.name().text()).toList())));
                return plans;
            }
            deploys = named;
        }
        if (deploys.isEmpty()) {
            SourceFile f = program.get().root().unit().file();
            diagnostics.add(Diagnostic.of(Code.E0301, new pdagc.source.Span(f, 0, Math.min(1, f.text().length())), f.displayName())
                    .label("no `deploy` here")
                    .help("add `deploy NAME = MODEL on CLUSTER with STRATEGY for WORKLOAD`"));
        }
        for (Decl.Deploy d : deploys) {
            elaborator.deployment(d).map(rewrite).flatMap(this::partition).ifPresent(plans::add);
        }
        elaborator.checkUnused(deploys);
        return plans;
    }

    private Optional<Plan> partition(Deployment d) {
        Optional<Graph> graph = Lowering.lower(d, diagnostics);
        if (graph.isEmpty()) return Optional.empty();
        keep("lower", () -> IrText.logical(graph.get()));
        MeshContext mesh = MeshContext.of(d.strategy().mesh(), d.strategy().expertMesh(), d.strategy().sequenceParallel()).orElseThrow(
                () -> new IllegalStateException("the strategy check accepted an expert mesh that does not fold the mesh"));
        ShardingPropagation.Result shardings = ShardingPropagation.run(graph.get(), mesh);
        keep(ShardingPropagation.NAME, () -> IrText.sharded(graph.get(), shardings));
        int[] chunks = PipelineStaging.run(graph.get(), d.strategy().pipeline(), d.model().layers(), d.strategy().stageLayers());
        Optional<SpmdProgram> spmd = InsertCollectives.run(graph.get(), shardings, mesh, d.strategy().pipeline(), chunks, diagnostics);
        if (spmd.isEmpty()) return Optional.empty();
        keep(InsertCollectives.NAME, () -> IrText.spmd(spmd.get()));
        Memory.PerGpu memory = Memory.perGpu(spmd.get(), d.workload());
        requirements(d, memory);
        return Optional.of(new Plan(d, graph.get(), shardings, spmd.get(), memory, null));
    }

    private void requirements(Deployment d, Memory.PerGpu memory) {
        double capacity = d.cluster().gpu().memoryBytes();
        if (memory.total() > capacity) {
            diagnostics.add(Diagnostic.of(Code.E0503, d.span(), "0 (and every other)", Units.bytes(memory.total()), Units.bytes(capacity))
                    .label("does not fit")
                    .note("weights " + Units.bytes(memory.weightBytes()) + " + KV cache " + Units.bytes(memory.kvCacheBytes()))
                    .help("split the model over more GPUs (tp, ep or pp) or use GPUs with more memory"));
        }
        for (Requirement r : d.requirements()) {
            if (r.metric().equals("memory")) {
                if (!r.holds(memory.total())) {
                    diagnostics.add(Diagnostic.of(Code.E0501, r.span(), "memory per GPU is " + Units.bytes(memory.total()) + ", limit " + r.comparison() + " " + r.limitText())
                            .label("violated").note("weights " + Units.bytes(memory.weightBytes()) + " + KV cache " + Units.bytes(memory.kvCacheBytes())));
                }
            } else {
                diagnostics.add(Diagnostic.of(Code.W0504, r.span(), r.metric(), "time estimates come with the analysis pass")
                        .label("not checked"));
            }
        }
    }

    private void keep(String pass, java.util.function.Supplier<String> text) {
        if (printAfter.contains(pass)) irText.put(pass, text.get());
    }
}
