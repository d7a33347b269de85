package pdagc.verify;

import java.util.List;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;

/**
 * The evaluator's semantics of every op and collective, opened to runtimes outside this package.
 * The threaded reference runtime ({@code pdagc.runtime}) executes generated Java programs with
 * these kernels, deterministic weights and inputs and collective rules, so that what it computes
 * and what {@link Verify} computes can only differ where the program differs from the plan.
 * Shards are placed by explicit offsets (what a program computes from its mesh coordinates)
 * instead of shardings.
 */
public final class Semantics {
    private Semantics() {}

    /** Where an attention shard lies in the model: offsets of its batch, query positions and heads, and its KV cache. */
    public record AttentionShard(long dataSeed, int cacheOrigin, int batchOffset, int positionOffset, int queryHeadOffset, int kvHeadOffset,
            int queriesPerKvHead, int context, boolean decode) {
        Attention.Where where() {
            return new Attention.Where(dataSeed, cacheOrigin, batchOffset, queryHeadOffset, kvHeadOffset, queriesPerKvHead, positionOffset, context,
                    decode);
        }
    }

    /**
     * Where a latent-attention shard lies in the model: the seed of its cache (the model's seed, as
     * the evaluator draws latent caches), the cached values' logical nodes, its batch and query
     * position offsets and the context.
     */
    public record LatentShard(long seed, int latentOrigin, int ropeOrigin, int batchOffset, int positionOffset, int context, boolean decode) {
        Mla.Where where() {
            return new Mla.Where(seed, latentOrigin, ropeOrigin, batchOffset, positionOffset, context, decode);
        }
    }

    /** The seed of a micro-batch's tokens and KV cache. */
    public static long dataSeed(long seed, int microBatch) {
        return Evaluator.dataSeed(seed, microBatch);
    }

    /** A micro-batch's global token ids. */
    public static Value tokens(long[] global, long dataSeed, int vocab) {
        return Evaluator.tokens(ints(global), dataSeed, vocab);
    }

    /** The whole weight of the logical node {@code origin}. */
    public static Value globalWeight(Op op, int origin, long seed) {
        return Evaluator.globalWeight(op, origin, seed);
    }

    /** The block of a dense value at {@code offset} with {@code shape}, dimension by dimension. */
    public static Value block(Value whole, long[] offset, long[] shape) {
        Tensor t = dense(whole);
        if (offset.length != t.rank() || shape.length != t.rank()) {
            throw new Kernels.EvalError("a block of rank " + offset.length + " of " + t.describe());
        }
        for (int d = 0; d < t.rank(); d++) {
            if (offset[d] < 0 || offset[d] + shape[d] > t.shape[d]) {
                throw new Kernels.EvalError("block [" + offset[d] + ", " + (offset[d] + shape[d]) + ") of dimension " + d + " of " + t.describe());
            }
            if (shape[d] != t.shape[d]) t = t.slice(d, (int) offset[d], (int) shape[d]);
        }
        return t;
    }

    /** Global ids of a shard's tokens (what dispatch and combine match by). */
    public static long[] tokenIds(long[] localShape, long batchOffset, long positionOffset, long sequence) {
        return Evaluator.tokenIds((int) localShape[0], (int) localShape[1], batchOffset, positionOffset, sequence);
    }

    /** The local shape of a dense value (dispatched tokens have none). */
    public static long[] shape(Value v) {
        int[] s = dense(v).shape;
        long[] out = new long[s.length];
        for (int i = 0; i < s.length; i++) out[i] = s[i];
        return out;
    }

    public static Value embed(Value tokens, Value rows, long firstRow) {
        return Kernels.embed(dense(tokens), dense(rows), Math.toIntExact(firstRow));
    }

    public static Value linear(Value x, Value w) {
        return Kernels.linear(dense(x), dense(w));
    }

    public static Value einsum(String spec, Value x, Value w) {
        return Kernels.einsum(pdagc.ir.Contraction.parse(spec), dense(x), dense(w));
    }

    public static Value norm(String type, Value x, Value scale) {
        return Kernels.norm(pdagc.ir.NormType.of(type), dense(x), dense(scale));
    }

    public static Value unary(String fn, Value x) {
        pdagc.ir.UnaryFn f = pdagc.ir.UnaryFn.of(fn);
        return x instanceof Buckets b ? Kernels.unary(f, b) : Kernels.unary(f, dense(x));
    }

