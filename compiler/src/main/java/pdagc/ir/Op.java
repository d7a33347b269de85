package pdagc.ir;

import java.util.List;

/**
 * The operations of the IR. Each record carries its attributes and knows its own name, kind and
 * weight shape, so that adding an operation means filling in one record. Ops up to
 * {@link Combine} come from blocks; {@link Collective} and {@link Slice} are inserted by the
 * partitioner.
 */
public sealed interface Op {
    String name();

    NodeKind kind();

    /** The shape of this op's parameters on one replica, or null when it has none. */
    default Shape weight() {
        return null;
    }

    /**
     * The inputs that a decode step reads from the KV cache for earlier positions (keys, values, a
     * latent), each a [B, S, width] tensor whose width is cached per token. An input that several
     * ops read is listed by one of them only.
     */
    default List<Integer> cachedInputs() {
        return List.of();
    }

    /** The factor spec of a contraction op (its FLOPs and weight layout come from it), or null. */
    default Contraction contraction() {
        return null;
    }

    /**
     * The gradient rule (see {@link GradRule}), or null when the op has none yet: training a model
     * that uses it is refused with a diagnostic.
     */
    default GradRule gradRule() {
        return null;
    }

    /** Attributes in a fixed order for the IR's text form. */
    default String attributes() {
        return "";
    }

    /**
     * Bytes per element of the value this op writes where the op itself fixes them (a dropout
     * mask's one byte), or 0: the activation size of the element type it runs in.
     */
    default int elementBytes() {
        return 0;
    }

    /** Hands this op to the method of {@code v} for its type. */
    <R> R accept(Visitor<R> v);

    /**
     * One method per operation: a per-op concern kept outside the op (a kernel, a generated call,
     * a cost) implements it, so that a new operation is a compile error until every concern has
     * its case.
     */
    interface Visitor<R> {
        R input(Input op);
        R output(Output op);
        R embed(Embed op);
        R linear(Linear op);
        R norm(Norm op);
        R attnScores(AttnScores op);
        R softmax(Softmax op);
        R attnContext(AttnContext op);
        R unary(Unary op);
        R binary(Binary op);
        R router(Router op);
        R dispatch(Dispatch op);
        R expertLinear(ExpertLinear op);
        R combine(Combine op);
        R bias(Bias op);
        R headNorm(HeadNorm op);
        R scale(Scale op);
        R tiedHead(TiedHead op);
        R posEmbed(PosEmbed op);
        R mlaScores(MlaScores op);
        R mlaContext(MlaContext op);
        R lastToken(LastToken op);
        R einsum(Einsum op);
        R collective(Collective op);
        R transfer(Transfer op);
        R slice(Slice op);
        R grad(Grad op);
        R logitStat(LogitStat op);
        R loss(Loss op);
        R update(Update op);
        R updated(Updated op);
        R param(Param op);
        R accumulate(Accumulate op);
        R dropoutMask(DropoutMask op);
        R dropout(Dropout op);
    }

    /** Token ids of the batch, [batch, tokens]. */
    record Input() implements Op {
        public <R> R accept(Visitor<R> v) { return v.input(this); }
        public String name() { return "input"; }
        public NodeKind kind() { return NodeKind.IO; }
    }

    /** The model's output (the logits that are needed). */
    record Output() implements Op {
        public <R> R accept(Visitor<R> v) { return v.output(this); }
        public String name() { return "output"; }
        public NodeKind kind() { return NodeKind.IO; }
    }

