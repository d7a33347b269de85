package pdagc.analysis;

import java.util.List;
import pdagc.dag.DagNode;
import pdagc.dag.GpuInfo;
import pdagc.dag.Quotient;
import pdagc.ir.CollectiveKind;
import pdagc.ir.DType;
import pdagc.ir.Op;
import pdagc.ir.Overflow;
import pdagc.ir.Precision;
import pdagc.sem.ClusterSpec;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;
import pdagc.spmd.WeightLayout;

/**
 * The cost of every node of the per-GPU DAG: FLOPs, bytes and estimated seconds. A node's op and
 * weight come from the SPMD op it instantiates; its shapes from the node itself (so a micro-batch's
 * node costs its micro-batch). Computations go through {@link OpCost} and {@link KernelModel},
 * collectives through {@link CollectiveCost} over the link their group spans. {@code bytes} is HBM
 * traffic for a computation and the bytes each member sends for a collective.
 *
 * <p>Costs are kept once per node of the plan's quotient ({@link Quotient}): the GPUs of a role
 * run the same ops on the same shapes over groups that span cluster nodes alike. The public
 * accessors take a node's index in the plan.
 *
 * <p>Element types follow the plan's {@link Precision}: an op's weight is stored in its type, its
 * products run at that type's tensor rate, and the values it writes have that type's activation
 * size ({@link #valueBytes}); a collective moves values of the size of what it is given. Every op
 * reads each input at the size its producer wrote it.
 */
public final class NodeCosts {
    private final Quotient quotient;
    private final long[] flops;
    private final long[] bytes;
    private final double[] seconds;
    /** The part of a computation's seconds that is kernel overhead or launch wait ({@link KernelModel.Time}). */
    private final double[] overhead;
    private final CollectiveCost[] collectives;
    private final long[] weightElements;
    /** Per SPMD op: the element type it runs in, and the bytes per element of the value it writes. */
    private final DType[] dtypes;
    private final int[] valueBytes;
    /** Per SPMD op: whether its value is a weight (ZeRO-3's shard at rest, or a gather of it). */
    private final boolean[] weightInput;
    /** Per SPMD op: whether its value stays on chip inside a fused attention kernel (its scores and probabilities, when serving). */
    private final boolean[] onChip;
    /** Per SPMD op: the HBM bytes per output element of the fused elementwise kernel it ends, 0 if none ({@link KernelModel#elementwiseTraffic}). */
    private double[] elementwise;
    /** The experts each token is routed to (the dispatches' top-k; 0 without experts). */
    private long top;
    /**
     * Whether the expert products are timed from fused MoE measurements ({@link KernelModel#fusedMoe}),
     * which hold the forward dispatch's permutation and combine's weighted sum: those cost no time of their own.
     */
    private boolean fusedMoe;

    private NodeCosts(Quotient quotient, int ops) {
        this.quotient = quotient;
        int nodes = quotient.nodes().size();
        flops = new long[nodes];
        bytes = new long[nodes];
        seconds = new double[nodes];
        overhead = new double[nodes];
        collectives = new CollectiveCost[nodes];
        weightElements = new long[ops];
        dtypes = new DType[ops];
        valueBytes = new int[ops];
        weightInput = new boolean[ops];
        onChip = new boolean[ops];
    }

