package pdagc.analysis;

import java.util.List;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.partition.SpmdNode;
import pdagc.partition.SpmdProgram;
import pdagc.partition.WeightLayout;
import pdagc.sem.ClusterSpec;

/**
 * The cost of every node of the per-GPU DAG: FLOPs, bytes and estimated seconds. A node's op and
 * weight come from the SPMD op it instantiates; its shapes from the node itself (so a micro-batch's
 * node costs its micro-batch). Computations go through {@link OpCost} and {@link Roofline},
 * collectives through {@link CollectiveCost} over the link their group spans. {@code bytes} is HBM
 * traffic for a computation and the bytes each member sends for a collective.
 */
public final class NodeCosts {
    private final long[] flops;
    private final long[] bytes;
    private final double[] seconds;
    private final CollectiveCost[] collectives;
    private final long[] weightElements;

    private NodeCosts(int nodes, int ops) {
        flops = new long[nodes];
        bytes = new long[nodes];
        seconds = new double[nodes];
        collectives = new CollectiveCost[nodes];
        weightElements = new long[ops];
    }

    public static NodeCosts of(SpmdProgram program, PlanDag dag, ClusterSpec cluster) {
        List<SpmdNode> ops = program.nodes();
        NodeCosts c = new NodeCosts(dag.nodes().size(), ops.size());
        for (SpmdNode op : ops) c.weightElements[op.id()] = WeightLayout.localElements(op, program, program.mesh());
        int dtype = program.dtype().bytes();
        for (DagNode n : dag.nodes()) {
            Op op = ops.get(n.program()).op();
            int i = n.index();
            CollectiveKind kind = op instanceof Op.Collective k ? k.collective()
                    : op instanceof Op.Transfer t ? (t.send() ? CollectiveKind.SEND : CollectiveKind.RECV) : null;
            if (kind != null) {
                CollectiveCost cc = CollectiveCost.of(kind, n.inputs().get(0), n.output(), n.group(), dag.gpus(), cluster, dtype);
                c.collectives[i] = cc;
                c.bytes[i] = cc.trafficBytes();
                c.seconds[i] = cc.seconds();
            } else {
                OpCost oc = OpCost.of(op, n.inputs(), n.output(), c.weightElements[n.program()], dtype);
                c.flops[i] = oc.flops();
                c.bytes[i] = oc.bytes();
                c.seconds[i] = Roofline.seconds(oc.flops(), oc.bytes(), cluster.gpu());
            }
        }
        return c;
    }

    public long flops(int node) {
        return flops[node];
    }

    public long bytes(int node) {
        return bytes[node];
    }

    public double seconds(int node) {
        return seconds[node];
    }

    /** The collective's cost, or null for a computation. */
    public CollectiveCost collective(int node) {
        return collectives[node];
    }

    public boolean isCollective(int node) {
        return collectives[node] != null;
    }

    /** Elements of the local weight of SPMD op {@code op}. */
    long weightElements(int op) {
        return weightElements[op];
    }
}
