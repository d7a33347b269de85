package pdagc.lower;

import java.util.ArrayList;
import java.util.List;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.ir.BinaryFn;
import pdagc.ir.GradRule;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Shape;

/**
 * Reverse-mode differentiation of the logical IR: from the loss back to the embedding, every op's
 * {@link GradRule} says which of its inputs (and whether its weight) receive a gradient and which
 * forward values computing it reads; this pass emits one {@link Op.Grad} per such gradient into
 * the same graph (so the partitioner shards the backward pass with the forward pass's machinery),
 * sums the gradients of a value that several ops read, and ends each weight's gradient in an
 * accumulation over the step's micro-batches ({@link Op.Accumulate}), an optimizer step
 * ({@link Op.Update}) and the updated weight ({@link Op.Updated}), which run once per step. A
 * weight that two ops read (tied embeddings: the embedding and the tied head multiply by one
 * table) gets one gradient, the sum of both ops' contributions, each accumulated over the
 * micro-batches where it is made (under pipelines, on different stages) and summed once per step,
 * then one reduction and one optimizer step, where its owner (the embedding, which comes first)
 * is differentiated.
 *
 * <pre>
 *   %5 = linear[in=512, out=1536] @column(tp) (%4)          forward
 *   ==>
 *   %40 = linear_grad[of=5, wrt=0] (%39)                     dx = dy W^T   (partial over tp)
 *   %41 = linear_wgrad[of=5] (%4, %39)                       dW = x^T dy   (partial over dp)
 *   %42 = accumulate (%41)                                   the sum over the step's micro-batches
 *   %43 = adam (%42); %44 = new_weight (%43)                 once per step
 * </pre>
 */
final class Autodiff {
    private final Graph g;
    private final Integer[] grad;
    /** Weight gradients from ops that read another node's weight (a tied head's), by owner, waiting for the owner's own. */
    private final java.util.Map<Integer, Integer> shared = new java.util.TreeMap<>();
    private final pdagc.sem.Training.Recompute recompute;
    /** Per forward node: the node the backward pass reads its value from (its recomputation, else itself). */
    private final int[] value;
    /** The layers whose recomputation has been emitted. */
    private final java.util.Set<Integer> recomputedLayers = new java.util.HashSet<>();

    private Autodiff(Graph g, pdagc.sem.Training.Recompute recompute) {
        this.g = g;
        this.grad = new Integer[g.size()];
        this.recompute = recompute;
        this.value = new int[g.size()];
        for (int i = 0; i < value.length; i++) value[i] = i;
    }

    /**
     * Differentiates the forward graph whose loss is node {@code loss}; false (with E0318 at the
     * op's statement) when an op on the way has no gradient rule.
     */
    static boolean run(Graph g, int loss, String model, Diagnostics diagnostics) {
        return run(g, loss, model, pdagc.sem.Training.Recompute.NONE, diagnostics);
    }

    /**
     * As above, with activation recomputation: before the backward pass of a layer, {@code full}
     * recomputes the layer's forward ops from its input (only the layer's input is kept from the
     * forward pass), {@code selective} the attention core (the scores, their softmax and its
     * dropout, the [b, heads, s, s] values that dominate a layer's activations; Korthikanti et al.
     * 2022), and the layer's gradients read the recomputed values.
     */
    static boolean run(Graph g, int loss, String model, pdagc.sem.Training.Recompute recompute, Diagnostics diagnostics) {
        return new Autodiff(g, recompute).backward(loss, model, diagnostics);
    }

    /** Emits the recomputation of layer {@code layer}'s forward ops (all of them, or the attention core) on the values kept. */
    private void recomputeLayer(int layer, int forwardEnd) {
        if (recompute == pdagc.sem.Training.Recompute.NONE || layer < 0 || !recomputedLayers.add(layer)) return;
        for (int id = 0; id < forwardEnd; id++) {
            Node n = g.node(id);
            if (n.layer() != layer || !recomputes(n)) continue;
            List<Integer> inputs = new ArrayList<>();
            for (int i : n.inputs()) inputs.add(value[i]);
            value[id] = g.addRecompute(n, inputs).id();
        }
    }

    private boolean recomputes(Node n) {
        if (recompute == pdagc.sem.Training.Recompute.FULL) return true;
        // selective: the scores, the softmax of them and its dropout (Korthikanti et al.'s "QK^T, softmax and dropout")
        return n.op() instanceof Op.AttnScores || isProbabilities(n)
                || (n.op() instanceof Op.Dropout || n.op() instanceof Op.DropoutMask) && isProbabilities(g.node(n.inputs().get(0)));
    }