    static NodeCosts of(SpmdProgram program, Quotient quotient, List<GpuInfo> gpus, ClusterSpec cluster, pdagc.sem.Execution execution,
            Precision precision) {
        List<SpmdNode> ops = program.nodes();
        KernelModel.Part[] parts = KernelModel.parts(ops, execution);
        NodeCosts c = new NodeCosts(quotient, ops.size());
        for (SpmdNode op : ops) {
            c.dtypes[op.id()] = precision.dtypeOf(op.op(), op.name());
            c.valueBytes[op.id()] = -1;
        }
        for (SpmdNode op : ops) c.valueBytes(ops, op.id());
        for (SpmdNode op : ops) {
            if (op.op() instanceof Op.Dispatch d) c.top = Math.max(c.top, d.top());
        }
        // Every expert product runs in the experts' one type: the first says whether the kind has fused MoE measurements of it.
        ops.stream().filter(op -> op.op() instanceof Op.ExpertLinear).findFirst()
                .ifPresent(op -> c.fusedMoe = KernelModel.fusedMoe(cluster.gpu(), c.dtypes[op.id()], execution));
        // A fused attention kernel (FlashAttention) keeps its scores and probabilities on chip: no HBM holds them. A training step's
        // plan keeps them, its backward pass reading the probabilities.
        if (!program.training()) {
            for (SpmdNode op : ops) {
                c.onChip[op.id()] = parts[op.id()] == KernelModel.Part.ATTENTION_HEAD || parts[op.id()] == KernelModel.Part.ATTENTION_MIDDLE;
            }
        }
        // ZeRO-3: the shards at rest and what gathers them (a gather reads its source first, which comes before it).
        for (SpmdNode op : ops) {
            c.weightInput[op.id()] = op.op() instanceof Op.Param || (op.op() instanceof Op.Collective || op.op() instanceof Op.Slice)
                    && !op.inputs().isEmpty() && c.weightInput[op.inputs().get(0)];
        }
        for (SpmdNode op : ops) {
            try {
                c.weightElements[op.id()] = WeightLayout.localElements(op, program, program.mesh());
            } catch (Overflow e) {
                throw e.in("counting the weight elements of `" + op.name() + "`");
            }
        }
        c.elementwise = KernelModel.elementwiseTraffic(ops, parts, c.valueBytes, c.weightInput);
        List<DagNode> nodes = quotient.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            DagNode n = nodes.get(i);
            Op op = ops.get(n.program()).op();
            CollectiveKind kind = op instanceof Op.Collective k ? k.collective()
                    : op instanceof Op.Transfer t ? (t.send() ? CollectiveKind.SEND : CollectiveKind.RECV) : null;
            try {
                cost(c, i, n, ops.get(n.program()), kind, gpus, cluster, parts[n.program()], execution);
            } catch (Overflow e) {
                throw e.in((kind != null ? "counting the bytes that `" : "counting the FLOPs and bytes of `") + n.name() + (kind != null ? "` moves (output " : "` (output ") + n.output() + " on GPU " + n.gpu() + ")");
            }
        }
        return c;
    }

    private static void cost(NodeCosts c, int i, DagNode n, SpmdNode spmd, CollectiveKind kind, List<GpuInfo> gpus, ClusterSpec cluster,
            KernelModel.Part part, pdagc.sem.Execution execution) {
        Op op = spmd.op();
        DType dt = c.dtypes[spmd.id()];
        if (kind != null) {
            CollectiveCost cc = CollectiveCost.of(kind, n.inputs().get(0), n.output(), n.group(), gpus, cluster, c.valueBytes[spmd.id()]);
            c.collectives[i] = cc;
            c.bytes[i] = cc.trafficBytes();
            c.seconds[i] = cc.seconds();
        } else {
            // A ZeRO-3 weight gathered for the op (its last input) is its weight, costed as a weight is, not as an activation it reads.
            int count = spmd.inputs().size();
            if (count > 0 && !(op instanceof Op.Slice || op instanceof Op.Transfer) && c.weightInput[spmd.inputs().get(count - 1)]) count--;
            List<pdagc.ir.Shape> shapes = count == n.inputs().size() ? n.inputs() : n.inputs().subList(0, count);
            int[] inputBytes = new int[count];
            for (int k = 0; k < inputBytes.length; k++) inputBytes[k] = c.valueBytes[spmd.inputs().get(k)];
            OpCost oc = OpCost.of(op, shapes, n.output(), c.weightElements[n.program()], dt, inputBytes);
            KernelModel.Time t;
            if (op instanceof Op.ExpertLinear e && part == KernelModel.Part.OWN) {
                // The experts the routing touches, and the busiest rank's tokens (ExpertActivity).
                long weights = c.weightElements[n.program()];
                ExpertActivity a = ExpertActivity.of(e, shapes.get(0), n.output(), weights, c.top, execution.routing() == pdagc.sem.Execution.Routing.IDENTICAL);
                oc = a.cost(oc, Overflow.mul(weights, dt.bytes()));
                t = KernelModel.expert(a, shapes.get(0).last(), n.output().last(), oc, cluster.gpu(), dt, execution);
            } else if (c.fusedMoe && (op instanceof Op.Dispatch || op instanceof Op.Combine)) {
                t = new KernelModel.Time(0, 0);
            } else {
                t = part == KernelModel.Part.ELEMENTWISE
                        ? KernelModel.elementwise(c.elementwise[spmd.id()] * n.output().elements(), cluster.gpu(), execution)
                        : KernelModel.time(op, part, shapes, n.output(), oc, cluster.gpu(), dt, execution);
            }
            c.flops[i] = oc.flops();
            c.bytes[i] = oc.bytes();
            c.seconds[i] = t.seconds();
            c.overhead[i] = t.overhead();
        }
    }

    /**
     * The bytes per element of the value SPMD op {@code id} writes: its type's activation size (or
     * what the op fixes, {@link Op#elementBytes()}: a dropout mask's byte), or for a collective, a
     * send or a receive, the size of the value it moves.
     */
    private int valueBytes(List<SpmdNode> ops, int id) {
        if (valueBytes[id] >= 0) return valueBytes[id];
        SpmdNode op = ops.get(id);
        // Inputs come before their consumers; a chain of collectives is followed iteratively.
        int at = id;
        while ((ops.get(at).op() instanceof Op.Collective || ops.get(at).op() instanceof Op.Transfer) && !ops.get(at).inputs().isEmpty()
                && valueBytes[at] < 0) {
            at = ops.get(at).inputs().get(0);
        }
        int own = ops.get(at).op().elementBytes();
        int bytes = valueBytes[at] >= 0 ? valueBytes[at] : own > 0 ? own : dtypes[at].activationBytes();
        for (int k = id; k != at; k = ops.get(k).inputs().get(0)) valueBytes[k] = bytes;
        valueBytes[at] = bytes;
        return valueBytes[op.id()];
    }

    /** The element type SPMD op {@code op} runs in (its weights, its products). */
    DType dtype(int op) {
        return dtypes[op];
    }

    /** Whether SPMD op {@code op}'s value stays on chip inside a fused attention kernel (not an activation in HBM). */
    boolean onChip(int op) {
        return onChip[op];
    }

    /** Bytes per element of the value SPMD op {@code op} writes. */
    int valueBytes(int op) {
        return valueBytes[op];
    }

    /** FLOPs of plan node {@code node}. */
    public long flops(int node) {
        return flops[quotient.of(node)];
    }

    public long bytes(int node) {
        return bytes[quotient.of(node)];
    }

    public double seconds(int node) {
        return seconds[quotient.of(node)];
    }

    /** The collective's cost, or null for a computation. */
    public CollectiveCost collective(int node) {
        return collectives[quotient.of(node)];
    }

    /** The part of plan node {@code node}'s seconds that is kernel overhead or launch wait. */
    public double overhead(int node) {
        return overhead[quotient.of(node)];
    }

    public boolean isCollective(int node) {
        return collectives[quotient.of(node)] != null;
    }

    /** Whether costs are kept per role (the same for every GPU of a role) rather than per node. */
    public boolean perRole() {
        return quotient.symmetric();
    }

    /** The same figures by quotient node, for the analyses. */
    long flopsAt(int q) {
        return flops[q];
    }

    long bytesAt(int q) {
        return bytes[q];
    }

    double secondsAt(int q) {
        return seconds[q];
    }

    double overheadAt(int q) {
        return overhead[q];
    }

    CollectiveCost collectiveAt(int q) {
        return collectives[q];
    }

    boolean isCollectiveAt(int q) {
        return collectives[q] != null;
    }

    /** Elements of the local weight of SPMD op {@code op}. */
    long weightElements(int op) {
        return weightElements[op];
    }
}
