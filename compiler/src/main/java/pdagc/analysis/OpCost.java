package pdagc.analysis;

import pdagc.ir.Overflow;
import java.util.List;
import pdagc.ir.NormType;
import pdagc.ir.Op;
import pdagc.ir.UnaryFn;
import pdagc.ir.Shape;

/**
 * What one computation costs on one GPU's shards: its floating-point operations and the bytes it
 * reads from and writes to HBM. This is the one table of per-op cost rules, so that the roofline,
 * the report and the JSON plan count every op the same way; collectives are costed by
 * {@link CollectiveCost} instead.
 *
 * <p>Conventions (the README's "Cost model" lists them with their sources):
 * <ul>
 *   <li>a matrix product of [M, K] by [K, N] is {@code 2·M·K·N} FLOPs (a multiply and an add per
 *       term); linear, expert linear, the router's projection;
 *   <li>attention scores and the weighted sum count the full S×T square of every head
 *       ({@code 2·B·h·S·T·d} each), as the unfused IR computes and stores it; a causal kernel that
 *       skips the masked half does about half of this;
 *   <li>elementwise work per element: add, mul, relu, dropout 1; silu 4; gelu 9 (tanh form); softmax 5; RMSNorm
 *       4; LayerNorm 6; the combine's weighted sum 2 per chosen expert; the router's softmax 5 per
 *       expert score;
 *   <li>bytes: every input, the local weight and the output, at the op's element type (the workload's
 *       dtype, or the experts' for an expert product; token ids and routes too), each input at the
 *       size its producer wrote it where that is known; attention's keys and values are read for all T positions of the KV cache;
 *       an embedding lookup reads only the rows it gathers; a slice or last-token pick copies what it
 *       keeps; input and output nodes move nothing.
 * </ul>
 */
public record OpCost(long flops, long bytesRead, long bytesWritten) {
    public static final OpCost NONE = new OpCost(0, 0, 0);

    /** FLOPs per element of the elementwise ops and norms. */
    public static final long ADD = 1, MUL = 1, SOFTMAX = 5, COMBINE_PER_EXPERT = 2;
    /** Per element, from the definitions of the functions and norms (one home for each count). */
    public static final long RELU = UnaryFn.RELU.flopsPerElement(), SILU = UnaryFn.SILU.flopsPerElement(), GELU = UnaryFn.GELU.flopsPerElement(),
            RMSNORM = NormType.RMSNORM.flopsPerElement(), LAYERNORM = NormType.LAYERNORM.flopsPerElement();

    public long bytes() {
        return Overflow.add(bytesRead, bytesWritten);
    }

    /**
     * Whether {@code op}'s FLOPs are matrix products, the FLOPs that model FLOPs count (Kaplan et
     * al.'s 6N, Megatron's and PaLM's formulas): a contraction (linear, expert linear, any defined
     * one), the tied head, attention's scores and weighted sum (latent attention's too), and the
     * gradients of each. Norms, activations, softmax, dropout, adds, biases, the loss, the router
     * (its small projection and its softmax are costed together) and the optimizer step are not.
     */
    public static boolean isProduct(Op op) {
        Op f = op instanceof Op.Grad g ? g.forward() : op;
        return f.contraction() != null || f instanceof Op.TiedHead || f instanceof Op.AttnScores || f instanceof Op.AttnContext
                || f instanceof Op.MlaScores || f instanceof Op.MlaContext;
    }

    /**
     * The cost of {@code op} with the given local input and output shapes, a local weight of
     * {@code weightElements} elements, and {@code dtypeBytes} bytes per element. Collectives are not
     * computations: they cost nothing here.
     */
    public static OpCost of(Op op, List<Shape> inputs, Shape output, long weightElements, int dtypeBytes) {
        return op.accept(new Rule(inputs, output, weightElements, same(inputs.size(), dtypeBytes), dtypeBytes, dtypeBytes));
    }

    /**
     * As above for a workload of element type {@code dtype}: weights and cached keys and values at
     * its size, activations at {@link pdagc.ir.DType#activationBytes()} (16-bit for fp8).
     */
    public static OpCost of(Op op, List<Shape> inputs, Shape output, long weightElements, pdagc.ir.DType dtype) {
        return op.accept(new Rule(inputs, output, weightElements, same(inputs.size(), dtype.activationBytes()), dtype.activationBytes(), dtype.bytes()));
    }

