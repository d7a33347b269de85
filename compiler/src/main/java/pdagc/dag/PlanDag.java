package pdagc.dag;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import pdagc.ir.DType;
import pdagc.ir.Precision;
import pdagc.mesh.Mesh;

/**
 * The per-GPU operator DAG of one deployment: every GPU's nodes in schedule order (GPU by GPU), and
 * the edges between them, within a GPU and from a collective's peers. {@code roles} groups the GPUs
 * that run the same program (same ops, same local shapes), which views use to collapse the plan.
 *
 * <p>Two forms: {@link ClosedForm}, what materialization makes, whose nodes and edges are computed
 * on demand from the per-stage schedules ({@link Schedules}); and {@link Listed}, a plan given node
 * by node with its nodes and edges held in lists (tests build such plans; {@link #snapshot} makes
 * one from a closed form for passes that read every node many times).
 */
public sealed interface PlanDag {
    String deployment();

    String source();

    Mesh mesh();

    int gpusPerNode();

    DType dtype();

    /** The element types of the plan's parts: {@link #dtype()}, and the experts'. */
    Precision precision();

    List<GpuInfo> gpus();

    List<DagNode> nodes();

    List<DagEdge> edges();

    List<Role> roles();

    /** Plans up to this many nodes are held as objects by {@link #snapshot}; larger ones stay computed on demand. */
    int SNAPSHOT_NODES = 2_000_000;

    /**
     * The same plan with its nodes and edges held in memory, for passes that read them many times;
     * the plan itself when it already is, or when it is larger than {@link #SNAPSHOT_NODES}.
     */
    PlanDag snapshot();

    /** A node's id, without building the node where the plan can tell it. */
    String nodeId(int index);

    /** The GPU of node {@code node}, without building the node where the plan can tell it. */
    int nodeGpu(int node);

    /** GPUs that run one program, with how many there are. */
    record Role(int id, List<Integer> gpus) {
        public int multiplicity() {
            return gpus.size();
        }
    }

    /** A plan given node by node: its nodes and edges held in lists. */
    record Listed(
            String deployment,
            String source,
            Mesh mesh,
            int gpusPerNode,
            DType dtype,
            List<GpuInfo> gpus,
            List<DagNode> nodes,
            List<DagEdge> edges,
            List<Role> roles,
            Precision precision) implements PlanDag {

        public Listed {
            if (precision == null) precision = Precision.uniform(dtype);
            if (precision.dtype() != dtype) throw new IllegalArgumentException("precision " + precision.text() + " for a plan in " + dtype.keyword());
        }

        /** A plan whose every part is in {@code dtype}. */
        public Listed(String deployment, String source, Mesh mesh, int gpusPerNode, DType dtype, List<GpuInfo> gpus, List<DagNode> nodes,
                List<DagEdge> edges, List<Role> roles) {
            this(deployment, source, mesh, gpusPerNode, dtype, gpus, nodes, edges, roles, null);
        }

        @Override
        public PlanDag snapshot() {
            return this;
        }

        @Override
        public String nodeId(int index) {
            return nodes.get(index).id();
        }

        @Override
        public int nodeGpu(int node) {
            return nodes.get(node).gpu();
        }
    }

    /**
     * A plan in closed form: nothing is stored per GPU, node or edge. Ranks of one stage share one
     * schedule, and node {@code i} or edge {@code e} is computed from the schedules when asked for,
     * so memory grows with the program, not with the GPUs, and backends stream the plan. GPUs of
     * one pp stage run one program and form one role.
     */
    final class ClosedForm implements PlanDag {
        private final String deployment;
        private final String source;
        private final int gpusPerNode;
        private final Precision precision;
        private final Schedules schedules;
        private final List<GpuInfo> gpus;
        private final List<Role> roles;
        private final List<DagNode> nodes;
        private final List<DagEdge> edges;