    public static Value binary(String fn, Value a, Value b) {
        return binary(pdagc.ir.BinaryFn.of(fn), a, b);
    }

    static Value binary(pdagc.ir.BinaryFn fn, Value a, Value b) {
        if (a instanceof Buckets x && b instanceof Buckets y) return Kernels.binary(fn, x, y);
        return Kernels.binary(fn, dense(a), dense(b));
    }

    public static Value softmax(Value x) {
        return Kernels.softmax(dense(x));
    }

    public static Value lastToken(Value x) {
        return Kernels.lastToken(dense(x));
    }

    public static Value attentionScores(Value q, Value k, int headDim, AttentionShard at) {
        return Attention.scores(dense(q), dense(k), headDim, at.where());
    }

    public static Value attentionContext(Value probs, Value v, int headDim, AttentionShard at) {
        return Attention.context(dense(probs), dense(v), headDim, at.where());
    }

    public static Value router(Value x, Value w, int top) {
        return Kernels.router(dense(x), dense(w), top);
    }

    public static Value dispatch(Value x, Value route, int experts, long[] tokenIds) {
        return Kernels.dispatch(dense(x), dense(route), experts, 0, tokenIds);
    }

    public static Value expertLinear(Value x, Value w, int firstExpert) {
        if (!(x instanceof Buckets b)) throw new Kernels.EvalError("expert_linear needs dispatched tokens, found " + x.describe());
        return Kernels.expertLinear(b, dense(w), firstExpert);
    }

    public static Value combine(Value y, Value route, long[] tokenIds, int width) {
        if (!(y instanceof Buckets b)) throw new Kernels.EvalError("combine needs expert outputs, found " + y.describe());
        return Kernels.combine(b, dense(route), tokenIds, width);
    }

    public static Value bias(Value x, Value b) {
        return Kernels.bias(dense(x), dense(b));
    }

    public static Value headNorm(String type, int headDim, Value x, Value scale) {
        return Kernels.headNorm(pdagc.ir.NormType.of(type), headDim, dense(x), dense(scale));
    }

    public static Value scale(Value x, Value gate) {
        return Kernels.scale(dense(x), dense(gate));
    }

    /** {@code x} times the transpose of a block of vocabulary rows of an embedding table (a tied head). */
    public static Value tiedHead(Value x, Value rows) {
        return Kernels.linearTransposed(dense(x), dense(rows));
    }

    public static Value positionEmbedding(Value tokens, Value table, long firstPosition) {
        return Kernels.posEmbed(dense(tokens), dense(table), Math.toIntExact(firstPosition));
    }

    public static Value mlaScores(Value qNope, Value qRope, Value latent, Value kRope, Value wuk, int nope, int rope, LatentShard at) {
        return Mla.scores(dense(qNope), dense(qRope), dense(latent), dense(kRope), dense(wuk), nope, rope, at.where());
    }

    public static Value mlaContext(Value probs, Value latent, Value wuv, LatentShard at) {
        return Mla.context(dense(probs), dense(latent), dense(wuv), at.where());
    }

    public static Value slice(Value x, List<String> axes, int dim, int ways, int index) {
        return Collectives.slice(x, axes, dim, ways, index);
    }

    /** What member {@code me} of a group receives when the members contribute {@code parts}, in group order. */
    public static Value collective(CollectiveKind kind, pdagc.ir.Reduction how, List<String> axes, int dim, int toDim, List<Value> parts, int me) {
        return Collectives.run(kind, how, axes, dim, toDim, parts, me);
    }

    // ---- a training step (the backward kernels are Backward's, as the evaluator runs them)

    /** The largest logit of every row over the vocabulary columns held (a partial maximum). */
    public static Value logitMax(Value logits) {
        return Backward.logitMax(dense(logits));
    }

    /** {@code Σ exp(z - max)} of every row over the columns held, with the whole row's max (a partial sum). */
    public static Value sumExp(Value logits, Value max) {
        return Backward.sumExp(dense(logits), dense(max));
    }

    /** Every row's label logit where the columns held ({@code offset} on, of {@code vocab}) hold it, else 0 (a partial sum). */
    public static Value labelLogit(Value logits, Value labels, long vocab, long offset) {
        return Backward.labelLogit(dense(logits), dense(labels), Math.toIntExact(vocab), Math.toIntExact(offset));
    }

