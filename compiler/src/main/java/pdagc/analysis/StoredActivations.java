package pdagc.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import pdagc.ir.Overflow;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * The activations a training step stores for its backward pass, per transformer layer: the forward
 * values that the backward pass reads, each once, at its local shard on one GPU that runs the
 * layer, for one micro-batch. They are read off the SPMD program of a {@code phase train} plan: a
 * value of the forward pass (up to the loss) is stored when an op of the backward pass reads it,
 * a gradient for what its {@link pdagc.ir.GradRule} names, a collective of the backward pass for
 * what it gathers again, a recomputed forward op for its input. What the backward pass recomputes
 * is its own value, not stored; what the forward pass gathered for an op is gathered again in the
 * backward pass from the shard the forward pass kept ({@code partition/InsertCollectives}).
 *
 * <p>A value belongs to the layer of the last op of the backward pass that reads it (the backward
 * pass runs the layers in reverse: the lowest layer that reads it), so a layer's input, which its
 * first norm's gradient reads, is that layer's. A value takes the bytes per element its producer
 * writes ({@link NodeCosts#valueBytes(int)}: a dropout mask's one byte, the workload's 16 bits).
 *
 * <p>This is the accounting of Korthikanti et al. 2022 ("Reducing Activation Recomputation in
 * Large Transformer Models", section 4), made from the plan: on their GPT layer (LayerNorm with its
 * bias, biased projections, GELU MLP of 4h, dropout after the softmax and on each residual branch)
 * it is {@code sbh(34 + 5as/h)}, {@code sbh(10 + 24/t + 5as/(ht))} under tensor parallelism,
 * {@code sbh/t · (34 + 5as/h)} with sequence parallelism and {@code 2sbh} with full recomputation.
 * It is not the peak of the step's live memory ({@link Liveness}), which also holds the values of
 * the op running and the gradients in flight.
 */
public final class StoredActivations {
    private StoredActivations() {}

    /** One stored value: its SPMD op, name and op, and its bytes on one GPU. */
    public record Value(int node, String name, String op, long bytes) {}

    /** The values one layer stores, in program order. */
    public record Layer(int layer, List<Value> values) {
        public long bytes() {
            long b = 0;
            for (Value v : values) b = Overflow.add(b, v.bytes());
            return b;
        }
    }

    /** Each layer's stored values, by layer; empty for a program without a backward pass. */
    public static List<Layer> of(SpmdProgram program, NodeCosts costs) {
        if (!program.training()) return List.of();
        List<SpmdNode> ops = program.nodes();
        boolean[] backward = program.backward();
        int start = program.backwardStart();
        int[] layerOf = new int[start];
        java.util.Arrays.fill(layerOf, Integer.MIN_VALUE);
        for (SpmdNode n : ops) {
            if (!backward[n.id()]) continue;
            for (int i : n.inputs()) if (i < start) layerOf[i] = n.layer();
        }
        TreeMap<Integer, List<Value>> layers = new TreeMap<>();
        for (int v = 0; v < start; v++) {
            if (layerOf[v] < 0) continue;
            SpmdNode n = ops.get(v);
            // ZeRO-3's shards at rest are the weights, which the backward pass gathers again: a model state, not an activation.
            if (n.op() instanceof pdagc.ir.Op.Param) continue;
            long bytes = Overflow.mul(n.local().elements(), costs.valueBytes(v));
            layers.computeIfAbsent(layerOf[v], k -> new ArrayList<>()).add(new Value(v, n.name(), n.op().name(), bytes));
        }
        List<Layer> out = new ArrayList<>();
        layers.forEach((layer, values) -> out.add(new Layer(layer, List.copyOf(values))));
        return List.copyOf(out);
    }

    /** The stored values of layer {@code layer}, or an empty layer. */
    public static Layer of(SpmdProgram program, NodeCosts costs, int layer) {
        for (Layer l : of(program, costs)) if (l.layer() == layer) return l;
        return new Layer(layer, List.of());
    }
}
