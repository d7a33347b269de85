package pdagc.analysis;

import pdagc.ir.Overflow;
import java.util.BitSet;
import pdagc.dag.DagNode;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * The memory one GPU needs, in four parts: the bytes of its weight shards; its KV cache (the keys
 * its scores read and the values its weighted sums read, of its heads and sequences, over the
 * workload's context); the peak of its live activations along its schedule ({@link Liveness}); and
 * the collective workspace. Weights are counted in the type of the op that uses them (an expert
 * product's in the experts' type), the KV cache in the workload's. The workspace rule: one staging buffer as large as the largest
 * collective buffer {@code S} the GPU takes part in (an out-of-place copy or reduction buffer);
 * NCCL's fixed per-channel buffers are not modelled. The total adds the four, as if the peaks
 * coincided (an upper bound).
 */
public final class Memory {
    private Memory() {}

    /** Bytes on one GPU. */
    /**
     * Bytes on one GPU. A training step adds the model states beside the weights: the gradient
     * buffers (at the weights' dtype; a ZeRO-2 GPU keeps only its shard of them) and the optimizer
     * states (an fp32 master copy and AdamW's two fp32 moments, 12 bytes per element of the shard
     * its optimizer step updates): ZeRO's {@code (2 + 2 + 12)Ψ} and its stages.
     */
    public record PerGpu(long weightBytes, long kvCacheBytes, long activationBytes, long workspaceBytes, long gradientBytes, long optimizerBytes) {
        public PerGpu(long weightBytes, long kvCacheBytes, long activationBytes, long workspaceBytes) {
            this(weightBytes, kvCacheBytes, activationBytes, workspaceBytes, 0, 0);
        }

        public long total() {
            return weightBytes + kvCacheBytes + activationBytes + workspaceBytes + gradientBytes + optimizerBytes;
        }

        /** Whether the GPU holds a training step's model states (gradient buffers and optimizer states). */
        public boolean modelStates() {
            return gradientBytes > 0 || optimizerBytes > 0;
        }
    }

    /** Bytes per element of the optimizer's state: an fp32 master weight and AdamW's two fp32 moments. */
    public static final int OPTIMIZER_STATE_BYTES = 12;

    /**
     * The KV cache of keys (or values) of local shape [B, ·, width] over {@code context} positions:
     * {@code B · context · width · dtype bytes}. The one home of the KV-cache formula.
     */
    public static long kvBytes(Shape keys, long context, int dtypeBytes) {
        return Overflow.mul(OpCost.cacheElements(keys, context), dtypeBytes);
    }

    /**
     * KV-cache bytes per token of one whole model replica, from the logical IR: the keys of every
     * attention's scores and the values of every weighted sum, one sequence, one position. For a
     * standard decoder this is {@code 2 · layers · kv_heads · head_dim · dtype bytes}.
     */
    public static long kvBytesPerToken(Graph g) {
        long total = 0;
        for (Node n : g.nodes()) {
            for (int i : n.op().cachedInputs()) {
                Shape keys = g.node(n.inputs().get(i)).shape();
                total = Overflow.add(total, kvBytes(keys.with(0, 1), 1, g.dtype().bytes()));
            }
        }
        return total;
    }

    static PerGpu[] perRole(SpmdProgram program, DagIndex idx, NodeCosts costs, long context) {
        return perRole(program, idx, costs, context, 0);
    }

    /**
     * As above, with the ZeRO stage of a training step (from 2 on, the gradient buffers are sharded
     * as the optimizer step's input; at 3 the weights too, as their shards at rest).
     */
    static PerGpu[] perRole(SpmdProgram program, DagIndex idx, NodeCosts costs, long context, int zero) {
        int dtype = program.dtype().bytes();
        boolean training = false;
        for (SpmdNode n : program.nodes()) training |= n.op() instanceof Op.Update;
        boolean[] cache = Liveness.cacheValues(program, idx);
        PerGpu[] out = new PerGpu[idx.schedule.length];   // per role
        BitSet seen = new BitSet(program.nodes().size());
        for (int g = 0; g < out.length; g++) {
            long weights = 0;
            long kv = 0;
            long workspace = 0;
            long gradients = 0;
            long optimizer = 0;
            java.util.Set<Integer> ownWeights = new java.util.HashSet<>();
            seen.clear();
            for (int i : idx.schedule[g]) {
                DagNode n = idx.node(i);
                SpmdNode op = program.nodes().get(n.program());
                if (!seen.get(n.program())) {
                    seen.set(n.program());
                    // A recomputed op reads its original's weights: counted once, by the op whose own they are. Under
                    // ZeRO-3 a GPU keeps only each weight's shard at rest; what its ops gather is live for a while (an activation).
                    if (zero == 3) {
                        if (op.op() instanceof Op.Param && ownWeights.add(op.origin())) {
                            weights = Overflow.add(weights, Overflow.mul(op.local().elements(), costs.dtype(n.program()).bytes()));
                        }
                    } else if (op.op().weight() == null || ownWeights.add(op.origin())) {
                        weights = Overflow.add(weights, Overflow.mul(costs.weightElements(n.program()), costs.dtype(n.program()).bytes()));
                    }
                    if (op.op() instanceof Op.Update) {
                        optimizer = Overflow.add(optimizer, Overflow.mul(op.local().elements(), OPTIMIZER_STATE_BYTES));
                        if (zero >= 2) gradients = Overflow.add(gradients, Overflow.mul(op.local().elements(), dtype));
                    }
                    // One buffer per weight: a tied head's gradient of the embedding table accumulates into the embedding's.
                    if (zero < 2 && op.op() instanceof Op.Grad gr && gr.ofWeight() && !(gr.forward() instanceof Op.TiedHead)) {
                        gradients = Overflow.add(gradients, Overflow.mul(op.local().elements(), dtype));
                    }
                }
                // A training step keeps no cache: its keys and values are activations of the step.
                if (!training) {
                    for (int k : op.op().cachedInputs()) kv = Overflow.add(kv, cacheBytes(program, op.inputs().get(k), n.inputs().get(k), context, dtype));
                }
                if (costs.isCollectiveAt(i)) workspace = Math.max(workspace, costs.collectiveAt(i).bufferBytes());
            }
            out[g] = new PerGpu(weights, kv, Liveness.peak(idx, g, cache, program, costs), workspace, gradients, optimizer);
        }
        return out;
    }

    /**
     * The cache a GPU keeps of one cached input: the value as it reaches the op, over the context;
     * where the producer's sequence is split (context parallelism) and the value was gathered for
     * the op, the GPU keeps only its own positions.
     */
    private static long cacheBytes(SpmdProgram program, int input, Shape reaching, long context, int dtype) {
        SpmdNode producer = program.nodes().get(input);
        while (producer.op() instanceof Op.Collective || producer.op() instanceof Op.Slice || producer.op() instanceof Op.Transfer) {
            producer = program.nodes().get(producer.inputs().get(0));
        }
        long positions = producer.shape().rank() > 1 && producer.shape().dim(1) > 0
                ? Overflow.mul(context, producer.local().dim(1)) / producer.shape().dim(1) : context;
        return kvBytes(reaching, positions, dtype);
    }
}
