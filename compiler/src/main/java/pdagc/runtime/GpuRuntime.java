package pdagc.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Reduction;
import pdagc.verify.Semantics;
import pdagc.verify.Value;

/**
 * One GPU of the reference runtime: implements, method for method, the runtime interface that
 * {@code --emit java} generates (tensors are {@link Value}s), with the evaluator's kernels on CPU
 * and collectives and transfers through the {@link Fabric} to the other GPU threads. Every call is
 * recorded as a {@link Step}, so that the run can be compared with the plan op by op. Bound to a
 * generated interface by {@link Binding}; its public methods are that interface.
 */
public final class GpuRuntime {
    private final int gpu;
    private final ReferenceModel model;
    private final Fabric fabric;
    private final CollectiveSemantics collectives;
    private final List<Step> steps = new ArrayList<>();
    private int microBatch;
    private int chunk;
    /** A training step's forward calls' places, by op name, that their gradients read (attention, positions). */
    private final java.util.Map<String, Semantics.GradientShard> forward = new java.util.HashMap<>();
    /** ZeRO-3: weights gathered for the next call of an op, by op name. */
    private final java.util.Map<String, Value> gathered = new java.util.HashMap<>();

    GpuRuntime(int gpu, ReferenceModel model, Fabric fabric, CollectiveSemantics collectives) {
        this.gpu = gpu;
        this.model = model;
        this.fabric = fabric;
        this.collectives = collectives;
    }

    /** The calls this GPU made, in order; read only after its thread has ended. */
    List<Step> steps() {
        return steps;
    }

    @Override
    public String toString() {
        return "GPU " + gpu;
    }

    private Value step(String op, Supplier<Value> body) {
        fabric.progress(gpu, op);
        Value v = body.get();
        steps.add(new Step(op, microBatch, chunk, v));
        return v;
    }

    public void beginUnit(int microBatch, int chunk) {
        this.microBatch = microBatch;
        this.chunk = chunk;
    }

    public void beginBackwardUnit(int microBatch, int chunk) {
        beginUnit(microBatch, chunk);
    }

    public void beginStep() {
        beginUnit(0, -1);
    }

    public Value input(String op, long[] global, long[] offset, long[] shape) {
        return step(op, () -> model.tokens(microBatch, global, offset, shape));
    }

    public void output(String op, long[] global, long[] offset, Value value) {
        step(op, () -> value);
    }

    public Value embedding(String op, long[] offset, long[] shape, Value tokens) {
        return step(op, () -> Semantics.embed(tokens, weightOf(op, op, offset, shape), offset[0]));
    }

    public Value linear(String op, long[] offset, long[] shape, Value x) {
        return step(op, () -> Semantics.linear(x, weightOf(op, op, offset, shape)));
    }

    public Value norm(String op, String type, long[] offset, long[] shape, Value x) {
        return step(op, () -> Semantics.norm(type, x, weightOf(op, op, offset, shape)));
    }

    public Value router(String op, int top, long[] offset, long[] shape, Value x) {
        return step(op, () -> Semantics.router(x, weightOf(op, op, offset, shape), top));
    }

    public Value dispatch(String op, int experts, long[] tokenOffset, long sequence, Value x, Value route) {
        return step(op, () -> {
            long[] ids = Semantics.tokenIds(Semantics.shape(x), tokenOffset[0], tokenOffset[1], sequence);
            forward.put(op, new Semantics.GradientShard(null, 0, 0, 0, ids, Semantics.shape(x)));
            return Semantics.dispatch(x, route, experts, ids);
        });
    }

    public Value expertLinear(String op, long[] offset, long[] shape, Value x) {
        return step(op, () -> Semantics.expertLinear(x, weightOf(op, op, offset, shape), Math.toIntExact(offset[0])));
    }

    public Value combine(String op, int width, long[] tokenOffset, long sequence, Value y, Value route) {
        return step(op, () -> {
            long[] ids = Semantics.tokenIds(Semantics.shape(route), tokenOffset[0], tokenOffset[1], sequence);
            forward.put(op, new Semantics.GradientShard(null, 0, 0, 0, ids, null));
            return Semantics.combine(y, route, ids, width);
        });
    }

    public Value unary(String op, String fn, Value x) {
        return step(op, () -> Semantics.unary(fn, x));
    }

    public Value binary(String op, String fn, Value a, Value b) {
        return step(op, () -> Semantics.binary(fn, a, b));
    }

    public Value softmax(String op, Value x) {
        return step(op, () -> Semantics.softmax(x));
    }

    public Value lastToken(String op, Value x) {
        return step(op, () -> Semantics.lastToken(x));
    }

    public Value attentionScores(String op, String cache, int headDim, int queriesPerKvHead, long context, long[] queryOffset, long[] kvOffset,
            Value q, Value k) {
        Semantics.AttentionShard at = shard(cache, headDim, queriesPerKvHead, context, queryOffset, kvOffset);
        return step(op, () -> {
            forward.put(op, new Semantics.GradientShard(at, (int) last(k), 0, 0, null, null));
            return Semantics.attentionScores(q, k, headDim, at);
        });
    }

