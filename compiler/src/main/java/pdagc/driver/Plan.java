package pdagc.driver;

import pdagc.analysis.Analysis;
import pdagc.dag.PlanDag;
import pdagc.ir.Graph;
import pdagc.partition.ShardingPropagation;
import pdagc.partition.SpmdProgram;
import pdagc.sem.Deployment;
import pdagc.sem.Phase;
import pdagc.verify.Verify;

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

    /** Runs this materialized plan against the unpartitioned model with the given seed (see {@link Verify}). */
    public Verify.Report verify(long seed) {
        return Verify.run(graph, spmd, dag.snapshot(), seed, deployment.workload().phase() == Phase.DECODE, (int) deployment.workload().context(),
                java.util.Map.of());
    }
}
