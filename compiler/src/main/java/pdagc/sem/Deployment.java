package pdagc.sem;

import java.util.List;
import pdagc.program.Program;
import pdagc.source.Span;

/** A checked deployment: a model on a cluster with a strategy for a workload. */
public record Deployment(
        String name,
        ModelSpec model,
        ClusterSpec cluster,
        StrategySpec strategy,
        WorkloadSpec workload,
        List<Requirement> requirements,
        Program program,
        Span span) {

    /** This deployment for another workload, without requirements: one step of a serving workload. */
    public Deployment forStep(WorkloadSpec step) {
        return new Deployment(name, model, cluster, strategy, step, List.of(), program, span);
    }
}
