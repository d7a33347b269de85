package pdagc.dag;

import java.util.List;
import pdagc.mesh.Mesh;
import pdagc.sem.DType;

/**
 * The per-GPU operator DAG of one deployment: every GPU's nodes in schedule order (GPU by GPU), and
 * the edges between them, within a GPU and from a collective's peers. {@code roles} groups the GPUs
 * that run the same program (same ops, same local shapes), which views use to collapse the plan.
 */
public record PlanDag(
        String deployment,
        String source,
        Mesh mesh,
        int gpusPerNode,
        DType dtype,
        List<GpuInfo> gpus,
        List<DagNode> nodes,
        List<DagEdge> edges,
        List<Role> roles) {

    /** GPUs that run one program, with how many there are. */
    public record Role(int id, List<Integer> gpus) {
        public int multiplicity() {
            return gpus.size();
        }
    }
}
