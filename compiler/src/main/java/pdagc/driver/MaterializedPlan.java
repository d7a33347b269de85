package pdagc.driver;

import java.util.List;
import java.util.Objects;
import pdagc.analysis.Analysis;
import pdagc.dag.PlanDag;
import pdagc.ir.Graph;
import pdagc.partition.ShardingPropagation;
import pdagc.sem.Deployment;
import pdagc.sem.Phase;
import pdagc.spmd.SpmdProgram;
import pdagc.verify.Verify;

/**
 * Everything the pipeline made for one deployment: what partitioning made ({@link PartitionedPlan}),
 * the per-GPU DAG, validated, and its analysis. What {@link Compiler} gives its callers; every
 * field is set. For a serving workload this is its last decode step's plan (the prefill's with one
 * output token), its deployment that step's, its analysis carrying the serving figures
 * ({@link Analysis#serving()}), and {@code servingSteps} the plans of its steps: the prefill and the
 * last decode step (the decode steps differ only in the context). Empty otherwise.
 */
public record MaterializedPlan(
        Deployment deployment,
        Graph graph,
        ShardingPropagation.Result shardings,
        SpmdProgram spmd,
        PlanDag dag,
        Analysis analysis,
        List<MaterializedPlan> servingSteps,
        pdagc.analysis.MicroBatchFold fold) {

    public MaterializedPlan {
        Objects.requireNonNull(dag, "dag");
        Objects.requireNonNull(analysis, "analysis");
        servingSteps = List.copyOf(servingSteps);
    }

    /**
     * A plan, or a serving workload's. {@code fold}, where not null: a training step over the node
     * budget whose analysis is read off plans of fewer micro-batches ({@link pdagc.analysis.MicroBatchFold});
     * the deployment, program and DAG are then those of the largest of them.
     */
    public MaterializedPlan(Deployment deployment, Graph graph, ShardingPropagation.Result shardings, SpmdProgram spmd, PlanDag dag, Analysis analysis,
            List<MaterializedPlan> servingSteps) {
        this(deployment, graph, shardings, spmd, dag, analysis, servingSteps, null);
    }

    /** The plan of a deployment of one step. */
    public MaterializedPlan(Deployment deployment, Graph graph, ShardingPropagation.Result shardings, SpmdProgram spmd, PlanDag dag, Analysis analysis) {
        this(deployment, graph, shardings, spmd, dag, analysis, List.of());
    }

    /** The plans that run: this one, or a serving workload's steps. */
    public List<MaterializedPlan> steps() {
        return servingSteps.isEmpty() ? List.of(this) : servingSteps;
    }

    /** Runs this plan against the unpartitioned model with the given seed (see {@link Verify}). */
    public Verify.Report verify(long seed) {
        return Verify.run(graph, spmd, dag.snapshot(), seed, deployment.workload().phase() == Phase.DECODE, (int) deployment.workload().context(),
                java.util.Map.of());
    }

    /**
     * The tokens of the plan's step: a training step's global batch times its sequence, a serving
     * step's own count. A training step analysed from plans of fewer micro-batches ({@link #fold()})
     * has the largest of those plans' deployment, and the step of all its micro-batches: its tokens
     * scale from that plan's to the step's.
     */
    public double stepTokens() {
        var w = deployment().workload();
        if (w.phase() != pdagc.sem.Phase.TRAIN) return analysis().step().tokens();
        double tokens = (double) w.batch() * w.seq();
        return fold() == null ? tokens : tokens / fold().compiledAt().get(2) * fold().microBatches();
    }
}
