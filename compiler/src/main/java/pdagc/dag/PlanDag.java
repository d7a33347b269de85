package pdagc.dag;

import java.util.List;
import pdagc.mesh.Mesh;
import pdagc.sem.DType;

/**
 * The per-GPU operator DAG of one deployment: every GPU's nodes in schedule order (GPU by GPU), and
 * the edges between them, within a GPU and from a collective's peers. {@code roles} groups the GPUs
 * that run the same program (same ops, same local shapes), which views use to collapse the plan.
 * {@code schedules} is the closed form the nodes and edges are computed from, when the plan was
 * materialized from an SPMD program; null for a plan given node by node (tests build such plans).
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
        List<Role> roles,
        Schedules schedules) {

    /** A plan given node by node, without a closed form. */
    public PlanDag(String deployment, String source, Mesh mesh, int gpusPerNode, DType dtype, List<GpuInfo> gpus, List<DagNode> nodes,
            List<DagEdge> edges, List<Role> roles) {
        this(deployment, source, mesh, gpusPerNode, dtype, gpus, nodes, edges, roles, null);
    }

    /** Plans up to this many nodes are held as objects once materialized; larger ones stay computed on demand. */
    public static final int SNAPSHOT_NODES = 2_000_000;

    /**
     * The same plan with its nodes and edges held in memory, for passes that read them many times;
     * the plan itself when it is larger than {@link #SNAPSHOT_NODES}.
     */
    public PlanDag snapshot() {
        if (nodes instanceof java.util.ArrayList || nodes.size() > SNAPSHOT_NODES) return this;
        return new PlanDag(deployment, source, mesh, gpusPerNode, dtype, gpus, new java.util.ArrayList<>(nodes), new java.util.ArrayList<>(edges), roles,
                schedules);
    }

    /** A node's id without building the node, where the node list can tell it. */
    public String nodeId(int index) {
        return nodes instanceof NodeIds ids ? ids.id(index) : nodes.get(index).id();
    }

    /**
     * The indices of the edges into node {@code node}, or null when the plan has no closed form
     * (then only a scan of all edges finds them).
     */
    public int[] edgesInto(int node) {
        if (schedules == null) return null;
        int r = schedules.rankOfNode(node);
        int s = schedules.stageOf(r);
        int k = (int) (node - schedules.firstNode(r));
        long first = schedules.firstEdgeOfRank(r) + schedules.firstEdge(s, k);
        int[] out = new int[schedules.inDegree(s, k)];
        for (int j = 0; j < out.length; j++) out[j] = (int) (first + j);
        return out;
    }

    /** The GPU of node {@code node}, without building the node where the plan has a closed form. */
    public int nodeGpu(int node) {
        return schedules != null ? schedules.rankOfNode(node) : nodes.get(node).gpu();
    }

    /** Node lists that compute their nodes on demand can give an id more cheaply than a node. */
    public interface NodeIds {
        String id(int index);
    }

    /** GPUs that run one program, with how many there are. */
    public record Role(int id, List<Integer> gpus) {
        public int multiplicity() {
            return gpus.size();
        }
    }
}