    public Value attentionContext(String op, String cache, int headDim, int queriesPerKvHead, long context, long[] queryOffset, long[] kvOffset,
            Value probs, Value v) {
        Semantics.AttentionShard at = shard(cache, headDim, queriesPerKvHead, context, queryOffset, kvOffset);
        return step(op, () -> {
            forward.put(op, new Semantics.GradientShard(at, (int) last(v), 0, 0, null, null));
            return Semantics.attentionContext(probs, v, headDim, at);
        });
    }

    private Semantics.AttentionShard shard(String cache, int headDim, int queriesPerKvHead, long context, long[] queryOffset, long[] kvOffset) {
        return new Semantics.AttentionShard(model.dataSeed(microBatch), model.origin(cache), Math.toIntExact(queryOffset[0]),
                Math.toIntExact(queryOffset[1]), Math.toIntExact(queryOffset[2] / headDim), Math.toIntExact(kvOffset[2] / headDim), queriesPerKvHead,
                Math.toIntExact(context), context > 0);
    }

    public Value einsum(String op, String spec, long[] offset, long[] shape, Value x) {
        return step(op, () -> Semantics.einsum(spec, x, weightOf(op, op, offset, shape)));
    }

    public Value bias(String op, long[] offset, long[] shape, Value x) {
        return step(op, () -> Semantics.bias(x, weightOf(op, op, offset, shape)));
    }

    public Value headNorm(String op, String type, int headDim, long[] offset, long[] shape, Value x) {
        return step(op, () -> Semantics.headNorm(type, headDim, x, weightOf(op, op, offset, shape)));
    }

    public Value scale(String op, Value x, Value gate) {
        return step(op, () -> Semantics.scale(x, gate));
    }

    public Value tiedHead(String op, String table, long[] offset, long[] shape, Value x) {
        return step(op, () -> Semantics.tiedHead(x, weightOf(op, table, offset, shape)));
    }

    public Value positionEmbedding(String op, long firstPosition, long[] offset, long[] shape, Value tokens) {
        return step(op, () -> {
            forward.put(op, new Semantics.GradientShard(null, 0, 0, firstPosition, null, null));
            return Semantics.positionEmbedding(tokens, weightOf(op, op, offset, shape), firstPosition);
        });
    }

    public Value mlaScores(String op, String latentCache, String ropeCache, int nope, int rope, long context, long[] offset, long[] shape,
            long[] tokenOffset, Value qNope, Value qRope, Value latent, Value kRope) {
        return step(op, () -> {
            forward.put(op, new Semantics.GradientShard(null, 0, 0, tokenOffset[1], null, Semantics.shape(latent)));
            return Semantics.mlaScores(qNope, qRope, latent, kRope, weightOf(op, op, offset, shape), nope, rope,
                    latentShard(latentCache, ropeCache, context, tokenOffset));
        });
    }

    public Value mlaContext(String op, String latentCache, long context, long[] offset, long[] shape, long[] tokenOffset, Value probs,
            Value latent) {
        return step(op, () -> {
            forward.put(op, new Semantics.GradientShard(null, (int) Semantics.shape(probs)[1], 0, tokenOffset[1], null, Semantics.shape(latent)));
            return Semantics.mlaContext(probs, latent, weightOf(op, op, offset, shape), latentShard(latentCache, null, context, tokenOffset));
        });
    }

    /** Latent caches are drawn from the model's seed, as the evaluator draws them; the context's rope cache is not read. */
    private Semantics.LatentShard latentShard(String latentCache, String ropeCache, long context, long[] tokenOffset) {
        return new Semantics.LatentShard(model.seed(), model.origin(latentCache), ropeCache == null ? -1 : model.origin(ropeCache),
                Math.toIntExact(tokenOffset[0]), Math.toIntExact(tokenOffset[1]), Math.toIntExact(context), context > 0);
    }

    public Value slice(String op, String axes, int dim, int ways, int index, Value x) {
        return step(op, () -> Semantics.slice(x, List.of(axes.split("[+]")), dim, ways, index));
    }

    public Value allReduce(String op, String axes, int[] group, Value x) {
        return collective(op, CollectiveKind.ALL_REDUCE, axes, group, 0, 0, x);
    }

    public Value allReduceMax(String op, String axes, int[] group, Value x) {
        return collective(op, CollectiveKind.ALL_REDUCE, Reduction.MAX, axes, group, 0, 0, x);
    }

    public Value allGather(String op, String axes, int[] group, int dim, Value x) {
        return collective(op, CollectiveKind.ALL_GATHER, axes, group, dim, 0, x);
    }

    public Value reduceScatter(String op, String axes, int[] group, int dim, Value x) {
        return collective(op, CollectiveKind.REDUCE_SCATTER, axes, group, dim, 0, x);
    }

    public Value allToAll(String op, String axes, int[] group, int splitDim, int concatDim, Value x) {
        return collective(op, CollectiveKind.ALL_TO_ALL, axes, group, splitDim, concatDim, x);
    }

