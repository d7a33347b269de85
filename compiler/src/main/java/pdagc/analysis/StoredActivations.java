package pdagc.analysis;

import pdagc.ir.Overflow;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * The activations a training step stores for the backward pass of one transformer layer, in the
 * accounting of Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer
 * Models", section 4): every tensor a layer's backward needs, kept from the forward until the
 * backward uses it. This is not inference memory: a forward step frees a value after its last use,
 * and {@link Liveness} gives that peak. It exists to check pdagc's IR and shardings against the
 * paper's closed forms, {@code sbh(34 + 5as/h)} and, with tensor parallelism t,
 * {@code sbh(10 + 24/t + 5as/(ht))}, on the paper's GPT layer (LayerNorm, GELU MLP of 4h).
 *
 * <p>Each term is one IR value of the layer on one GPU (its local shard), stored once even when
 * several ops need it, at the program's dtype (16-bit in the paper):
 * <ul>
 *   <li>a norm, a linear, an activation: their input (norm inputs 2sbh + 2sbh; the q/k/v projections'
 *       shared input 2sbh; the output projection's input 2sbh/t; the MLP's first linear's input 2sbh;
 *       GELU's input 8sbh/t; the second linear's input 8sbh/t);
 *   <li>attention scores: q and k (4sbh/t); the weighted sum: v (2sbh/t); softmax: its output (2as²b/t);
 *   <li>the paper's dropouts, which the inference IR does not have, as named terms on the values they
 *       would follow: after softmax, a 1-byte mask (as²b/t) and the dropped-out probabilities the
 *       weighted sum reads (2as²b/t); on each residual branch (the second operand of each add), a
 *       1-byte mask (sbh + sbh);
 *   <li>an elementwise product: both inputs; a residual add and a collective: nothing.
 * </ul>
 * Routing ops (router, dispatch, combine) are outside the paper's layer and are refused.
 */
public final class StoredActivations {
    /** Bytes of one dropout-mask element (the paper stores masks as bytes). */
    public static final int MASK_BYTES = 1;

    private StoredActivations() {}

    /** One stored tensor: what the paper calls it, the IR value it is, and its bytes on one GPU. */
    public record Term(String what, String value, long bytes) {}

    /** The terms of one layer, in program order. */
    public record Layer(int layer, List<Term> terms) {
        public long bytes() {
            long b = 0;
            for (Term t : terms) b = Overflow.add(b, t.bytes());
            return b;
        }
    }

    public static Layer of(SpmdProgram program, int layer) {
        List<SpmdNode> ops = program.nodes();
        int dtype = program.dtype().activationBytes();
        List<Term> terms = new ArrayList<>();
        Set<Integer> stored = new HashSet<>();
        for (SpmdNode n : ops) {
            if (n.layer() != layer) continue;
            Op op = n.op();
            if (op instanceof Op.Norm || op.contraction() != null || op instanceof Op.Unary) {
                store(terms, stored, ops.get(n.inputs().get(0)), op.name() + " input", dtype);
            } else if (op instanceof Op.AttnScores) {
                store(terms, stored, ops.get(n.inputs().get(0)), "attention queries", dtype);
                store(terms, stored, ops.get(n.inputs().get(1)), "attention keys", dtype);
            } else if (op instanceof Op.Softmax) {
                store(terms, stored, n, "softmax output", dtype);
                long elements = n.local().elements();
                terms.add(new Term("attention dropout mask", n.name(), Overflow.mul(elements, MASK_BYTES)));
                terms.add(new Term("attention dropout output", n.name(), Overflow.mul(elements, dtype)));
            } else if (op instanceof Op.AttnContext) {
                store(terms, stored, ops.get(n.inputs().get(1)), "attention values", dtype);
            } else if (op instanceof Op.Binary b && b.fn() == pdagc.ir.BinaryFn.MUL) {
                store(terms, stored, ops.get(n.inputs().get(0)), "product input", dtype);
                store(terms, stored, ops.get(n.inputs().get(1)), "product input", dtype);
            } else if (op instanceof Op.Binary) {
                SpmdNode branch = ops.get(n.inputs().get(1));
                terms.add(new Term("residual dropout mask", branch.name(), Overflow.mul(branch.local().elements(), MASK_BYTES)));
            } else if (op instanceof Op.Router || op instanceof Op.Dispatch || op instanceof Op.Combine) {
                throw new IllegalArgumentException(op.name() + " is not part of the layer the paper accounts for");
            }
            // collectives, slices and the rest store nothing
        }
        return new Layer(layer, List.copyOf(terms));
    }

    private static void store(List<Term> terms, Set<Integer> stored, SpmdNode value, String what, int dtype) {
        if (stored.add(value.id())) terms.add(new Term(what, value.name(), Overflow.mul(value.local().elements(), dtype)));
    }
}
