package pdagc.dag;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;
import pdagc.mesh.Pipeline;
import pdagc.partition.SpmdNode;
import pdagc.partition.SpmdProgram;

/**
 * materialize: the SPMD program instantiated on every rank, in its stage's schedule: one node per
 * op of the stage's chunks per micro-batch, data edges within a GPU, edges from every peer's input
 * into each member of a collective, from a send to its recv, and order edges between consecutive
 * schedule units on a GPU. GPUs of one pp stage run one program and form one role.
 *
 * <p>Nothing is stored per node: ranks of one stage share one schedule (a sequence of op and
 * micro-batch), and node {@code i} or edge {@code e} is computed from it when asked for, so
 * memory grows with the program, not with the GPUs, and backends stream the plan.
 */
public final class Materialize {
    public static final String NAME = "materialize";

    /** The most nodes a plan may have: validation and analysis keep a few numbers per node. */
    public static final long MAX_NODES = 50_000_000L;

    private Materialize() {}

    public static PlanDag run(String deployment, String source, SpmdProgram program, int gpusPerNode) {
        Layout layout = new Layout(program);
        Mesh mesh = program.mesh();
        List<GpuInfo> gpus = new AbstractList<>() {
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
        List<PlanDag.Role> roles = new ArrayList<>();
        for (int s = 0; s < layout.stages; s++) {
            final int stage = s;
            List<Integer> members = new AbstractList<>() {
                @Override
                public Integer get(int i) {
                    return layout.rankOfStage(stage, i);
                }

                @Override
                public int size() {
                    return layout.ranksPerStage;
                }
            };
            roles.add(new PlanDag.Role(s, members));
        }
        return new PlanDag(deployment, source, mesh, gpusPerNode, program.dtype(), gpus, layout.nodes(), layout.edges(), List.copyOf(roles));
    }

    /** The shared schedules and the arithmetic from node and edge indices to (rank, position). */
    private static final class Layout {
        final SpmdProgram program;
        final Mesh mesh;
        final List<SpmdNode> ops;
        final int p;
        final int stages;
        final int ranksPerStage;
        final int ppStride;
        /** Per stage: the op and micro-batch of each position of its schedule, and each position's first edge. */
        final int[][] seqOp;
        final int[][] seqMb;
        final long[][] edgeStart;
        /** Per stage: the position of (micro-batch, op), or -1. */
        final int[][] position;
        /** Per rank: its first node and first edge. */
        final long[] nodeStart;
        final long[] edgeStartOfRank;
        /** Per op: the local shapes of its inputs, the same on every rank. */
        final List<List<Shape>> inputShapes = new ArrayList<>();

        Layout(SpmdProgram program) {
            this.program = program;
            this.mesh = program.mesh();
            this.ops = program.nodes();
            this.p = ops.size();
            for (SpmdNode op : ops) {
                List<Shape> in = new ArrayList<>(op.inputs().size());
                for (int i : op.inputs()) in.add(ops.get(i).local());
                inputShapes.add(List.copyOf(in));
            }
            Pipeline pipeline = program.pipeline();
            this.stages = pipeline.stages();
            this.ranksPerStage = mesh.size() / stages;
            int pp = mesh.index("pp");
            int stride = 1;
            if (pp >= 0) for (int j = mesh.axes().size() - 1; j > pp; j--) stride *= mesh.axes().get(j).size();
            this.ppStride = stride;
            List<List<Integer>> opsOfChunk = new ArrayList<>();
            for (int c = 0; c < pipeline.chunks(); c++) opsOfChunk.add(new ArrayList<>());
            for (SpmdNode op : ops) opsOfChunk.get(op.chunk()).add(op.id());
            seqOp = new int[stages][];
            seqMb = new int[stages][];
            edgeStart = new long[stages][];
            position = new int[stages][];
            for (int s = 0; s < stages; s++) {
                List<int[]> seq = new ArrayList<>();
                int[] pos = new int[pipeline.microBatches() * p];
                Arrays.fill(pos, -1);
                for (Pipeline.Unit unit : pipeline.order(s)) {
                    for (int id : opsOfChunk.get(unit.chunk())) {
                        pos[unit.microBatch() * p + id] = seq.size();
                        seq.add(new int[] {id, unit.microBatch()});
                    }
                }
                seqOp[s] = new int[seq.size()];
                seqMb[s] = new int[seq.size()];
                edgeStart[s] = new long[seq.size() + 1];
                for (int k = 0; k < seq.size(); k++) {
                    seqOp[s][k] = seq.get(k)[0];
                    seqMb[s][k] = seq.get(k)[1];
                    edgeStart[s][k + 1] = edgeStart[s][k] + inDegree(s, k);
                }
                position[s] = pos;
            }
            nodeStart = new long[mesh.size() + 1];
            edgeStartOfRank = new long[mesh.size() + 1];
            for (int r = 0; r < mesh.size(); r++) {
                int s = stageOf(r);
                nodeStart[r + 1] = nodeStart[r] + seqOp[s].length;
                edgeStartOfRank[r + 1] = edgeStartOfRank[r] + edgeStart[s][seqOp[s].length];
            }
            if (nodeStart[mesh.size()] > MAX_NODES || edgeStartOfRank[mesh.size()] > Integer.MAX_VALUE) {
                throw new PlanTooLarge(nodeStart[mesh.size()], edgeStartOfRank[mesh.size()]);
            }
        }

        int stageOf(int rank) {
            return stages == 1 ? 0 : mesh.coord(rank, "pp");
        }

        int rankOfStage(int stage, int i) {
            if (stages == 1) return i;
            // ranks of one stage: all coordinates but pp, in rank order
            int below = i % ppStride;
            int above = i / ppStride;
            return (above * stages + stage) * ppStride + below;
        }

        int peerOfTransfer(int rank, Op.Transfer t) {
            int peerStage = (t.send() ? t.toChunk() : t.fromChunk()) % stages;
            return rank + (peerStage - stageOf(rank)) * ppStride;
        }

        /** Edges into the node at position k of stage s's schedule. */
        private int inDegree(int s, int k) {
            SpmdNode op = ops.get(seqOp[s][k]);
            int n = op.inputs().size();
            if (op.op() instanceof Op.Collective c) n += mesh.size(c.axes()) - 1;
            if (k > 0 && newUnit(s, k)) n++;
            return n;
        }

        private boolean newUnit(int s, int k) {
            return seqMb[s][k] != seqMb[s][k - 1] || ops.get(seqOp[s][k]).chunk() != ops.get(seqOp[s][k - 1]).chunk();
        }

        int index(int rank, int mb, int op) {
            int k = position[stageOf(rank)][mb * p + op];
            return k < 0 ? -1 : (int) (nodeStart[rank] + k);
        }

        List<DagNode> nodes() {
            return new Nodes();
        }

        /** The plan's nodes, each computed when asked for. */
        private final class Nodes extends AbstractList<DagNode> implements PlanDag.NodeIds {
                @Override
                public String id(int i) {
                    int r = rankOf(nodeStart, i);
                    int k = (int) (i - nodeStart[r]);
                    int s = stageOf(r);
                    String name = ops.get(seqOp[s][k]).name();
                    return program.pipeline().microBatches() > 1 ? r + ":" + name + "@" + seqMb[s][k] : r + ":" + name;
                }

                @Override
                public DagNode get(int i) {
                    int r = rankOf(nodeStart, i);
                    int k = (int) (i - nodeStart[r]);
                    int s = stageOf(r);
                    return node(i, r, ops.get(seqOp[s][k]), seqMb[s][k]);
                }

                @Override
                public int size() {
                    return (int) nodeStart[mesh.size()];
                }
        }

        List<DagEdge> edges() {
            return new AbstractList<>() {
                @Override
                public DagEdge get(int e) {
                    int r = rankOf(edgeStartOfRank, e);
                    long local = e - edgeStartOfRank[r];
                    int s = stageOf(r);
                    int k = Arrays.binarySearch(edgeStart[s], local);
                    if (k < 0) k = -k - 2;
                    while (k + 1 < edgeStart[s].length && edgeStart[s][k + 1] == local) k++;
                    return edge(r, s, k, (int) (local - edgeStart[s][k]));
                }

                @Override
                public int size() {
                    return (int) edgeStartOfRank[mesh.size()];
                }
            };
        }

        /** The j-th edge into the node at position k on rank r: inputs, then collective peers, then the order edge. */
        private DagEdge edge(int r, int s, int k, int j) {
            SpmdNode op = ops.get(seqOp[s][k]);
            int mb = seqMb[s][k];
            int to = (int) (nodeStart[r] + k);
            int inputs = op.inputs().size();
            if (j < inputs) {
                int in = op.inputs().get(j);
                if (op.op() instanceof Op.Transfer t && !t.send()) {
                    return new DagEdge(index(peerOfTransfer(r, t), mb, in), to, EdgeKind.DATA);
                }
                return new DagEdge(index(r, mb, in), to, op.routing().get(j) ? EdgeKind.ROUTING : EdgeKind.DATA);
            }
            j -= inputs;
            if (op.op() instanceof Op.Collective c) {
                int peers = mesh.size(c.axes()) - 1;
                if (j < peers) {
                    int self = mesh.indexInSorted(r, c.axes());
                    int g = mesh.member(r, c.axes(), j < self ? j : j + 1);
                    return new DagEdge(index(g, mb, op.inputs().get(0)), to, EdgeKind.DATA);
                }
                j -= peers;
            }
            return new DagEdge(to - 1, to, EdgeKind.ORDER);
        }

        DagNode node(int index, int r, SpmdNode op, int mb) {
            String suffix = program.pipeline().microBatches() > 1 ? "@" + mb : "";
            String collective = null;
            List<Integer> group = null;
            if (op.op() instanceof Op.Collective c) {
                collective = op.name() + "#" + mesh.groupIndex(r, c.axes()) + suffix;
                Integer[] members = new Integer[mesh.size(c.axes())];
                for (int m = 0; m < members.length; m++) members[m] = mesh.member(r, c.axes(), m);
                group = List.of(members);
            } else if (op.op() instanceof Op.Transfer t) {
                int peer = peerOfTransfer(r, t);
                SpmdNode send = t.send() ? op : ops.get(op.inputs().get(0));
                collective = send.name() + "#" + mesh.groupIndex(r, List.of("pp")) + suffix;
                group = List.of(Math.min(r, peer), Math.max(r, peer));
            }
            return new DagNode(index, r + ":" + op.name() + suffix, r, op.name(), op.op().name(), op.op().kind(), op.layer(),
                    inputShapes.get(op.id()), op.local(), collective, group, op.id(), mb);
        }

        private int rankOf(long[] starts, long i) {
            if (i < 0 || i >= starts[starts.length - 1]) throw new IndexOutOfBoundsException("index " + i);
            int k = Arrays.binarySearch(starts, i);
            if (k < 0) return -k - 2;
            while (k + 1 < starts.length && starts[k + 1] == i) k++;
            return k;
        }
    }

    /** A plan whose nodes or edges do not fit in a Java int index. */
    public static final class PlanTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long nodes;
        private final long edges;

        PlanTooLarge(long nodes, long edges) {
            super("the plan has " + nodes + " nodes and " + edges + " edges, over the budget");
            this.nodes = nodes;
            this.edges = edges;
        }

        public long nodes() {
            return nodes;
        }

        public long edges() {
            return edges;
        }
    }
}
