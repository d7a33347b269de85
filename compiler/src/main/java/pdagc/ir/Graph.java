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