    /**
     * As above for an op running in {@code dtype} whose inputs were written at {@code inputBytes}
     * bytes per element (their producers' activation sizes): it reads each input at its size, and
     * writes its output and stores its weight (and reads cached keys and values) at its own.
     */
    public static OpCost of(Op op, List<Shape> inputs, Shape output, long weightElements, pdagc.ir.DType dtype, int[] inputBytes) {
        if (inputBytes.length != inputs.size()) throw new IllegalArgumentException(inputBytes.length + " input sizes for " + inputs.size() + " inputs");
        return op.accept(new Rule(inputs, output, weightElements, inputBytes.clone(), dtype.activationBytes(), dtype.bytes()));
    }

    private static int[] same(int n, int bytes) {
        int[] out = new int[n];
        java.util.Arrays.fill(out, bytes);
        return out;
    }

    /** The cost rule of each op. */
    private static final class Rule implements Op.Visitor<OpCost> {
        private final List<Shape> inputs;
        private final Shape output;
        private final long weightElements;
        /** Bytes per element of each input as written, of the output, and of weights and cached keys and values. */
        private final int[] inputBytes;
        private final int dtypeBytes;
        private final int storedBytes;
        private final long out;

        Rule(List<Shape> inputs, Shape output, long weightElements, int[] inputBytes, int dtypeBytes, int storedBytes) {
            this.inputs = inputs;
            this.output = output;
            this.weightElements = weightElements;
            this.inputBytes = inputBytes;
            this.dtypeBytes = dtypeBytes;
            this.storedBytes = storedBytes;
            this.out = output.elements();
        }

        /** Reads every input and the weight, writes the output. */
        private OpCost plain(long flops, long weight) {
            long read = Overflow.mul(weight, storedBytes);
            for (int i = 0; i < inputs.size(); i++) read = Overflow.add(read, Overflow.mul(inputs.get(i).elements(), inputBytes[i]));
            return new OpCost(flops, read, Overflow.mul(out, dtypeBytes));
        }

        /**
         * Reads {@code activations} elements of the first input and {@code stored} weight or cache
         * elements, writes {@code written}.
         */
        private OpCost moves(long flops, long activations, long stored, long written) {
            int first = inputBytes.length > 0 ? inputBytes[0] : dtypeBytes;
            return new OpCost(flops, Overflow.add(Overflow.mul(activations, first), Overflow.mul(stored, storedBytes)), Overflow.mul(written, dtypeBytes));
        }

        private OpCost contraction(Op op) {
            return plain(op.contraction().flops(inputs.get(0), output), weightElements);
        }

        public OpCost input(Op.Input op) { return NONE; }
        public OpCost output(Op.Output op) { return NONE; }
        public OpCost collective(Op.Collective op) { return NONE; }
        public OpCost transfer(Op.Transfer op) { return NONE; }
        public OpCost embed(Op.Embed op) { return moves(0, inputs.get(0).elements(), out, out); }
        public OpCost linear(Op.Linear op) { return contraction(op); }
        public OpCost expertLinear(Op.ExpertLinear op) { return contraction(op); }
        public OpCost einsum(Op.Einsum op) { return contraction(op); }
        public OpCost norm(Op.Norm n) { return plain(Overflow.mul(n.type().flopsPerElement(), out), weightElements); }

        public OpCost attnScores(Op.AttnScores a) {
            long keys = cacheElements(inputs.get(1), output.dim(3));
            return moves(times(2, out, a.headDim()), inputs.get(0).elements(), keys, out);
        }

        public OpCost attnContext(Op.AttnContext a) {
            Shape probs = inputs.get(0);
            long values = cacheElements(inputs.get(1), probs.dim(3));
            return moves(times(2, probs.elements(), a.headDim()), probs.elements(), values, out);
        }

        public OpCost softmax(Op.Softmax op) { return plain(Overflow.mul(SOFTMAX, out), 0); }
        public OpCost unary(Op.Unary u) { return plain(Overflow.mul(u.fn().flopsPerElement(), out), 0); }
        public OpCost binary(Op.Binary b) { return plain(Overflow.mul(b.fn() == pdagc.ir.BinaryFn.MUL ? MUL : ADD, out), 0); }

        public OpCost router(Op.Router r) {
            long tokens = out / r.top();
            long flops = Overflow.add(times(2, tokens, r.dim(), r.experts()), times(SOFTMAX, tokens, r.experts()));
            return plain(flops, weightElements);
        }

