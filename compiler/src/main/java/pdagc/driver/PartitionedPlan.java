package pdagc.driver;

import pdagc.analysis.Analysis;
import pdagc.dag.PlanDag;
import pdagc.ir.Graph;
import pdagc.partition.ShardingPropagation;
import pdagc.sem.Deployment;
import pdagc.spmd.SpmdProgram;

/**
 * What the pipeline made for one deployment up to partitioning: the logical IR, a sharding for
 * every value and the SPMD program every rank runs. {@link Compiler} materializes it into a
 * {@link MaterializedPlan}.
 */
public record PartitionedPlan(Deployment deployment, Graph graph, ShardingPropagation.Result shardings, SpmdProgram spmd) {

    /** This plan with its per-GPU DAG, validated, and the DAG's analysis. */
    MaterializedPlan materialized(PlanDag dag, Analysis analysis) {
        return new MaterializedPlan(deployment, graph, shardings, spmd, dag, analysis);
    }
}
