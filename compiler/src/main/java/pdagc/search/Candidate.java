package pdagc.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.sem.Deployment;
import pdagc.sem.SearchSpec;
import pdagc.sem.StrategySpec;
import pdagc.sem.Training;
import pdagc.sem.WorkloadSpec;

/**
 * One point of the search space: the mesh (its axes of size above 1, in order, last fastest), the
 * expert mesh of a model with experts when its experts fold the stage's GPUs apart from the mesh
 * ({@code [edp, ep, etp]}, else null), sequence parallelism, the micro-batch size and count, the pipeline schedule and virtual stages,
 * and the training options. {@code index} is its place in the enumeration, the last tie-break.
 */
public record Candidate(long index, Mesh mesh, Mesh expertMesh, boolean sp, int microBatch, int microBatches, Pipeline.Schedule schedule, int virtualStages, int zero,
        Training.Recompute recompute, long batch) {

    /** A strategy written by hand as a candidate (index -1), for the search to place it in its ranking. */
    public static Candidate of(StrategySpec st, SearchSpec s) {
        long ways = (long) st.mesh().size(MeshAxes.DP) * st.mesh().size(MeshAxes.EP);
        int m = st.pipeline().microBatches();
        // At a request rate a candidate's batch is one request per split, as the search's own (Space).
        long batch = s.workload().atRate() ? ways * m : s.workload().batch();
        int b = (int) Math.max(1, batch / Math.max(1, ways) / m);
        return new Candidate(-1, st.mesh(), st.expertMesh(), st.sequenceParallel(), b, m, st.pipeline().schedule(), st.pipeline().virtualStages(), st.training().zero(),
                st.training().recompute(), batch);
    }

    public int size(String axis) {
        return mesh.size(axis);
    }

    public Pipeline pipeline() {
        return new Pipeline(mesh.size(MeshAxes.PP), virtualStages, microBatches, schedule);
    }

    /** The strategy as pdagc reads it (spans at the search declaration). */
    public StrategySpec strategy(String name, SearchSpec s) {
        return new StrategySpec(name, mesh, expertMesh, sp, pipeline(), null, Map.of(), Map.of(), s.span(), s.span(), new Training(zero, recompute));
    }

    public Deployment deployment(String name, SearchSpec s) {
        return new Deployment(name, s.model(), s.cluster(), strategy(name, s), workload(s), s.requirements(), s.program(), s.span());
    }

    /** The search's workload with this candidate's batch. */
    public WorkloadSpec workload(SearchSpec s) {
        WorkloadSpec w = s.workload();
        if (w.batch() == batch) return w;
        return new WorkloadSpec(w.name(), batch, w.seq(), w.phase(), w.context(), w.dtype(), w.execution(), w.spans(), w.span(), w.serving(),
                w.expertDtype(), w.vocabularyDtype());
    }

    /** The strategy's body as written in a {@code .pdag} file: {@code mesh [dp 2, tp 4]  micro_batches 8 ...}. */
    public String text(boolean training) {
        List<String> parts = new ArrayList<>();
        parts.add("mesh " + meshText());
        if (expertMesh != null) parts.add("expert_mesh " + expertMeshText());
        if (sp) parts.add("sequence_parallel true");
        if (microBatches > 1) parts.add("micro_batches " + microBatches);
        if (mesh.size(MeshAxes.PP) > 1 && schedule != Pipeline.Schedule.GPIPE) parts.add("schedule " + schedule.keyword());
        if (virtualStages > 1) parts.add("virtual_stages " + virtualStages);
        if (training && zero > 0) parts.add("zero " + zero);
        if (training && recompute != Training.Recompute.NONE) parts.add("recompute " + recompute.keyword());
        return String.join("  ", parts);
    }

    /** The mesh as written: {@code [pp 2, dp 4, tp 8]}; {@code [dp 1]} for one GPU. */
    public String meshText() {
        return text(mesh);
    }

    /** The expert mesh as written, {@code [edp 2, ep 4, etp 2]} (null without one). */
    public String expertMeshText() {
        return expertMesh == null ? null : text(expertMesh);
    }

    private static String text(Mesh mesh) {
        if (mesh.axes().isEmpty()) return "[dp 1]";
        List<String> axes = new ArrayList<>();
        for (Mesh.Axis a : mesh.axes()) axes.add(a.name() + " " + a.size());
        return "[" + String.join(", ", axes) + "]";
    }

    /** An axis's size in the experts' fold: the expert mesh's where it has one, else as {@link StrategySpec#size}. */
    public int expertSize(String axis) {
        if (expertMesh != null) return expertMesh.has(axis) ? expertMesh.size(axis) : 1;
        if (axis.equals(MeshAxes.ETP)) return mesh.size(MeshAxes.TP);
        if (axis.equals(MeshAxes.EDP)) return mesh.size(MeshAxes.DP) * mesh.size(MeshAxes.CP);
        return mesh.size(axis);
    }
}