    private Value collective(String op, CollectiveKind kind, String axes, int[] group, int dim, int toDim, Value x) {
        return collective(op, kind, Reduction.SUM, axes, group, dim, toDim, x);
    }

    private Value collective(String op, CollectiveKind kind, Reduction how, String axes, int[] group, int dim, int toDim, Value x) {
        String signature = kind.opName() + "[" + axes + (kind == CollectiveKind.ALL_REDUCE ? "" : ", " + dim) + (kind == CollectiveKind.ALL_TO_ALL ? ", " + toDim : "")
                + (how == Reduction.SUM ? "" : ", op=" + how.text()) + "]";
        return step(op, () -> {
            List<Value> parts = fabric.meet(gpu, op, microBatch, group, signature, x);
            int me = 0;
            while (group[me] != gpu) me++;
            return collectives.apply(kind, how, List.of(axes.split("[+]")), dim, toDim, parts, me);
        });
    }

    public void send(String op, String channel, int peer, Value x) {
        step(op, () -> {
            fabric.send(gpu, channel, microBatch, peer, x);
            return x;
        });
    }

    public Value recv(String op, String channel, int peer) {
        return step(op, () -> fabric.recv(gpu, channel, microBatch, peer));
    }

    // ---- a training step

    public Value logitMax(String op, Value logits) {
        return step(op, () -> Semantics.logitMax(logits));
    }

    public Value sumExp(String op, Value logits, Value max) {
        return step(op, () -> Semantics.sumExp(logits, max));
    }

    public Value labelLogit(String op, long vocab, long vocabOffset, Value logits, Value labels) {
        return step(op, () -> Semantics.labelLogit(logits, labels, vocab, vocabOffset));
    }

    public Value crossEntropy(String op, long tokens, Value max, Value sumExp, Value labelLogit) {
        return step(op, () -> Semantics.loss(max, sumExp, labelLogit));
    }

    public Value lossGradient(String op, long tokens, long vocab, long vocabOffset, Value logits, Value labels, Value max, Value sumExp) {
        return step(op, () -> Semantics.lossGradient(logits, labels, max, sumExp, vocab, vocabOffset, tokens));
    }

    public Value gradient(String op, String forwardName, String forwardOp, int wrt, List<Value> saved, Value dy) {
        return step(op, () -> Semantics.gradient(model.op(forwardName), wrt, saved, dy, null, null, placeOf(forwardName)));
    }

    public Value gradientThroughWeight(String op, String forwardName, String forwardOp, int wrt, String weight, long[] offset, long[] shape,
            List<Value> saved, Value dy) {
        return step(op, () -> Semantics.gradient(model.op(forwardName), wrt, saved, dy, weightOf(op, weight, offset, shape), null,
                placeOf(forwardName).withFirstRow(offset[0])));
    }

    public Value weightGradient(String op, String forwardName, String forwardOp, String weight, long[] offset, long[] shape, List<Value> saved,
            Value dy) {
        Semantics.GradientShard at = forward.getOrDefault(forwardName, Semantics.GradientShard.NONE);
        return step(op, () -> Semantics.gradient(model.op(forwardName), pdagc.ir.Op.Grad.WEIGHT, saved, dy, null, shape, at.withFirstRow(offset[0])));
    }

    public Value accumulate(String op, List<Value> microBatches) {
        return step(op, () -> Semantics.accumulate(microBatches));
    }

    public Value adamW(String op, String weight, long[] offset, long[] shape, double lr, double eps, double weightDecay, Value gradient) {
        return step(op, () -> Semantics.adam(model.weight(weight, offset, shape), gradient, lr, eps, weightDecay));
    }

    public void newWeight(String op, String weight, long[] offset, long[] shape, Value value) {
        step(op, () -> value);
    }

    public Value dropoutMask(String op, double p, long[] global, long[] offset, long[] shape) {
        return step(op, () -> Semantics.dropoutMask(p, global, offset, shape, model.dataSeed(microBatch), model.original(op)));
    }

    public Value dropout(String op, double p, Value x, Value mask) {
        return step(op, () -> Semantics.dropout(x, mask, p));
    }

    /**
     * ZeRO-3: the weight the next call of {@code op} computes with, gathered from its shards at
     * rest; not a step of the plan (the gather is).
     */
    public void useWeight(String op, Value weight) {
        gathered.put(op, weight);
    }

    public Value weightShard(String op, String weight, long[] offset, long[] shape) {
        return step(op, () -> model.weight(weight, offset, shape));
    }

    /** The weight op {@code op} computes with: the one gathered for it (ZeRO-3), else the block of {@code weight} this GPU holds. */
    private Value weightOf(String op, String weight, long[] offset, long[] shape) {
        Value w = gathered.remove(op);
        return w != null ? w : model.weight(weight, offset, shape);
    }

    /** Where the forward op {@code name} ran on this GPU (recorded by its forward call), or nothing for an op that needs no place. */
    private Semantics.GradientShard placeOf(String name) {
        return forward.getOrDefault(name, Semantics.GradientShard.NONE);
    }

    private static long last(Value v) {
        long[] s = Semantics.shape(v);
        return s[s.length - 1];
    }
}
