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

    /**
     * The sequences a step's batch is split into: the batch axes of the mesh (dp, ep, edp) times the
     * micro-batches. A step's batch is a multiple of it.
     */
    public long batchWays() {
        return (long) strategy.mesh().size(pdagc.mesh.MeshAxes.BATCH) * strategy.pipeline().microBatches();
    }

    /**
     * A serving workload's prefill step: its fixed batch's, or at a request rate, one request per
     * split of the batch ({@link #batchWays}).
     */
    public WorkloadSpec servingPrefill() {
        return workload.atRate() ? workload.prefillStep(batchWays()) : workload.prefillStep();
    }

    /** A serving workload's decode step at {@code context}: its fixed batch's, or at a request rate, one request per split of the batch. */
    public WorkloadSpec servingDecode(long context) {
        return workload.decodeStep(context, workload.atRate() ? batchWays() : workload.batch());
    }

    /** This deployment for another workload, without requirements: one step of a serving workload. */
    public Deployment forStep(WorkloadSpec step) {
        return new Deployment(name, model, cluster, strategy, step, List.of(), program, span);
    }
}
