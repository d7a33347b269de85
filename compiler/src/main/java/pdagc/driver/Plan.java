package pdagc.driver;

import pdagc.analysis.Memory;
import pdagc.dag.PlanDag;
import pdagc.ir.Graph;
import pdagc.partition.ShardingPropagation;
import pdagc.partition.SpmdProgram;
import pdagc.sem.Deployment;

/** Everything the pipeline made for one deployment; {@code dag} is null until materialized. */
public record Plan(
        Deployment deployment,
        Graph graph,
        ShardingPropagation.Result shardings,
        SpmdProgram spmd,
        Memory.PerGpu memory,
        PlanDag dag) {

    public Plan withDag(PlanDag d) {
        return new Plan(deployment, graph, shardings, spmd, memory, d);
    }
}
