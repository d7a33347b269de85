package pdagc.analysis;

import pdagc.ir.Overflow;
import pdagc.dag.DagNode;
import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * Activation memory of one GPU from the liveness of its values along its schedule: a value (a
 * node's output) is live from the step that produces it to the last step on the same GPU that
 * consumes it (a value nobody on the GPU consumes lives for its own step). At each step the live
 * set holds the op's inputs and its output at once; the peak is the largest live set over the
 * schedule, not the sum of all tensors. Keys and values that attention reads are the KV cache and
 * counted there, not here; an output node aliases its input; weights are not activations, nor are a
 * training step's weight gradients and what it does with them once per step ({@link #modelStates}).
 * A value takes the bytes per element its producer writes ({@link NodeCosts#valueBytes(int)}). The
 * scores and probabilities of a fused attention kernel stay on chip when serving
 * ({@link NodeCosts#onChip(int)}): FlashAttention never writes them to HBM.
 */
final class Liveness {
    private Liveness() {}

    /** The nodes whose output is stored as the KV cache: the keys and values that attention reads. */
    static boolean[] cacheValues(SpmdProgram program, DagIndex idx) {
        int nodes = idx.role.length;
        boolean[] cache = new boolean[nodes];
        // A training step keeps no cache: its keys and values are activations like any other.
        if (program.training()) return cache;
        for (int i = 0; i < nodes; i++) {
            SpmdNode op = program.nodes().get(idx.node(i).program());
            if (!(op.op() instanceof Op.AttnScores || op.op() instanceof Op.AttnContext)) continue;
            int keys = op.inputs().get(1);
            for (int k = idx.predStart[i]; k < idx.predStart[i + 1]; k++) {
                int p = idx.preds[k];
                if (idx.role[p] == idx.role[i] && idx.node(p).program() == keys) cache[p] = true;
            }
        }
        return cache;
    }

    /**
     * Per SPMD op: whether its value is a model state of a training step rather than an activation:
     * a weight's gradient (each micro-batch's is added into the gradient buffer as it is made) and
     * what runs once per step on it (the accumulated and reduced gradient, the optimizer step, the
     * updated weight), and ZeRO-3's shards at rest of the weights. {@link Memory} counts those as
     * gradients, optimizer states and weights.
     */
    static boolean[] modelStates(SpmdProgram program) {
        boolean[] out = program.perStep();
        for (pdagc.spmd.SpmdNode n : program.nodes()) if (n.op() instanceof Op.Grad g && g.ofWeight() || n.op() instanceof Op.Param) out[n.id()] = true;
        return out;
    }

    /** The bytes live at each step of a role's schedule. */
    static long[] profile(DagIndex idx, int role, boolean[] cache, SpmdProgram program, NodeCosts costs) {
        int[] steps = idx.schedule[role];
        long[] delta = new long[steps.length + 1];
        boolean[] states = modelStates(program);
        for (int t = 0; t < steps.length; t++) {
            int i = steps[t];
            DagNode n = idx.node(i);
            if (cache[i] || states[n.program()] || costs.onChip(n.program()) || program.nodes().get(n.program()).op() instanceof Op.Output) continue;
            int last = t;
            for (int k = idx.succStart[i]; k < idx.succStart[i + 1]; k++) {
                int s = idx.succs[k];
                if (idx.role[s] == role) last = Math.max(last, idx.position[s]);
            }
            long bytes = Overflow.mul(n.output().elements(), costs.valueBytes(n.program()));
            delta[t] += bytes;
            delta[last + 1] -= bytes;
        }
        long[] live = new long[steps.length];
        long cur = 0;
        for (int t = 0; t < steps.length; t++) {
            cur += delta[t];
            live[t] = cur;
        }
        return live;
    }

    static long peak(DagIndex idx, int role, boolean[] cache, SpmdProgram program, NodeCosts costs) {
        long peak = 0;
        for (long b : profile(idx, role, cache, program, costs)) peak = Math.max(peak, b);
        return peak;
    }
}