    /** The training loss of every position from the whole statistics (the evaluator's cross-entropy). */
    public static Value loss(Value max, Value sumExp, Value labelLogit) {
        return Backward.loss(dense(max), dense(sumExp), dense(labelLogit));
    }

    /** The loss's gradient with respect to the logits' columns held, for a mean over {@code tokens} tokens. */
    public static Value lossGradient(Value logits, Value labels, Value max, Value sumExp, long vocab, long offset, long tokens) {
        return Backward.lossInput(dense(logits), dense(labels), dense(max), dense(sumExp), Math.toIntExact(vocab), Math.toIntExact(offset), tokens);
    }

    /** AdamW's first step on a weight block from its reduced gradient. */
    public static Value adam(Value weight, Value gradient, double lr, double eps, double weightDecay) {
        return Backward.adam(dense(weight), dense(gradient), lr, eps, weightDecay);
    }

    /** The sum of a gradient over the step's micro-batches. */
    public static Value accumulate(List<Value> microBatches) {
        Tensor sum = null;
        for (Value v : microBatches) {
            Tensor t = dense(v);
            if (sum == null) sum = Tensor.zeros(t.shape);
            if (t.data.length != sum.data.length) throw new Kernels.EvalError("accumulating " + t.describe() + " into " + sum.describe());
            for (int i = 0; i < t.data.length; i++) sum.data[i] += t.data[i];
        }
        if (sum == null) throw new Kernels.EvalError("an accumulation of no micro-batch");
        return sum;
    }

    /**
     * A rank's block of the dropout mask of logical node {@code origin} (its original, for a
     * recomputation) in the micro-batch of seed {@code dataSeed}: the evaluator's draw.
     */
    public static Value dropoutMask(double p, long[] global, long[] offset, long[] shape, long dataSeed, int origin) {
        return Kernels.dropoutMask(p, ints(shape), ints(global), ints(offset), Random.mix(dataSeed ^ Random.mix(0xD50BL + origin)));
    }

    public static Value dropout(Value x, Value mask, double p) {
        return Kernels.dropout(dense(x), dense(mask), p);
    }

    /**
     * What a gradient's kernel needs of where its forward op ran, besides the values: the forward
     * attention's shard (null for other ops), the key or value width of this rank's attention block,
     * the first row of an embedding's block (the first expert of an expert weight's), the first
     * position of a learned-position block, and a dispatch's or combine's token ids (with the
     * dispatch input's local shape). Latent attention keeps its queries' first position in
     * {@code firstPosition}, its probabilities' local heads in {@code kvWidth} and the latent's
     * local shape in {@code inputShape}.
     */
    public record GradientShard(AttentionShard attention, int kvWidth, long firstRow, long firstPosition, long[] tokenIds, long[] inputShape) {
        public static final GradientShard NONE = new GradientShard(null, 0, 0, 0, null, null);

        /** The same place with the first row (an embedding's vocabulary rows, an expert weight's first expert) set. */
        public GradientShard withFirstRow(long row) {
            return new GradientShard(attention, kvWidth, row, firstPosition, tokenIds, inputShape);
        }
    }