        public OpCost dispatch(Op.Dispatch op) { return plain(0, 0); }
        public OpCost combine(Op.Combine c) { return plain(times(COMBINE_PER_EXPERT, c.top(), out), 0); }
        public OpCost lastToken(Op.LastToken op) { return moves(0, out, 0, out); }
        public OpCost slice(Op.Slice op) { return moves(0, out, 0, out); }
        public OpCost bias(Op.Bias op) { return plain(Overflow.mul(ADD, out), weightElements); }
        public OpCost headNorm(Op.HeadNorm h) { return plain(Overflow.mul(h.type().flopsPerElement(), out), weightElements); }
        public OpCost scale(Op.Scale op) { return plain(Overflow.mul(MUL, out), 0); }
        public OpCost posEmbed(Op.PosEmbed op) { return moves(0, inputs.get(0).elements(), out, out); }

        public OpCost tiedHead(Op.TiedHead op) {
            // x @ E^T with this rank's rows of the embedding table, which it reads
            Shape x = inputs.get(0);
            return moves(matmul(x, output), x.elements(), Overflow.mul(x.last(), output.last()), out);
        }

        public OpCost mlaScores(Op.MlaScores m) {
            // absorbed form: q_nope through W_UK into the latent space, then scores over latent and rope parts
            long b = output.dim(0), h = output.dim(1), q = output.dim(2), t = output.dim(3);
            long flops = Overflow.add(times(2, b, q, h, m.nope(), m.rank()), times(2, b, h, q, t, m.rank() + m.rope()));
            return plain(flops, weightElements);
        }

        /**
         * A gradient costs what its forward op costs on the same local shapes, operand for
         * operand: a contraction's input or weight gradient is one more contraction of the same
         * iteration space (2·M·K·N), so a linear's backward is twice its forward, as Megatron and
         * Narayanan et al. count it; elementwise and norm gradients are charged their forward
         * FLOPs per element again. The products of the other ops' gradients are counted as their
         * forwards are: the router's gradients are a product of the gate's logits' gradient by the
         * gate weight or the input (2·T·H·E each), a tied head's by the table or the input, each
         * gradient of latent attention the two products of the absorbed form that it runs
         * (through W_UK or W_UV, and over the positions); the dispatch's gradient adds each
         * token's top-k copies, the combine's multiplies each copy by its gate weight (to the
         * experts) or dots it with the token's gradient (to the gates). Bytes: what it reads and writes.
         */
        public OpCost grad(Op.Grad g) {
            Op f = g.forward();
            // The output's gradient follows what the gradient reads (a ZeRO-3 gathered weight comes after it); the loss's reads none.
            Shape dy = inputs.get(Math.min(g.reads().size(), inputs.size() - 1));
            long flops;
            if (g.product() != null) {
                // The forward's iteration space, as the product this gradient is.
                flops = g.product().flops(inputs.get(0), output);
            } else if (f instanceof Op.AttnScores a) {
                flops = times(2, dy.elements(), a.headDim());
            } else if (f instanceof Op.AttnContext a) {
                flops = times(2, (g.wrt() == 0 ? output : inputs.get(0)).elements(), a.headDim());
            } else if (f instanceof Op.Loss) {
                flops = Overflow.mul(SOFTMAX + 1, out);
            } else if (f instanceof Op.Router r) {
                // dz from the route (a softmax over the chosen experts), then one product with W or x.
                long tokens = dy.elements() / r.top();
                flops = Overflow.add(times(2, tokens, r.dim(), r.experts()), times(SOFTMAX, tokens, r.top()));
            } else if (f instanceof Op.Dispatch d) {
                flops = times(ADD, d.top(), out);
            } else if (f instanceof Op.Combine c) {
                flops = g.wrt() == 0 ? times(MUL, out) : times(2, c.top(), dy.elements());
            } else if (f instanceof Op.Scale) {
                flops = g.wrt() == 0 ? times(MUL, out) : times(2, dy.elements());
            } else if (f instanceof Op.TiedHead t) {
                // [rows, vocab] by [vocab, dim], or [vocab, rows] by [rows, dim].
                flops = times(2, dy.elements(), t.dim());
            } else if (f instanceof Op.MlaScores m) {
                long scores = dy.elements();
                long rows = scores / dy.dim(3);
                flops = switch (g.wrt()) {
                    case 1, 3 -> times(2, scores, m.rope());
                    default -> Overflow.add(times(2, scores, m.rank()), times(2, rows, m.nope(), m.rank()));
                };
            } else if (f instanceof Op.MlaContext m) {
                Shape probs = g.wrt() == 0 ? output : inputs.get(0);
                long rows = probs.elements() / probs.dim(3);
                flops = Overflow.add(times(2, probs.elements(), m.rank()), times(2, rows, m.rank(), m.vDim()));
            } else if (f instanceof Op.PosEmbed || f instanceof Op.LastToken) {
                // A learned table's rows sum their positions' gradients over the batch; the last token's is a copy.
                flops = f instanceof Op.PosEmbed ? times(ADD, dy.elements()) : 0;
            } else {
                long per = f instanceof Op.Norm n ? n.type().flopsPerElement() : f instanceof Op.HeadNorm h ? h.type().flopsPerElement()
                        : f instanceof Op.Unary u ? u.fn().flopsPerElement() : f instanceof Op.Softmax ? SOFTMAX : ADD;
                flops = Overflow.mul(per + 1, Math.max(out, dy.elements()));
            }
            return plain(flops, 0);
        }

