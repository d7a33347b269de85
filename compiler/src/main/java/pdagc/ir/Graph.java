package pdagc.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The logical IR: one replica's operations in a topological order (every input precedes its use). */
public final class Graph {
    private final List<Node> nodes = new ArrayList<>();
    private final DType dtype;

    public Graph(DType dtype) {
        this.dtype = dtype;
    }

    public DType dtype() {
        return dtype;
    }

    /** The first node of a training step's backward pass (after the loss and the output), or -1 for a forward-only graph. */
    private int backwardStart = -1;

    public int backwardStart() {
        return backwardStart;
    }

    /** Recomputed copies of forward nodes (activation recomputation), by copy: the node each recomputes. */
    private final java.util.Map<Integer, Integer> recomputed = new java.util.HashMap<>();

    /** Adds a recomputation of forward node {@code original} on {@code inputs} (its inputs, or their own recomputations). */
    public Node addRecompute(Node original, List<Integer> inputs) {
        Node n = add(original.name() + ".recompute", original.op(), inputs, original.shape(), original.layer(), original.parallel(), original.span());
        recomputed.put(n.id(), original.id());
        return n;
    }

    /** The node whose value {@code id} holds: itself, or the forward node it recomputes (its weights are that node's). */
    public int original(int id) {
        return recomputed.getOrDefault(id, id);
    }

    /** ZeRO-3: the weight shards at rest ({@link Op.Param}) by the node that owns the weight. */
    private final java.util.Map<Integer, Integer> params = new java.util.TreeMap<>();

    /** Adds the shard at rest of {@code owner}'s weight (ZeRO-3), after the step that updates it. */
    public Node addParam(Node owner) {
        Node n = add(owner.name() + ".weight", new Op.Param(owner.op(), owner.id()), List.of(), owner.op().weight(), owner.layer(), owner.parallel(),
                owner.span());
        params.put(owner.id(), n.id());
        return n;
    }

    /** The weight shard at rest of {@code owner}'s weight (ZeRO-3), or -1 when weights are whole at rest. */
    public int param(int owner) {
        return params.getOrDefault(owner, -1);
    }

    /** Whether weights are sharded at rest and gathered for each use (ZeRO-3). */
    public boolean shardedWeights() {
        return !params.isEmpty();
    }

    /**
     * The node whose weight {@code n} reads to compute (its owner: a tied head reads the token
     * embedding's table), or -1: a forward op with a weight, its recomputation, and a gradient
     * with respect to an input of such an op that its rule computes (a linear's {@code dx = dy W^T}
     * reads W; a weight's own gradient does not).
     */
    public int weightRead(Node n) {
        Node f = node(original(n.id()));
        if (n.op() instanceof Op.Grad g) {
            if (g.ofWeight() || g.forward().weight() == null && !(g.forward() instanceof Op.TiedHead)) return -1;
            if (g.forward().gradRule().inputs().get(g.wrt()).kind() != GradRule.Flow.Kind.COMPUTED) return -1;
            f = node(g.forwardNode());
        } else if (f.op().weight() == null && !(f.op() instanceof Op.TiedHead)) {
            return -1;
        }
        if (f.op() instanceof Op.Param || f.op() instanceof Op.Update || f.op() instanceof Op.Updated || f.op() instanceof Op.Accumulate) return -1;
        if (f.op() instanceof Op.TiedHead t) {
            Node table = tiedTable(t);
            return table == null ? -1 : table.id();
        }
        return f.id();
    }

    /** Marks the nodes from here on as the backward pass (set once, by differentiation). */
    public void startBackward() {
        backwardStart = nodes.size();
    }

    public Node add(String name, Op op, List<Integer> inputs, Shape shape, int layer, List<Parallel> parallel, pdagc.source.Span span) {
        Node n = new Node(nodes.size(), name, op, List.copyOf(inputs), shape, layer, List.copyOf(parallel), span);
        nodes.add(n);
        return n;
    }

    public Node node(int id) {
        return nodes.get(id);
    }

    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    public int size() {
        return nodes.size();
    }

    /**
     * The token embedding whose table the tied head {@code t} reads: the first embedding of its
     * vocabulary and width, or null. The lowering, the backward pass, the generated code and the
     * reference evaluator all find it here.
     */
    public Node tiedTable(Op.TiedHead t) {
        for (Node n : nodes) if (n.op() instanceof Op.Embed e && e.vocab() == t.vocab() && e.dim() == t.dim()) return n;
        return null;
    }
}