    /**
     * The gradient of forward op {@code forward} with respect to input {@code wrt} (or its weight,
     * {@link Op.Grad#WEIGHT}, of local shape {@code shape}) from the forward values its gradient rule
     * reads ({@code saved}), the output's gradient {@code dy} and the block of the weight it reads
     * (null where it reads none): the evaluator's backward kernels, the experts' and latent
     * attention's included.
     */
    public static Value gradient(Op f, int wrt, List<Value> saved, Value dyValue, Value weight, long[] shape, GradientShard at) {
        Op.Grad g = new Op.Grad(f, -1, wrt, List.of());
        Value first = saved.isEmpty() ? dyValue : saved.get(0);
        // Tokens bucketed by expert: the experts, their activations and products, the dispatch, the combine and the router.
        if (f instanceof Op.ExpertLinear) {
            int offset = (int) at.firstRow();
            if (g.ofWeight()) return Backward.expertWeight(buckets(first), buckets(dyValue), ints(shape), offset);
            return Backward.expertInput(buckets(dyValue), dense(weight), offset);
        }
        if (f instanceof Op.Unary u && first instanceof Buckets b) return Backward.unary(u.fn(), b, buckets(dyValue));
        if (f instanceof Op.Binary) return binary(pdagc.ir.BinaryFn.MUL, dyValue, first);
        if (f instanceof Op.Dispatch d) return Backward.dispatchInput(buckets(dyValue), ints(at.inputShape()), at.tokenIds(), (int) d.top());
        if (f instanceof Op.Combine c) {
            if (wrt == 0) return Backward.combineOutputs(dense(first), dense(dyValue), (int) c.experts(), at.tokenIds());
            return Backward.combineGates(buckets(first), dense(dyValue), at.tokenIds(), (int) c.top());
        }
        if (f instanceof Op.Router r) {
            if (g.ofWeight()) return Backward.routerWeight(dense(first), dense(saved.get(1)), dense(dyValue), (int) r.experts());
            return Backward.routerInput(dense(first), dense(weight), dense(dyValue));
        }
        Tensor dy = dense(dyValue);
        Tensor x = dense(first);
        if (g.product() != null) return Kernels.einsum(g.product(), x, g.ofWeight() ? dy : dense(weight));
        if (f instanceof Op.Norm n) return g.ofWeight() ? Backward.normWeight(n.type(), x, dy) : Backward.normInput(n.type(), x, dense(weight), dy);
        if (f instanceof Op.HeadNorm h) {
            int d = (int) h.headDim();
            return g.ofWeight() ? Backward.headNormWeight(h.type(), d, x, dy) : Backward.headNormInput(h.type(), d, x, dense(weight), dy);
        }
        if (f instanceof Op.Softmax) return Backward.softmax(x, dy);
        if (f instanceof Op.Unary u) return Backward.unary(u.fn(), x, dy);
        if (f instanceof Op.Bias) return Backward.bias(dy);
        if (f instanceof Op.Dropout d) return Kernels.dropout(dy, x, d.p());
        if (f instanceof Op.Scale) return wrt == 0 ? Kernels.scale(dy, x) : Backward.scaleGate(x, dy);
        if (f instanceof Op.TiedHead) return g.ofWeight() ? Backward.tiedTable(x, dy) : Kernels.linear(dy, dense(weight));
        if (f instanceof Op.PosEmbed) return Backward.positions(dy, ints(shape), (int) at.firstPosition());
        if (f instanceof Op.Embed) return Backward.embedWeight(x, dy, (int) shape[0], (int) at.firstRow());
        if (f instanceof Op.AttnScores a) {
            int d = (int) a.headDim();
            return wrt == 0 ? Backward.scoresQuery(dy, x, d, at.attention().where()) : Backward.scoresKey(dy, x, d, at.kvWidth(), at.attention().where());
        }
        if (f instanceof Op.AttnContext a) {
            int d = (int) a.headDim();
            return wrt == 0 ? Backward.contextProbs(dy, x, d, at.attention().where()) : Backward.contextValue(x, dy, d, at.kvWidth(), at.attention().where());
        }
        if (f instanceof Op.MlaScores m) {
            int nope = (int) m.nope(), rope = (int) m.rope(), seq = (int) at.firstPosition();
            return switch (wrt) {
                case 0 -> Backward.mlaQueryNope(dy, x, dense(weight), nope, rope, seq);
                case 1 -> Backward.mlaQueryRope(dy, x, nope, rope, seq);
                case 2 -> Backward.mlaScoresLatent(x, dense(weight), dy, nope, rope, seq, ints(at.inputShape()));
                case 3 -> Backward.mlaKeyRope(dy, x, nope, rope, seq);
                default -> Backward.mlaKeyUp(x, dense(saved.get(1)), dy, nope, rope, seq);
            };
        }
        if (f instanceof Op.MlaContext) {
            if (g.ofWeight()) return Backward.mlaValueUp(x, dense(saved.get(1)), dy);
            if (wrt == 0) return Backward.mlaContextProbs(x, dense(weight), dy, at.kvWidth());
            return Backward.mlaContextLatent(x, dense(weight), dy, ints(at.inputShape()));
        }
        throw new Kernels.EvalError("the reference runtime has no backward kernel for " + f.name() + " yet");
    }

    private static Buckets buckets(Value v) {
        if (v instanceof Buckets b) return b;
        throw new Kernels.EvalError("expected tokens bucketed by expert, found " + v.describe());
    }

    private static Tensor dense(Value v) {
        return Evaluator.dense(v);
    }

    private static int[] ints(long[] dims) {
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) out[i] = Math.toIntExact(dims[i]);
        return out;
    }
}
