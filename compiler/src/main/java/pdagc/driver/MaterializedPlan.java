package pdagc.driver;

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
 * field is set.
 */
public record MaterializedPlan(
        Deployment deployment,
        Graph graph,
        ShardingPropagation.Result shardings,
        SpmdProgram spmd,
        PlanDag dag,
        Analysis analysis) {

    public MaterializedPlan {
        Objects.requireNonNull(dag, "dag");
        Objects.requireNonNull(analysis, "analysis");
    }

    /** Runs this plan against the unpartitioned model with the given seed (see {@link Verify}). */
    public Verify.Report verify(long seed) {
        return Verify.run(graph, spmd, dag.snapshot(), seed, deployment.workload().phase() == Phase.DECODE, (int) deployment.workload().context(),
                java.util.Map.of());
    }
}