    /** Whether {@code n} is the softmax of attention scores. */
    private boolean isProbabilities(Node n) {
        return n.op() instanceof Op.Softmax && g.node(n.inputs().get(0)).op() instanceof Op.AttnScores;
    }

    private boolean backward(int loss, String model, Diagnostics diagnostics) {
        g.startBackward();
        for (int id = loss; id >= 0; id--) {
            Node n = g.node(id);
            if (id != loss && grad[id] == null) continue;
            recomputeLayer(n.layer(), loss);
            GradRule rule = n.op().gradRule();
            if (rule == null) {
                diagnostics.add(Diags.noGradientRule(n.span(), model, n.op().name()));
                return false;
            }
            // The loss is the root: its gradient rule folds in the seed (1 / tokens per token), so it reads no output gradient.
            Integer dy = id == loss ? null : grad[id];
            for (int i : rule.flowing()) {
                GradRule.Flow flow = rule.inputs().get(i);
                int target = n.inputs().get(i);
                int contribution = flow.kind() == GradRule.Flow.Kind.IDENTITY ? dy
                        : emit(n, i, flow.reads(), dy, g.node(target).shape());
                accumulate(target, contribution, n);
            }
            if (rule.weight().kind() != GradRule.Flow.Kind.NONE) {
                Node owner = owner(n);
                Shape w = owner.op().weight();
                int dw = emit(n, Op.Grad.WEIGHT, rule.weight().reads(), dy, w);
                // Each op's contribution is accumulated over the micro-batches where it is made; the
                // contributions to a shared weight are summed once per step, then reduced and stepped.
                int acc = g.add(n.name() + ".accumulate", new Op.Accumulate(n.op(), id), List.of(dw), w, n.layer(), n.parallel(), n.span()).id();
                Integer earlier = shared.remove(owner.id());
                if (earlier != null) {
                    acc = g.add(owner.name() + ".wgrad_sum", new Op.Binary(BinaryFn.ADD), List.of(earlier, acc), w, owner.layer(), List.of(), n.span()).id();
                }
                // The owner comes before every op that shares its weight: its own gradient is the last contribution.
                if (owner == n) step(owner, acc);
                else shared.put(owner.id(), acc);
            }
        }
        // A shared weight whose owner no gradient reached still takes its step on what reached it.
        for (var e : shared.entrySet()) step(g.node(e.getKey()), e.getValue());
        return true;
    }

    /**
     * The node whose weight {@code n} reads: its own, or for a tied head the token embedding whose
     * table it multiplies by. Gradients of one weight are summed before its one optimizer step.
     */
    private Node owner(Node n) {
        if (!(n.op() instanceof Op.TiedHead t)) return n;
        Node table = g.tiedTable(t);
        if (table == null) throw new IllegalStateException("the tied head " + n.name() + " has no embedding table");
        return table;
    }

    /** The optimizer step on the weight of {@code owner} from its whole gradient of the step {@code dw}, and the updated weight. */
    private void step(Node owner, int dw) {
        Shape w = owner.op().weight();
        int step = g.add(owner.name() + ".adam", new Op.Update(owner.op(), owner.id()), List.of(dw), w, owner.layer(),
                owner.parallel(), owner.span()).id();
        g.add(owner.name() + ".new_weight", new Op.Updated(owner.op(), owner.id()), List.of(step), w, owner.layer(), owner.parallel(), owner.span());
    }

    /** One gradient of {@code n}: with respect to input {@code wrt} or its weight, reading {@code reads} and the output's gradient. */
    private int emit(Node n, int wrt, List<Integer> reads, Integer dy, pdagc.ir.Shape shape) {
        List<Integer> inputs = new ArrayList<>();
        for (int r : reads) inputs.add(value[r == GradRule.OUTPUT ? n.id() : n.inputs().get(r)]);
        if (dy != null) inputs.add(dy);
        String suffix = wrt == Op.Grad.WEIGHT ? ".wgrad" : n.inputs().size() > 1 ? ".grad" + wrt : ".grad";
        return g.add(n.name() + suffix, new Op.Grad(n.op(), n.id(), wrt, List.copyOf(reads)), inputs, shape, n.layer(), n.parallel(), n.span()).id();
    }

    /** Adds {@code contribution} to the gradient of value {@code target} (a value read by several ops sums their gradients). */
    private void accumulate(int target, int contribution, Node at) {
        if (grad[target] == null) {
            grad[target] = contribution;
            return;
        }
        Node t = g.node(target);
        grad[target] = g.add(t.name() + ".grad_sum", new Op.Binary(BinaryFn.ADD), List.of(grad[target], contribution), t.shape(), t.layer(), List.of(),
                at.span()).id();
    }
}