        ClosedForm(String deployment, String source, int gpusPerNode, Precision precision, Schedules schedules) {
            this.deployment = deployment;
            this.source = source;
            this.gpusPerNode = gpusPerNode;
            this.precision = precision;
            this.schedules = schedules;
            Mesh mesh = schedules.mesh();
            this.gpus = new AbstractList<>() {
                @Override
                public GpuInfo get(int r) {
                    List<Integer> coords = new ArrayList<>();
                    for (int c : mesh.coords(r)) coords.add(c);
                    return new GpuInfo(r, List.copyOf(coords), r / gpusPerNode);
                }

                @Override
                public int size() {
                    return mesh.size();
                }
            };
            List<Role> roles = new ArrayList<>();
            for (int s = 0; s < schedules.stages(); s++) {
                final int stage = s;
                List<Integer> members = new AbstractList<>() {
                    @Override
                    public Integer get(int i) {
                        return schedules.rankOfStage(stage, i);
                    }

                    @Override
                    public int size() {
                        return schedules.ranksPerStage();
                    }
                };
                roles.add(new Role(s, members));
            }
            this.roles = List.copyOf(roles);
            this.nodes = new AbstractList<>() {
                @Override
                public DagNode get(int i) {
                    int r = schedules.rankOfNode(i);
                    return schedules.node(i, r, schedules.stageOf(r), (int) (i - schedules.firstNode(r)));
                }

                @Override
                public int size() {
                    return (int) schedules.nodeCount();
                }
            };
            this.edges = new AbstractList<>() {
                @Override
                public DagEdge get(int e) {
                    int r = schedules.rankOfEdge(e);
                    long local = e - schedules.firstEdgeOfRank(r);
                    int s = schedules.stageOf(r);
                    int lo = 0;
                    int hi = schedules.length(s) - 1;
                    while (lo < hi) {   // the last position whose first edge is <= local
                        int mid = (lo + hi + 1) >>> 1;
                        if (schedules.firstEdge(s, mid) <= local) lo = mid;
                        else hi = mid - 1;
                    }
                    InEdges in = new InEdges(schedules).into(r, s, lo).skip((int) (local - schedules.firstEdge(s, lo)));
                    in.next();
                    int fromIndex = (int) (schedules.firstNode(in.fromRank()) + in.fromPosition());
                    return new DagEdge(fromIndex, (int) (schedules.firstNode(r) + lo), in.kind());
                }

                @Override
                public int size() {
                    return (int) schedules.edgeCount();
                }
            };
        }

        /** The per-stage schedules the nodes and edges are computed from. */
        public Schedules schedules() {
            return schedules;
        }

        @Override
        public String deployment() {
            return deployment;
        }

        @Override
        public String source() {
            return source;
        }

        @Override
        public Mesh mesh() {
            return schedules.mesh();
        }

        @Override
        public int gpusPerNode() {
            return gpusPerNode;
        }

        @Override
        public DType dtype() {
            return precision.dtype();
        }

        @Override
        public Precision precision() {
            return precision;
        }

        @Override
        public List<GpuInfo> gpus() {
            return gpus;
        }

        @Override
        public List<DagNode> nodes() {
            return nodes;
        }

        @Override
        public List<DagEdge> edges() {
            return edges;
        }

        @Override
        public List<Role> roles() {
            return roles;
        }

        @Override
        public PlanDag snapshot() {
            if (nodes.size() > SNAPSHOT_NODES) return this;
            return new Listed(deployment, source, mesh(), gpusPerNode, dtype(), gpus, new ArrayList<>(nodes), new ArrayList<>(edges), roles, precision);
        }

        @Override
        public String nodeId(int index) {
            int r = schedules.rankOfNode(index);
            return r + ":" + schedules.localName(schedules.stageOf(r), (int) (index - schedules.firstNode(r)));
        }

        @Override
        public int nodeGpu(int node) {
            return schedules.rankOfNode(node);
        }

        /** The indices of the edges into node {@code node}, in the plan's edge order. */
        public int[] edgesInto(int node) {
            int r = schedules.rankOfNode(node);
            int s = schedules.stageOf(r);
            int k = (int) (node - schedules.firstNode(r));
            long first = schedules.firstEdgeOfRank(r) + schedules.firstEdge(s, k);
            int[] out = new int[schedules.inDegree(s, k)];
            for (int j = 0; j < out.length; j++) out[j] = (int) (first + j);
            return out;
        }
    }
}
