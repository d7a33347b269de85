package pdagc.driver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import pdagc.analysis.Analysis;
import pdagc.analysis.Requirements;
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

    public Diagnostics diagnostics() {
        return diagnostics;
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

    private List<MaterializedPlan> materializeAll(List<PartitionedPlan> plans) {
        List<MaterializedPlan> out = new ArrayList<>();
        for (PartitionedPlan p : plans) materialize(p).ifPresent(out::add);
        return out;
    }

    /** Compiles one deploy (by name, or the only one) through materialization and validation. */
    public Optional<MaterializedPlan> compile(Path file, String display, String deploy) {
        List<PartitionedPlan> plans = Timings.time("front end + partition", () -> load(new Loader(diagnostics).loadRoot(file, display), deploy));
        if (plans.size() > 1 && !diagnostics.hasErrors()) {
            List<String> names = plans.stream().map(p -> p.deployment().name()).toList();
            diagnostics.add(Diags.severalDeploys(plans.get(1).deployment().span(), display, names));
        }
        if (plans.size() != 1 || diagnostics.hasErrors()) return Optional.empty();
        Optional<MaterializedPlan> built = materialize(plans.get(0));
        return diagnostics.hasErrors() ? Optional.empty() : built;
    }

    /**
     * Materializes, validates and analyzes a plan, and checks its requirements (a violated one is an
     * error in the diagnostics; the plan is still returned).
     */
    private Optional<MaterializedPlan> materialize(PartitionedPlan plan) {
        try {
            return materializeChecked(plan);
        } catch (Overflow e) {
            overflow(plan.deployment(), e);
            return Optional.empty();
        }
    }

    /**
     * Reports a count that does not fit in 64 bits, anywhere in lowering, partitioning or analysis,
     * at the deploy whose sizes made it.
     */
    private void overflow(Deployment d, Overflow e) {
        diagnostics.add(Diags.deploymentSizesOverflow(d.span(), e.what()));
    }

    private Optional<MaterializedPlan> materializeChecked(PartitionedPlan plan) {
        Deployment d = plan.deployment();
        PlanDag dag;
        try {
            dag = Timings.time("materialize",
                    () -> Materialize.run(d.name(), d.span().file().displayName(), plan.spmd(), d.cluster().perNode()));
        } catch (Materialize.PlanTooLarge e) {
            diagnostics.add(Diags.dagTooLarge(d.span(), e.nodes(), e.edges()));
            return Optional.empty();
        } catch (Materialize.StagesTooLarge e) {
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
        Requirements.check(d, analysis, diagnostics);
        return Optional.of(plan.materialized(dag, analysis));
    }

    private List<PartitionedPlan> load(Optional<Program> loaded, String only) {
        List<PartitionedPlan> plans = new ArrayList<>();
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
        if (deploys.isEmpty()) {
            SourceFile f = program.get().root().unit().file();
            diagnostics.add(Diags.noDeployment(new pdagc.source.Span(f, 0, Math.min(1, f.text().length())), f.displayName()));
        }
        for (Decl.Deploy d : deploys) {
            elaborator.deployment(d).map(rewrite).flatMap(this::partition).ifPresent(plans::add);
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
        ShardingPropagation.Result shardings = ShardingPropagation.run(graph.get(), mesh);
        keep(ShardingPropagation.NAME, () -> IrText.sharded(ShardingPropagation.NAME, graph.get(), shardings.output(), shardings.required()));
        int[] chunks = PipelineStaging.run(graph.get(), d.strategy().pipeline(), d.model().layers(), d.strategy().stageLayers());
        Optional<SpmdProgram> spmd = InsertCollectives.run(graph.get(), shardings, mesh, d.strategy().pipeline(), chunks, diagnostics);
        if (spmd.isEmpty()) return Optional.empty();
        keep(InsertCollectives.NAME, () -> IrText.spmd(InsertCollectives.NAME, spmd.get()));
        return Optional.of(new PartitionedPlan(d, graph.get(), shardings, spmd.get()));
    }

    private void keep(String pass, java.util.function.Supplier<String> text) {
        if (printAfter.contains(pass)) irText.put(pass, text.get());
    }
}