    /** Token embedding lookup: [B, S] ids -> [B, S, dim]. */
    record Embed(long vocab, long dim) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0), GradRule.Flow.NONE); }
        public <R> R accept(Visitor<R> v) { return v.embed(this); }
        public String name() { return "embedding"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public Shape weight() { return new Shape(vocab, dim); }
        public String attributes() { return "vocab=" + vocab + ", dim=" + dim; }
    }

    /**
     * x @ W with W [in, out], over the last dimension. {@code groups} > 0 says the output is made
     * of that many equal units (heads): a column split keeps units whole and, when the axis does
     * not divide the units, the weight is replicated instead (the GQA rule for key/value heads).
     */
    record Linear(long in, long out, long groups) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0), GradRule.Flow.from()); }
        public <R> R accept(Visitor<R> v) { return v.linear(this); }
        public String name() { return "linear"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public Shape weight() { return new Shape(in, out); }
        public Contraction contraction() { return Contraction.LINEAR; }
        public String attributes() { return "in=" + in + ", out=" + out + (groups > 0 ? ", groups=" + groups : ""); }
    }

    /** LayerNorm or RMSNorm over the last dimension, with a learned scale. */
    record Norm(NormType type, long dim) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0), GradRule.Flow.from(0)); }
        public <R> R accept(Visitor<R> v) { return v.norm(this); }
        public String name() { return type.text(); }
        public NodeKind kind() { return NodeKind.NORM; }
        public Shape weight() { return new Shape(dim); }
        public String attributes() { return "dim=" + dim; }
    }

    /**
     * Scaled attention scores, causal in prefill: (q [B, S, heads·d], k [B, S, kv·d]) ->
     * [B, heads, S, T], T the keys' length (the context in decode). Query head h uses key/value
     * head h / (heads / kv).
     */
    record AttnScores(long heads, long kvHeads, long headDim) implements Op {
        public GradRule gradRule() { return GradRule.of(GradRule.Flow.from(1), GradRule.Flow.from(0)); }
        public <R> R accept(Visitor<R> v) { return v.attnScores(this); }
        public String name() { return "attn_scores"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public String attributes() { return "heads=" + heads + ", kv_heads=" + kvHeads + ", head_dim=" + headDim; }
        public List<Integer> cachedInputs() { return List.of(1); }
    }

    /** Softmax over the last dimension. */
    record Softmax() implements Op {
        public GradRule gradRule() { return GradRule.of(GradRule.Flow.from(GradRule.OUTPUT)); }
        public <R> R accept(Visitor<R> v) { return v.softmax(this); }
        public String name() { return "softmax"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
    }

    /** Probabilities times values: ([B, heads, S, T], v [B, S, kv·d]) -> [B, S, heads·d]. */
    record AttnContext(long heads, long kvHeads, long headDim) implements Op {
        public GradRule gradRule() { return GradRule.of(GradRule.Flow.from(1), GradRule.Flow.from(0)); }
        public <R> R accept(Visitor<R> v) { return v.attnContext(this); }
        public String name() { return "attn_context"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public String attributes() { return "heads=" + heads + ", kv_heads=" + kvHeads + ", head_dim=" + headDim; }
        public List<Integer> cachedInputs() { return List.of(1); }
    }

    /** An elementwise function of one tensor: a built-in {@link UnaryFn} or one an {@link OpSet} adds. */
    record Unary(Elementwise fn) implements Op {
        public GradRule gradRule() { return fn.derivative() ? GradRule.of(GradRule.Flow.from(0)) : null; }
        public <R> R accept(Visitor<R> v) { return v.unary(this); }
        public String name() { return fn.text(); }
        public NodeKind kind() { return NodeKind.COMPUTE; }
    }

    /** Elementwise add or mul of two tensors of one shape. */
    record Binary(BinaryFn fn) implements Op {
        public GradRule gradRule() { return fn == BinaryFn.ADD ? GradRule.of(GradRule.Flow.IDENTITY, GradRule.Flow.IDENTITY) : GradRule.of(GradRule.Flow.from(1), GradRule.Flow.from(0)); }
        public <R> R accept(Visitor<R> v) { return v.binary(this); }
        public String name() { return fn.text(); }
        public NodeKind kind() { return NodeKind.COMPUTE; }
    }

    /** The gate: scores each token against the experts and keeps the top k, [B,S,H] -> [B,S,k] choices. */
    record Router(long experts, long top, long dim) implements Op {
        /** Through the gate weights only (a softmax over the chosen experts' logits); the top-k choice is piecewise constant: no gradient. */
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0, GradRule.OUTPUT), GradRule.Flow.from(GradRule.OUTPUT)); }
        public <R> R accept(Visitor<R> v) { return v.router(this); }
        public String name() { return "router"; }
        public NodeKind kind() { return NodeKind.ROUTING; }
        public Shape weight() { return new Shape(dim, experts); }
        public String attributes() { return "experts=" + experts + ", top=" + top; }
    }

    /** Groups each token's copies by chosen expert: ([B,S,H], choices) -> [E, C, H] buckets. */
    record Dispatch(long experts, long top) implements Op {
        /** Each token gets the sum of its copies' gradients, gathered back from the buckets; the choices get none. */
        public GradRule gradRule() { return GradRule.of(GradRule.Flow.from(), GradRule.Flow.NONE); }
        public <R> R accept(Visitor<R> v) { return v.dispatch(this); }
        public String name() { return "dispatch"; }
        public NodeKind kind() { return NodeKind.ROUTING; }
        public String attributes() { return "experts=" + experts + ", top=" + top; }
    }

    /** One linear per expert over its bucket: [E, C, in] -> [E, C, out]. */
    record ExpertLinear(long experts, long in, long out) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0), GradRule.Flow.from()); }
        public <R> R accept(Visitor<R> v) { return v.expertLinear(this); }
        public String name() { return "expert_linear"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public Shape weight() { return new Shape(experts, in, out); }
        public Contraction contraction() { return Contraction.EXPERT_LINEAR; }
        public String attributes() { return "experts=" + experts + ", in=" + in + ", out=" + out; }
    }

    /** Returns bucketed outputs to their tokens and sums the top-k with the gate's weights. */
    record Combine(long experts, long top) implements Op {
        /** Expert outputs: the token's gradient times its gate weight (bucketed as they came); gate weights: the token's gradient dotted with the expert output. */
        public GradRule gradRule() { return GradRule.of(GradRule.Flow.from(1), GradRule.Flow.from(0)); }
        public <R> R accept(Visitor<R> v) { return v.combine(this); }
        public String name() { return "combine"; }
        public NodeKind kind() { return NodeKind.ROUTING; }
        public String attributes() { return "experts=" + experts + ", top=" + top; }
    }

    /** Adds a learned bias over the last dimension (linear biases; LayerNorm's shift after its scale). */
    record Bias(long dim) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(), GradRule.Flow.IDENTITY); }
        public <R> R accept(Visitor<R> v) { return v.bias(this); }
        public String name() { return "bias"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public Shape weight() { return new Shape(dim); }
        public String attributes() { return "dim=" + dim; }
    }

    /**
     * LayerNorm or RMSNorm of every {@code headDim}-wide head of the last dimension, with one
     * learned scale that all heads share (Qwen3's query and key norms).
     */
    record HeadNorm(NormType type, long headDim, long width) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0), GradRule.Flow.from(0)); }
        public <R> R accept(Visitor<R> v) { return v.headNorm(this); }
        public String name() { return "head_" + type.text(); }
        public NodeKind kind() { return NodeKind.NORM; }
        public Shape weight() { return new Shape(headDim); }
        public String attributes() { return "head_dim=" + headDim + ", dim=" + width; }
    }

    /** Scales each row by a gate: (x [.., H], g [.., 1]) -> x * g (a shared expert's sigmoid gate). */
    record Scale() implements Op {
        public GradRule gradRule() { return GradRule.of(GradRule.Flow.from(1), GradRule.Flow.from(0)); }
        public <R> R accept(Visitor<R> v) { return v.scale(this); }
        public String name() { return "scale"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
    }

    /**
     * The output projection of tied embeddings: x [.., dim] times the transposed token-embedding
     * table, [.., vocab]. It has no weight of its own: it reads the embedding's.
     */
    record TiedHead(long dim, long vocab) implements Op {
        /** The weight it reads is the embedding table's: its gradient is summed into the embedding's (one optimizer step). */
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0), GradRule.Flow.from()); }
        public <R> R accept(Visitor<R> v) { return v.tiedHead(this); }
        public String name() { return "unembed"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public String attributes() { return "dim=" + dim + ", vocab=" + vocab; }
    }

    /** Learned position embedding (GPT-2): token ids [B, S] -> the rows of their positions, [B, S, dim]. */
    record PosEmbed(long positions, long dim) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(), GradRule.Flow.NONE); }
        public <R> R accept(Visitor<R> v) { return v.posEmbed(this); }
        public String name() { return "pos_embed"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public Shape weight() { return new Shape(positions, dim); }
        public String attributes() { return "positions=" + positions + ", dim=" + dim; }
    }

    /**
     * Multi-head latent attention scores (DeepSeek): (q_nope [B, S, heads·nope], q_rope
     * [B, S, heads·rope], latent [B, S, rank], k_rope [B, S, rope]) -> [B, heads, S, T]. Keys are
     * never materialized: the key up-projection W_UK [rank, heads·nope] is absorbed into the
     * queries, so the KV cache holds only the latent and the shared rope key.
     */
    record MlaScores(long heads, long nope, long rope, long rank) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0, 2), GradRule.Flow.from(2), GradRule.Flow.from(3), GradRule.Flow.from(0), GradRule.Flow.from(1)); }
        public <R> R accept(Visitor<R> v) { return v.mlaScores(this); }
        public String name() { return "mla_scores"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public Shape weight() { return new Shape(rank, Overflow.mul(heads, nope)); }
        public String attributes() { return "heads=" + heads + ", nope=" + nope + ", rope=" + rope + ", rank=" + rank; }
        public List<Integer> cachedInputs() { return List.of(2, 3); }
    }

    /**
     * Multi-head latent attention's weighted sum: (probs [B, heads, S, T], latent [B, S, rank]) ->
     * [B, S, heads·vDim], through the value up-projection W_UV [rank, heads·vDim] (absorbed: values
     * are made from the cached latent).
     */
    record MlaContext(long heads, long rank, long vDim) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0, 1), GradRule.Flow.from(1), GradRule.Flow.from(0)); }
        public <R> R accept(Visitor<R> v) { return v.mlaContext(this); }
        public String name() { return "mla_context"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public Shape weight() { return new Shape(rank, Overflow.mul(heads, vDim)); }
        public String attributes() { return "heads=" + heads + ", rank=" + rank + ", v_dim=" + vDim; }
    }

    /** Keeps the last position of every sequence: [B, S, H] -> [B, 1, H] (prefill's next-token logits). */
    record LastToken() implements Op {
        public GradRule gradRule() { return GradRule.of(GradRule.Flow.from()); }
        public <R> R accept(Visitor<R> v) { return v.lastToken(this); }
        public String name() { return "last_token"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
    }

    /**
     * A contraction with a weight that a {@link ContractionDef} defines: the activation against
     * a weight of shape {@code weight}, every rule read off the definition's factor spec.
     */
    record Einsum(ContractionDef def, Shape weight) implements Op {
        public GradRule gradRule() { return GradRule.withWeight(GradRule.Flow.from(0), GradRule.Flow.from()); }
        public <R> R accept(Visitor<R> v) { return v.einsum(this); }
        public String name() { return def.name(); }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public Contraction contraction() { return def.spec(); }
        public String attributes() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < weight.rank(); i++) b.append(i > 0 ? ", " : "").append(def.weightNames().get(i)).append('=').append(weight.dim(i));
            return b.toString();
        }
    }

    /**
     * A collective over mesh axes, inserted by the partitioner. {@code dim} is the dimension a
     * gather concatenates, a scatter splits, or an all-to-all splits; {@code toDim} is the
     * dimension an all-to-all concatenates; {@code reduction} what an all-reduce computes (the sum,
     * or for partial maxima the maximum).
     */
    record Collective(CollectiveKind collective, List<String> axes, int dim, int toDim, Reduction reduction) implements Op {
        /** A collective that sums where it reduces. */
        public Collective(CollectiveKind collective, List<String> axes, int dim, int toDim) {
            this(collective, axes, dim, toDim, Reduction.SUM);
        }

        public <R> R accept(Visitor<R> v) { return v.collective(this); }
        public String name() { return collective.opName(); }
        public NodeKind kind() { return NodeKind.COLLECTIVE; }
        public String attributes() {
            String a = "axes=" + String.join("+", axes);
            return switch (collective) {
                case ALL_REDUCE -> reduction == Reduction.SUM ? a : a + ", op=" + reduction.text();
                case ALL_GATHER, REDUCE_SCATTER -> a + ", dim=" + dim;
                case ALL_TO_ALL -> a + ", split=" + dim + ", concat=" + toDim;
                case SEND, RECV -> a;
            };
        }
    }

    /**
     * One half of a point-to-point transfer between pipeline chunks: the send runs on the
     * producer's stage, the recv on the consumer's, between ranks that differ only in pp.
     */
    record Transfer(boolean send, int fromChunk, int toChunk) implements Op {
        public <R> R accept(Visitor<R> v) { return v.transfer(this); }
        public String name() { return send ? "send" : "recv"; }
        public NodeKind kind() { return NodeKind.COLLECTIVE; }
        public String attributes() { return "from=" + fromChunk + ", to=" + toChunk; }
    }

    /** Keeps this rank's part of a replicated dimension; local, no communication. */
    record Slice(List<String> axes, int dim) implements Op {
        public <R> R accept(Visitor<R> v) { return v.slice(this); }
        public String name() { return "slice"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public String attributes() { return "axes=" + String.join("+", axes) + ", dim=" + dim; }
    }

    /**
     * A gradient of the backward pass, derived from the forward op it differentiates (its
     * {@link GradRule}): with respect to input {@code wrt} of logical node {@code forwardNode}, or
     * its weight when {@code wrt} is {@link #WEIGHT}. Its inputs are the forward values of the rule's
     * {@code reads}, in order, then the gradient of the forward output. Its shape is the input's or
     * the weight's; its sharding, kernel and cost follow from the forward op's.
     */
    record Grad(Op forward, int forwardNode, int wrt, List<Integer> reads) implements Op {
        public static final int WEIGHT = -1;

        public <R> R accept(Visitor<R> v) { return v.grad(this); }
        public String name() { return forward.name() + (wrt == WEIGHT ? "_wgrad" : "_grad"); }
        public NodeKind kind() { return NodeKind.BACKWARD; }
        /** {@code of} is the logical node differentiated (its id in the logical IR); a weight's gradient says so by its name. */
        public String attributes() { return "of=" + forwardNode + (wrt == WEIGHT ? "" : ", wrt=" + wrt); }

        /** Whether this is a weight's gradient. */
        public boolean ofWeight() {
            return wrt == WEIGHT;
        }

        /**
         * The matrix product this gradient is, when the forward op is a contraction: the input's
         * gradient contracts the output's gradient with the weight ({@code "bsn,kn->bsk"} for a
         * linear), the weight's contracts the input with the output's gradient ({@code "bsk,bsn->kn"}).
         * Its first operand is this op's first input. Null for other ops.
         */
        public Contraction product() {
            Contraction c = forward.contraction();
            if (c == null) return null;
            return ofWeight() ? Contraction.parse(c.activation() + "," + c.result() + "->" + c.operand(1))
                    : Contraction.parse(c.result() + "," + c.operand(1) + "->" + c.activation());
        }
    }

    /**
     * One per-token statistic of the logits over the vocabulary, [B, S, V] -> [B, S], of the three
     * that the cross-entropy combines (Megatron's vocabulary-parallel cross-entropy): each rank
     * computes it over the vocabulary columns it holds, so where the logits arrive split over the
     * vocabulary (a column-parallel head) it is a partial value over those axes, which the
     * partitioner all-reduces like any other:
     * <ul>
     *   <li>{@code logit_max} (logits): the largest logit, a partial maximum (all-reduced with max);
     *   <li>{@code sum_exp} (logits, the whole max): {@code Σ exp(z - max)}, a partial sum;
     *   <li>{@code label_logit} (logits, token ids): the label's logit on the rank whose columns
     *       hold it, 0 on the others, a partial sum.
     * </ul>
     * No gradient flows through them: the loss's own rule differentiates the whole cross-entropy.
     */
    record LogitStat(Stat stat, long vocab) implements Op {
        /** Which statistic. */
        public enum Stat {
            MAX("logit_max"), SUM_EXP("sum_exp"), LABEL("label_logit");

            private final String text;

            Stat(String text) {
                this.text = text;
            }

            public String text() {
                return text;
            }
        }

        public GradRule gradRule() { return stat == Stat.MAX ? GradRule.of(GradRule.Flow.NONE) : GradRule.of(GradRule.Flow.NONE, GradRule.Flow.NONE); }
        public <R> R accept(Visitor<R> v) { return v.logitStat(this); }
        public String name() { return stat.text(); }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public String attributes() { return "vocab=" + vocab; }
    }

    /**
     * Cross-entropy of the logits against the next tokens, per token: (logits [B, S, V], token ids
     * [B, S], their {@link LogitStat}s max, sum_exp and label_logit, each [B, S]) -> [B, S],
     * {@code log(sum_exp) + max - label_logit}. Position j's label is token j + 1 of its sequence
     * (the last position's, the first token: a tiny, deterministic stand-in for the data loader's
     * next token). The step's loss is the mean over all {@code tokens} tokens of the global batch,
     * so its gradient seed is {@code 1 / tokens} per token. The logits' gradient,
     * {@code (exp(z - max) / sum_exp - onehot(label)) / tokens}, reads the logits, the labels and
     * the two whole statistics, each rank on its own vocabulary columns: it comes out split as the
     * logits are, with no gather.
     */
    record Loss(long vocab, long tokens) implements Op {
        /** Its inputs, in order. */
        public static final int LOGITS = 0, TOKENS = 1, MAX = 2, SUM_EXP = 3, LABEL = 4;

        public <R> R accept(Visitor<R> v) { return v.loss(this); }
        public String name() { return "cross_entropy"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public String attributes() { return "vocab=" + vocab + ", tokens=" + tokens; }
        public GradRule gradRule() {
            return GradRule.of(GradRule.Flow.from(LOGITS, TOKENS, MAX, SUM_EXP), GradRule.Flow.NONE, GradRule.Flow.NONE, GradRule.Flow.NONE, GradRule.Flow.NONE);
        }
    }

    /**
     * The optimizer step on the weight of logical node {@code forwardNode}: its (reduced) gradient
     * -> the updated weight, on whatever shard of it the strategy's ZeRO stage gives this rank.
     * AdamW's first step from zero moments ({@code lr}, betas 0.9 / 0.999, {@code eps},
     * {@code weightDecay}); the moments and an fp32 master copy are the optimizer's state.
     */
    record Update(Op forward, int forwardNode, double lr, double eps, double weightDecay) implements Op {
        /** The hyper-parameters a training step is lowered with (and verify runs with). */
        public static final double LR = 1e-3, EPS = 1e-8, WEIGHT_DECAY = 0.01;

        /** AdamW with the default hyper-parameters. */
        public Update(Op forward, int forwardNode) {
            this(forward, forwardNode, LR, EPS, WEIGHT_DECAY);
        }

        public <R> R accept(Visitor<R> v) { return v.update(this); }
        public String name() { return "adam"; }
        public NodeKind kind() { return NodeKind.OPTIMIZER; }
        public String attributes() { return "of=" + forwardNode; }
    }

    /**
     * Gradient accumulation: the sum over the step's micro-batches of a weight's gradient (of
     * logical node {@code forwardNode}), as it is split and partial on this rank. It runs once per
     * step, after the last micro-batch's gradient; what follows it (the gradient's reduction over
     * the data-parallel ranks, the optimizer step) runs once per step too.
     */
    record Accumulate(Op forward, int forwardNode) implements Op {
        public <R> R accept(Visitor<R> v) { return v.accumulate(this); }
        public String name() { return "accumulate"; }
        public NodeKind kind() { return NodeKind.BACKWARD; }
        public String attributes() { return "of=" + forwardNode; }
    }

    /** The updated weight of logical node {@code forwardNode}, whole as its layout holds it for the next step's forward pass. */
    record Updated(Op forward, int forwardNode) implements Op {
        public <R> R accept(Visitor<R> v) { return v.updated(this); }
        public String name() { return "new_weight"; }
        public NodeKind kind() { return NodeKind.IO; }
        public String attributes() { return "of=" + forwardNode; }
    }

    /**
     * ZeRO-3: this rank's shard at rest of the weight of logical node {@code forwardNode} (its
     * optimizer's shard, the one it updates), which each forward and backward use gathers to the
     * layout that use reads ({@link #weight()} is the whole weight's shape). No gradient flows
     * through it: the weight's gradient is the weight op's own.
     */
    record Param(Op forward, int forwardNode) implements Op {
        public <R> R accept(Visitor<R> v) { return v.param(this); }
        public String name() { return "weight_shard"; }
        public NodeKind kind() { return NodeKind.IO; }
        public String attributes() { return "of=" + forwardNode; }
        public GradRule gradRule() { return GradRule.of(); }
    }

    /**
     * The mask of a dropout in a training step, one byte per element of its input's shape: keep
     * (1) with probability 1 - p, drop (0) with probability p. Its input gives it only its shape
     * and sharding; it is drawn per element from the step's seed, the node and the element's global
     * position, so every rank draws its own part of one mask, the unpartitioned model draws the same
     * one, and a recomputation draws it again. No gradient flows through it.
     */
    record DropoutMask(double p) implements Op {
        /** Bytes per element of a mask (Korthikanti et al. 2022 count dropout masks as bytes). */
        public static final int BYTES = 1;

        public <R> R accept(Visitor<R> v) { return v.dropoutMask(this); }
        public String name() { return "dropout_mask"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public String attributes() { return "p=" + p + ", bytes=" + BYTES; }
        public int elementBytes() { return BYTES; }
    }

    /**
     * Dropout in a training step: (x, mask) -> x · mask / (1 - p), the mask from a
     * {@link DropoutMask} of x. Its gradient, dy · mask / (1 - p), reads only the mask.
     */
    record Dropout(double p) implements Op {
        public GradRule gradRule() { return GradRule.of(GradRule.Flow.from(1), GradRule.Flow.NONE); }
        public <R> R accept(Visitor<R> v) { return v.dropout(this); }
        public String name() { return "dropout"; }
        public NodeKind kind() { return NodeKind.COMPUTE; }
        public String attributes() { return "p=" + p; }
    }
}
