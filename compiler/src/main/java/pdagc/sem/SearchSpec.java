package pdagc.sem;

import java.util.List;
import java.util.Map;
import pdagc.mesh.Pipeline;
import pdagc.source.Span;

/**
 * What {@code pdagc search} may try: a model on a cluster for a workload, with requirements, and
 * the choices of each knob. An absent choice (null) is every value the search supports.
 *
 * @param axes for each mesh axis (dp, tp, pp, cp, ep) and expert-mesh axis (edp, ep, etp), the sizes it may take; absent: any divisor
 * @param batches the batch sizes (sequences per step; for serving, the requests served together); absent: the workload's
 * @param sequenceParallel the choices of sequence parallelism
 * @param microBatch the micro-batch sizes (sequences per micro-batch of one data-parallel replica)
 * @param schedules the pipeline schedules
 * @param virtualStages the virtual stages of the interleaved schedule
 * @param zero the ZeRO stages (training)
 * @param recompute the recomputations (training)
 * @param expertMesh for a model with experts, whether they fold apart from the mesh ({@code expert_mesh [edp, ep, etp]}); absent: both
 * @param tpInNode whether tensor-parallel groups must stay inside a node
 * @param objective what is ranked: step_time, throughput, ttft, tpot or memory
 * @param top how many candidates the table shows
 */
public record SearchSpec(
        String name,
        ModelSpec model,
        ClusterSpec cluster,
        WorkloadSpec workload,
        List<Requirement> requirements,
        Map<String, List<Integer>> axes,
        List<Long> batches,
        List<Boolean> sequenceParallel,
        List<Integer> microBatch,
        List<Pipeline.Schedule> schedules,
        List<Integer> virtualStages,
        List<Integer> zero,
        List<Training.Recompute> recompute,
        List<Boolean> expertMesh,
        boolean tpInNode,
        String objective,
        int top,
        pdagc.program.Program program,
        Span span) {

    /** The objectives, each ranked best first: lower step time, TTFT, TPOT and memory, higher throughput. */
    public static final List<String> OBJECTIVES = List.of("step_time", "throughput", "ttft", "tpot", "memory");
}
