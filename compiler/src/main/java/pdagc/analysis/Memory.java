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
    public record PerGpu(long weightBytes, long kvCacheBytes, long activationBytes, long workspaceBytes) {
        public long total() {
            return weightBytes + kvCacheBytes + activationBytes + workspaceBytes;
        }
    }

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
        int dtype = program.dtype().bytes();
        boolean[] cache = Liveness.cacheValues(program, idx);
        PerGpu[] out = new PerGpu[idx.schedule.length];   // per role
        BitSet seen = new BitSet(program.nodes().size());
        for (int g = 0; g < out.length; g++) {
            long weights = 0;
            long kv = 0;
            long workspace = 0;
            seen.clear();
            for (int i : idx.schedule[g]) {
                DagNode n = idx.node(i);
                if (!seen.get(n.program())) {
                    seen.set(n.program());
                    weights = Overflow.add(weights, Overflow.mul(costs.weightElements(n.program()), costs.dtype(n.program()).bytes()));
                }
                SpmdNode op = program.nodes().get(n.program());
                for (int k : op.op().cachedInputs()) kv = Overflow.add(kv, cacheBytes(program, op.inputs().get(k), n.inputs().get(k), context, dtype));
                if (costs.isCollectiveAt(i)) workspace = Math.max(workspace, costs.collectiveAt(i).bufferBytes());
            }
            out[g] = new PerGpu(weights, kv, Liveness.peak(idx, g, cache, program, costs), workspace);
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