        /**
         * A statistic of the logits over the columns a rank holds: the max compares every logit
         * (1 per element), the sum of exponentials subtracts the max, exponentiates and adds (3
         * per element: the softmax's count less its max and its division); each reads the logits
         * and writes one number per token. The label's logit reads its token and one logit per
         * token (a compare of the label with the rank's columns).
         */
        public OpCost logitStat(Op.LogitStat s) {
            Shape logits = inputs.get(0);
            return switch (s.stat()) {
                case MAX -> plain(logits.elements(), 0);
                case SUM_EXP -> plain(Overflow.mul(SOFTMAX - 2, logits.elements()), 0);
                case LABEL -> new OpCost(out, Overflow.add(Overflow.mul(out, inputBytes[0]), Overflow.mul(inputs.get(1).elements(), inputBytes[1])),
                        Overflow.mul(out, dtypeBytes));
            };
        }

        /**
         * Cross-entropy per token from its three statistics ({@code log(Σ) + max - z[label]}: 3 per
         * token), reading only them: the logits it takes are for its gradient.
         */
        public OpCost loss(Op.Loss l) {
            long read = 0;
            for (int i : new int[] {Op.Loss.MAX, Op.Loss.SUM_EXP, Op.Loss.LABEL}) read = Overflow.add(read, Overflow.mul(inputs.get(i).elements(), inputBytes[i]));
            return new OpCost(Overflow.mul(3, out), read, Overflow.mul(out, dtypeBytes));
        }

        /**
         * AdamW on a shard of n elements: the moments, the bias corrections, the update and the
         * decay, about 12 FLOPs per element; reads the gradient, the fp32 master weight and both
         * fp32 moments, writes them and the new weight.
         */
        public OpCost update(Op.Update u) {
            long n = out;
            return new OpCost(Overflow.mul(12, n), Overflow.add(Overflow.mul(n, dtypeBytes), Overflow.mul(n, 12)), Overflow.add(Overflow.mul(n, 12),
                    Overflow.mul(n, storedBytes)));
        }

        public OpCost updated(Op.Updated u) { return NONE; }

        /** ZeRO-3's shard at rest is the weight in memory, not computed: its gathers cost what collectives cost. */
        public OpCost param(Op.Param p) { return NONE; }

        /** A mask is drawn, not computed from data: no FLOPs, no reads; it writes one byte per element. */
        public OpCost dropoutMask(Op.DropoutMask m) { return new OpCost(0, 0, Overflow.mul(out, Op.DropoutMask.BYTES)); }

        /** One multiply per element (the mask's keep or drop, scaled by 1 / (1 - p)); reads the input and the mask. */
        public OpCost dropout(Op.Dropout d) { return plain(Overflow.mul(MUL, out), 0); }

        /** Accumulating into the gradient buffer is charged in the weight gradient's kernel (which adds into it): nothing here. */
        public OpCost accumulate(Op.Accumulate a) { return NONE; }

        public OpCost mlaContext(Op.MlaContext m) {
            Shape probs = inputs.get(0);
            long b = probs.dim(0), h = probs.dim(1), q = probs.dim(2), t = probs.dim(3);
            long flops = Overflow.add(times(2, b, h, q, t, m.rank()), times(2, b, q, h, m.rank(), m.vDim()));
            return plain(flops, weightElements);
        }
    }

    /** FLOPs of {@code x @ W} giving {@code y}: 2·M·K·N with K = x's last dimension, N = y's, M = y's other elements. */
    static long matmul(Shape x, Shape y) {
        long n = y.last();
        return times(2, y.elements() / n, x.last(), n);
    }

    /** Elements of keys or values read for {@code positions} positions: [B, ·, width] -> B·positions·width. */
    static long cacheElements(Shape keys, long positions) {
        return times(keys.dim(0), positions, keys.last());
    }

    static long times(long... factors) {
        long p = 1;
        for (long f : factors) p = Overflow.mul(p, f);
        return p;
    }
}
