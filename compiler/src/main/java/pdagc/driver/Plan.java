package pdagc.driver;

import pdagc.analysis.Analysis;
import pdagc.dag.PlanDag;
import pdagc.ir.Graph;
import pdagc.partition.ShardingPropagation;
import pdagc.partition.SpmdProgram;
import pdagc.sem.Deployment;

/**
 * Everything the pipeline made for one deployment; {@code dag} and {@code analysis} are null until
 * materialized.
 */
public record Plan(
        Deployment deployment,
        Graph graph,
        ShardingPropagation.Result shardings,
        SpmdProgram spmd,
        PlanDag dag,
        Analysis analysis) {

    public Plan withDag(PlanDag d, Analysis a) {
        return new Plan(deployment, graph, shardings, spmd, d, a);
    }
}
