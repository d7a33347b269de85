package pdagc.runtime;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.verify.Semantics;
import pdagc.verify.Value;

/**
 * The model's data as the reference evaluator defines it, looked up by the names a generated
 * program passes: each weight is the evaluator's deterministic global weight of the logical node of
 * that name, of which a GPU gets the block it asks for; tokens and KV caches come from the
 * evaluator's per-micro-batch seed. This plays the part of a checkpoint and a data loader, so that
 * a generated program run on the reference runtime sees the same numbers as {@code Verify}.
 */
public final class ReferenceModel {
    private final Graph logical;
    private final long seed;
    private final int vocab;
    private final Map<String, Integer> byName = new HashMap<>();
    private final Map<String, Value> weights = new ConcurrentHashMap<>();
    private final java.util.Set<String> ambiguous = new java.util.HashSet<>();

    public ReferenceModel(Graph logical, long seed) {
        this.logical = logical;
        this.seed = seed;
        int v = 1;
        for (Node n : logical.nodes()) {
            if (n.op() instanceof Op.Embed e) v = (int) e.vocab();
            // A training step's sums of gradients may share a name; only ops with weights, caches and gradients' forward ops are looked up.
            if (byName.putIfAbsent(n.name(), n.id()) != null) ambiguous.add(n.name());
        }
        this.vocab = v;
    }

    public long seed() {
        return seed;
    }

    /** The logical node named {@code name}: a weight's owner or a KV cache's projection. */
    int origin(String name) {
        if (ambiguous.contains(name)) throw new IllegalArgumentException("two logical nodes are named " + name);
        Integer id = byName.get(name);
        if (id == null) throw new IllegalArgumentException("the model has no op named \"" + name + "\"");
        return id;
    }

    /** The logical node whose value op {@code name} holds: itself, or the forward op a recomputation recomputes. */
    int original(String name) {
        return logical.original(origin(name));
    }

    /** The op of the logical node named {@code name}. */
    Op op(String name) {
        return logical.node(origin(name)).op();
    }

    /** The block of the weight of op {@code name} (its original's, for a recomputation) at {@code offset} with {@code shape}. */
    Value weight(String name, long[] offset, long[] shape) {
        int origin = original(name);
        String owner = logical.node(origin).name();
        Op op = logical.node(origin).op();
        if (op.weight() == null) throw new IllegalArgumentException("the op " + owner + " has no weight");
        Value global = weights.computeIfAbsent(owner, n -> Semantics.globalWeight(op, origin, seed));
        return Semantics.block(global, offset, shape);
    }

    long dataSeed(int microBatch) {
        return Semantics.dataSeed(seed, microBatch);
    }

    /** The block at {@code offset} with {@code shape} of micro-batch {@code microBatch}'s token ids of shape {@code global}. */
    Value tokens(int microBatch, long[] global, long[] offset, long[] shape) {
        return Semantics.block(Semantics.tokens(global, dataSeed(microBatch), vocab), offset, shape);
    }
}
