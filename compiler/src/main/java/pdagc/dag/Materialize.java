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

    /**
     * The most nodes of one GPU per pipeline stage: validation and analysis walk these (the
     * {@link Quotient}), with a node object, its costs and its edges each, some 400 bytes a node:
     * about a gigabyte of heap at this budget. With a pp-only mesh this is the whole plan.
     */
    public static final long MAX_STAGE_NODES = 2_000_000L;

    private Materialize() {}

    public static PlanDag run(String deployment, String source, SpmdProgram program, int gpusPerNode) {
        // Both budgets in closed form, before the schedules are allocated: refused at once.
        long[] size = Schedules.size(program);
        if (size[0] > MAX_NODES || size[1] > Integer.MAX_VALUE) throw new PlanTooLarge(size[0], size[1]);
        if (size[2] > MAX_STAGE_NODES) throw new StagesTooLarge(size[2]);
        Schedules sched = new Schedules(program);
        if (sched.nodeCount() != size[0] || sched.edgeCount() != size[1]) {
            throw new IllegalStateException("the closed-form size " + size[0] + " nodes, " + size[1] + " edges disagrees with the schedules' "
                    + sched.nodeCount() + ", " + sched.edgeCount());
        }
        Layout layout = new Layout(sched);
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
        for (int s = 0; s < sched.stages(); s++) {
            final int stage = s;
            List<Integer> members = new AbstractList<>() {
                @Override
                public Integer get(int i) {
                    return sched.rankOfStage(stage, i);
                }

                @Override
                public int size() {
                    return sched.ranksPerStage();
                }
            };
            roles.add(new PlanDag.Role(s, members));
        }
        return new PlanDag(deployment, source, mesh, gpusPerNode, program.dtype(), gpus, layout.nodes(), layout.edges(), List.copyOf(roles), sched);
    }

    /** The plan's nodes and edges over the shared schedules: per rank only its first node and first edge. */
    private static final class Layout {
        final Schedules sched;

        Layout(Schedules sched) {
            this.sched = sched;
            if (sched.nodeCount() > MAX_NODES || sched.edgeCount() > Integer.MAX_VALUE) throw new PlanTooLarge(sched.nodeCount(), sched.edgeCount());
        }

        List<DagNode> nodes() {
            return new Nodes();
        }

        /** The plan's nodes, each computed when asked for. */
        private final class Nodes extends AbstractList<DagNode> implements PlanDag.NodeIds {
            @Override
            public String id(int i) {
                int r = sched.rankOfNode(i);
                return r + ":" + sched.localName(sched.stageOf(r), (int) (i - sched.firstNode(r)));
            }

            @Override
            public DagNode get(int i) {
                int r = sched.rankOfNode(i);
                return sched.node(i, r, sched.stageOf(r), (int) (i - sched.firstNode(r)));
            }

            @Override
            public int size() {
                return (int) sched.nodeCount();
            }
        }

        List<DagEdge> edges() {
            return new AbstractList<>() {
                @Override
                public DagEdge get(int e) {
                    int r = sched.rankOfEdge(e);
                    long local = e - sched.firstEdgeOfRank(r);
                    int s = sched.stageOf(r);
                    int lo = 0;
                    int hi = sched.length(s) - 1;
                    while (lo < hi) {   // the last position whose first edge is <= local
                        int mid = (lo + hi + 1) >>> 1;
                        if (sched.firstEdge(s, mid) <= local) lo = mid;
                        else hi = mid - 1;
                    }
                    InEdges in = new InEdges(sched).into(r, s, lo).skip((int) (local - sched.firstEdge(s, lo)));
                    in.next();
                    int fromIndex = (int) (sched.firstNode(in.fromRank()) + in.fromPosition());
                    return new DagEdge(fromIndex, (int) (sched.firstNode(r) + lo), in.kind());
                }

                @Override
                public int size() {
                    return (int) sched.edgeCount();
                }
            };
        }
    }

    /** A plan whose nodes or edges do not fit in a Java int index. */
    /** One GPU per pipeline stage has more nodes than validation and analysis walk ({@link #MAX_STAGE_NODES}). */
    public static final class StagesTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long nodes;

        StagesTooLarge(long nodes) {
            super("one GPU per stage has " + nodes + " nodes, over the budget");
            this.nodes = nodes;
        }

        public long nodes() {
            return nodes;
        }
    }

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
