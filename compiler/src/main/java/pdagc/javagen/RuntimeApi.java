package pdagc.javagen;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import com.palantir.javapoet.TypeVariableName;
import java.util.Collection;
import java.util.List;
import javax.lang.model.element.Modifier;
import pdagc.ir.Op;

/**
 * The runtime interface the generated programs call, defined once: the generator writes it into
 * the generated package and emits calls by these names. It uses only JDK types and a type variable
 * {@code T} for tensors, so that a user binds it to a real backend (device buffers, NCCL) and the
 * project's reference runtime binds to it without sharing a class with the generated code.
 * Shapes and offsets are the local block's, in elements, per dimension; {@code op} is the op's
 * name in the plan (for ops with parameters, also the name of the weight).
 */
enum RuntimeApi {
    BEGIN_UNIT("beginUnit", null,
            "Starts one step of the stage's schedule: micro-batch {@code microBatch} through pipeline chunk {@code chunk}. The calls"
                    + " that follow, up to the next step, work on that micro-batch.",
            p(TypeName.INT, "microBatch"), p(TypeName.INT, "chunk")),
    BEGIN_BACKWARD_UNIT(Op.Grad.class, "beginBackwardUnit", null,
            "Starts one backward step of a training step's schedule: the backward pass of micro-batch {@code microBatch} through"
                    + " pipeline chunk {@code chunk} (the layers in reverse). The calls that follow, up to the next step, work on that"
                    + " micro-batch.",
            p(TypeName.INT, "microBatch"), p(TypeName.INT, "chunk")),
    BEGIN_STEP(Op.Accumulate.class, "beginStep", null,
            "Starts the part of a training step that runs once per step, after every micro-batch's backward pass: each weight's"
                    + " gradient accumulated over the micro-batches, reduced over the data-parallel ranks, the optimizer step and the"
                    + " updated weight's gather. Transfers in it count as micro-batch 0."),
    INPUT("input", "this GPU's block of the micro-batch's token ids",
            "This GPU's block of the micro-batch's token ids: the ids form a tensor of shape {@code global}; the block starts at"
                    + " {@code offset} and has shape {@code shape}.",
            op(), p(Types.LONGS, "global"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape")),
    OUTPUT("output", null,
            "The model's output on this GPU: the block at {@code offset} of a tensor of shape {@code global}.",
            op(), p(Types.LONGS, "global"), p(Types.LONGS, "offset"), p(Types.T, "value")),
    EMBEDDING("embedding", "the embedded tokens (a partial sum when the table is split by rows)",
            "Looks {@code tokens} up in this GPU's block of the embedding table {@code op} (the block at {@code offset} with"
                    + " {@code shape}: rows {@code offset[0]} on); a token outside these rows gives zeros.",
            op(), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "tokens")),
    LINEAR("linear", "{@code x} times the block",
            "{@code x} times this GPU's block of the weight {@code op} ([in, out]; the block at {@code offset} with {@code shape}),"
                    + " over the last dimension.",
            op(), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "x")),
    NORM("norm", "the normalized {@code x}",
            "{@code type} ({@code layernorm} or {@code rmsnorm}) over the last dimension of {@code x}, with this GPU's block of"
                    + " the scale {@code op}.",
            op(), p(Types.STRING, "type"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "x")),
    ROUTER("router", "the gate's weights of the chosen experts, [.., top], with the experts' indices",
            "The gate: scores every token of {@code x} against the experts with the weight {@code op}, keeps the {@code top}"
                    + " best (ties to the lower expert) and renormalizes their weights.",
            op(), p(TypeName.INT, "top"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "x")),
    DISPATCH("dispatch", "the tokens' copies in buckets, one per expert",
            "Groups each token's top-k copies by chosen expert. Tokens carry global ids, from this block's batch and position"
                    + " offsets {@code tokenOffset} and the sequence length {@code sequence}, so that they find their way back.",
            op(), p(TypeName.INT, "experts"), p(Types.LONGS, "tokenOffset"), p(TypeName.LONG, "sequence"), p(Types.T, "x"),
            p(Types.T, "route")),
    EXPERT_LINEAR("expertLinear", "the buckets after their experts' linears",
            "Each expert's bucket of {@code x} times its weight: this GPU's block of the weight {@code op} ([experts, in, out]; the"
                    + " block at {@code offset} with {@code shape}, experts {@code offset[0]} on).",
            op(), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "x")),
    COMBINE("combine", "every token's gate-weighted sum of its experts' outputs, {@code width} wide",
            "Finds each token's copies in the expert outputs {@code y} by its global id (as in {@link #dispatch}) and sums them"
                    + " with the gate's weights in {@code route}.",
            op(), p(TypeName.INT, "width"), p(Types.LONGS, "tokenOffset"), p(TypeName.LONG, "sequence"), p(Types.T, "y"),
            p(Types.T, "route")),
    UNARY("unary", "{@code fn} of every element",
            "An elementwise function: {@code gelu}, {@code silu} or {@code relu}, on a tensor or on buckets.",
            op(), p(Types.STRING, "fn"), p(Types.T, "x")),
    BINARY("binary", "{@code a fn b}, element by element",
            "An elementwise {@code add} or {@code mul} of two tensors of one shape.",
            op(), p(Types.STRING, "fn"), p(Types.T, "a"), p(Types.T, "b")),
    SOFTMAX("softmax", "the softmax of {@code x}", "Softmax over the last dimension.", op(), p(Types.T, "x")),
    LAST_TOKEN("lastToken", "[b, 1, h]", "Keeps the last position of every sequence of {@code x} [b, s, h].", op(), p(Types.T, "x")),
    ATTENTION_SCORES("attentionScores", "the scores [b, heads, s, keys]",
            "Scaled attention scores of queries {@code q} [b, s, heads * headDim] against keys {@code k} [b, s, kvHeads * headDim]."
                    + " {@code queryOffset} and {@code kvOffset} place the blocks of q and k in their tensors (batch, position,"
                    + " head * headDim); query head h uses key/value head h / {@code queriesPerKvHead}. With {@code context} 0 (prefill)"
                    + " attention is causal over the sequence; otherwise (decode) the keys are the {@code context} positions of the"
                    + " KV cache {@code cache}, the new token last.",
            op(), p(Types.STRING, "cache"), p(TypeName.INT, "headDim"), p(TypeName.INT, "queriesPerKvHead"), p(TypeName.LONG, "context"),
            p(Types.LONGS, "queryOffset"), p(Types.LONGS, "kvOffset"), p(Types.T, "q"), p(Types.T, "k")),
    ATTENTION_CONTEXT("attentionContext", "[b, s, heads * headDim]",
            "Attention probabilities {@code probs} times values {@code v}; the other arguments as in {@link #attentionScores}.",
            op(), p(Types.STRING, "cache"), p(TypeName.INT, "headDim"), p(TypeName.INT, "queriesPerKvHead"), p(TypeName.LONG, "context"),
            p(Types.LONGS, "queryOffset"), p(Types.LONGS, "kvOffset"), p(Types.T, "probs"), p(Types.T, "v")),
    EINSUM(Op.Einsum.class, "einsum", "the contraction's result",
            "The contraction {@code spec} (activation, weight -> result, one letter per dimension, a letter the result lacks summed"
                    + " over) of {@code x} and this GPU's block of the weight {@code op} (the block at {@code offset} with {@code shape}).",
            op(), p(Types.STRING, "spec"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "x")),
    BIAS(Op.Bias.class, "bias", "{@code x} plus the block",
            "Adds this GPU's block of the bias {@code op} (the block at {@code offset} with {@code shape}) to every row of {@code x},"
                    + " over the last dimension.",
            op(), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "x")),
    HEAD_NORM(Op.HeadNorm.class, "headNorm", "the normalized {@code x}",
            "{@code type} ({@code layernorm} or {@code rmsnorm}) of every {@code headDim}-wide head of the last dimension of"
                    + " {@code x}, all heads with this GPU's block of the one scale {@code op} (the block at {@code offset} with"
                    + " {@code shape}).",
            op(), p(Types.STRING, "type"), p(TypeName.INT, "headDim"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "x")),
    SCALE(Op.Scale.class, "scale", "{@code x} with every row times its gate",
            "Scales every row of {@code x} [.., h] by its value of {@code gate} [.., 1] (a shared expert's sigmoid gate).",
            op(), p(Types.T, "x"), p(Types.T, "gate")),
    TIED_HEAD(Op.TiedHead.class, "tiedHead", "the logits of this GPU's vocabulary rows, [.., rows]",
            "{@code x} [.., dim] times the transpose of this GPU's block of the embedding table {@code table} ([vocab, dim]; the"
                    + " block at {@code offset} with {@code shape}, vocabulary rows {@code offset[0]} on): an output projection that"
                    + " shares the embedding's weight.",
            op(), p(Types.STRING, "table"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "x")),
    POSITION_EMBEDDING(Op.PosEmbed.class, "positionEmbedding", "[b, s, dim]",
            "The rows of this GPU's block of the learned position table {@code op} ([positions, dim]; the block at {@code offset}"
                    + " with {@code shape}) for the tokens {@code tokens} [b, s]: token j of a sequence is at position"
                    + " {@code firstPosition + j}.",
            op(), p(TypeName.LONG, "firstPosition"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "tokens")),
    MLA_SCORES(Op.MlaScores.class, "mlaScores", "the scores [b, heads, s, keys]",
            "Multi-head latent attention scores, scaled by 1 / sqrt(nope + rope): the queries' {@code qNope} [b, s, heads * nope]"
                    + " part goes through this GPU's block of the key up-projection {@code op} ([rank, heads * nope]; the block at"
                    + " {@code offset} with {@code shape}) and meets the {@code latent} [b, s, rank]; {@code qRope}"
                    + " [b, s, heads * rope] meets the shared rope key {@code kRope} [b, s, rope]. {@code tokenOffset} holds the"
                    + " batch offset of the latent and the position offset of the queries. With {@code context} 0 (prefill) the"
                    + " scores are causal; otherwise (decode) the keys are the {@code context} positions of the caches"
                    + " {@code latentCache} and {@code ropeCache}, the new token last.",
            op(), p(Types.STRING, "latentCache"), p(Types.STRING, "ropeCache"), p(TypeName.INT, "nope"), p(TypeName.INT, "rope"),
            p(TypeName.LONG, "context"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.LONGS, "tokenOffset"), p(Types.T, "qNope"),
            p(Types.T, "qRope"), p(Types.T, "latent"), p(Types.T, "kRope")),
    MLA_CONTEXT(Op.MlaContext.class, "mlaContext", "[b, s, heads * vDim]",
            "Latent attention probabilities {@code probs} [b, heads, s, keys] times the values that this GPU's block of the value"
                    + " up-projection {@code op} ([rank, heads * vDim]; the block at {@code offset} with {@code shape}) makes from"
                    + " {@code latent}; the other arguments as in {@link #mlaScores}.",
            op(), p(Types.STRING, "latentCache"), p(TypeName.LONG, "context"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"),
            p(Types.LONGS, "tokenOffset"), p(Types.T, "probs"), p(Types.T, "latent")),
    SLICE("slice", "block {@code index} of {@code ways} of dimension {@code dim}",
            "Keeps this GPU's part of a dimension of {@code x} that is whole here and split over the mesh axes {@code axes}"
                    + " downstream; no communication.",
            op(), p(Types.STRING, "axes"), p(TypeName.INT, "dim"), p(TypeName.INT, "ways"), p(TypeName.INT, "index"), p(Types.T, "x")),
    ALL_REDUCE("allReduce", "the sum of all members' {@code x}",
            "All-reduce over the mesh axes {@code axes} ({@code +}-separated) with the members {@code group} (ascending GPU ids,"
                    + " this GPU among them).",
            op(), p(Types.STRING, "axes"), p(Types.INTS, "group"), p(Types.T, "x")),
    ALL_REDUCE_MAX(Op.LogitStat.class, "allReduceMax", "the elementwise maximum of all members' {@code x}",
            "All-reduce with the maximum in place of the sum (NCCL's {@code ncclMax}) over the mesh axes {@code axes} with the"
                    + " members {@code group}, as in {@link #allReduce}: the vocabulary-parallel cross-entropy's largest logit.",
            op(), p(Types.STRING, "axes"), p(Types.INTS, "group"), p(Types.T, "x")),
    ALL_GATHER("allGather", "the members' blocks concatenated on {@code dim}, in group order",
            "All-gather over {@code axes} with the members {@code group}.",
            op(), p(Types.STRING, "axes"), p(Types.INTS, "group"), p(TypeName.INT, "dim"), p(Types.T, "x")),
    REDUCE_SCATTER("reduceScatter", "this member's block of dimension {@code dim} of the sum",
            "Reduce-scatter over {@code axes} with the members {@code group}.",
            op(), p(Types.STRING, "axes"), p(Types.INTS, "group"), p(TypeName.INT, "dim"), p(Types.T, "x")),
    ALL_TO_ALL("allToAll", "the blocks the members sent here, concatenated on {@code concatDim} in group order",
            "All-to-all over {@code axes} with the members {@code group}: block i of {@code splitDim} goes to member i. Dispatched"
                    + " tokens go to the members that hold their experts ({@code splitDim} 0) and come back to where they came from"
                    + " ({@code splitDim} 1).",
            op(), p(Types.STRING, "axes"), p(Types.INTS, "group"), p(TypeName.INT, "splitDim"), p(TypeName.INT, "concatDim"),
            p(Types.T, "x")),
    SEND("send", null,
            "Sends {@code x} to GPU {@code peer} (the next pipeline stage) on {@code channel}, for the current micro-batch; does not"
                    + " wait for the receiver.",
            op(), p(Types.STRING, "channel"), p(TypeName.INT, "peer"), p(Types.T, "x")),
    RECV("recv", "what GPU {@code peer} sent on {@code channel} for the current micro-batch",
            "Receives from GPU {@code peer} (the previous pipeline stage), waiting until it has sent.",
            op(), p(Types.STRING, "channel"), p(TypeName.INT, "peer")),
    LOGIT_MAX(Op.LogitStat.class, "logitMax", "the largest logit of every position, [b, s]",
            "The first statistic of Megatron's vocabulary-parallel cross-entropy: every position's largest logit over the"
                    + " vocabulary columns of {@code logits} [b, s, columns] that this GPU holds (a partial maximum, which an"
                    + " {@link #allReduceMax} completes).",
            op(), p(Types.T, "logits")),
    SUM_EXP(Op.LogitStat.class, "sumExp", "the sum over the columns held of exp(logit - max), [b, s]",
            "The second statistic: every position's sum of {@code exp(z - max)} over the columns of {@code logits} that this GPU"
                    + " holds, with the whole vocabulary's {@code max} [b, s] (a partial sum).",
            op(), p(Types.T, "logits"), p(Types.T, "max")),
    LABEL_LOGIT(Op.LogitStat.class, "labelLogit", "every position's label logit where this GPU holds it, else 0, [b, s]",
            "The third statistic: the logit of every position's label (the next token of {@code labels} [b, s]) in a vocabulary of"
                    + " {@code vocab}, on the GPU whose columns of {@code logits} (from {@code vocabOffset} on) hold it, 0 on the others"
                    + " (a partial sum).",
            op(), p(TypeName.LONG, "vocab"), p(TypeName.LONG, "vocabOffset"), p(Types.T, "logits"), p(Types.T, "labels")),
    CROSS_ENTROPY(Op.Loss.class, "crossEntropy", "the loss of every position, [b, s]",
            "The training loss of every position from the three whole statistics: {@code log(sumExp) + max - labelLogit}. The"
                    + " step's loss is their mean over the global batch's {@code tokens} tokens.",
            op(), p(TypeName.LONG, "tokens"), p(Types.T, "max"), p(Types.T, "sumExp"), p(Types.T, "labelLogit")),
    LOSS_GRADIENT(Op.Loss.class, "lossGradient", "the gradient of the mean loss with respect to this GPU's columns of {@code logits}",
            "The backward pass's first op, on the vocabulary columns of {@code logits} that this GPU holds (from"
                    + " {@code vocabOffset} on, of {@code vocab}): (exp(z - max) / sumExp - onehot(label)) / {@code tokens} for every"
                    + " position, from the whole statistics {@code max} and {@code sumExp}; it comes out split as the logits are.",
            op(), p(TypeName.LONG, "tokens"), p(TypeName.LONG, "vocab"), p(TypeName.LONG, "vocabOffset"), p(Types.T, "logits"),
            p(Types.T, "labels"), p(Types.T, "max"), p(Types.T, "sumExp")),
    GRADIENT(Op.Grad.class, "gradient", "the gradient of input {@code wrt}, split as the forward op required that input",
            "The gradient of input {@code wrt} of the forward op {@code forward} (a weightless op, {@code forwardOp} in the IR's"
                    + " notation: its kind and attributes, {@code softmax}, {@code attn_scores[heads=8, kv_heads=8, head_dim=8]}), from"
                    + " the forward values {@code saved} that its gradient rule reads (kept by the forward pass or recomputed) and"
                    + " the gradient {@code dy} of the forward op's output. A backend that needs the forward call's offsets (attention's"
                    + " positions, a dispatch's token ids) has them from the call named {@code forward} on the same micro-batch.",
            op(), p(Types.STRING, "forward"), p(Types.STRING, "forwardOp"), p(TypeName.INT, "wrt"), p(Types.LIST_OF_T, "saved"),
            p(Types.T, "dy")),
    GRADIENT_THROUGH_WEIGHT(Op.Grad.class, "gradientThroughWeight", "the gradient of input {@code wrt}, split as the forward op required it",
            "As {@link #gradient}, for a forward op with a weight: {@code offset} and {@code shape} give this GPU's block of the"
                    + " weight {@code weight} that the forward op read (the forward op's own, or the embedding table a tied head"
                    + " reads), which the gradient reads too (a linear's input gradient is {@code dy} times its transpose).",
            op(), p(Types.STRING, "forward"), p(Types.STRING, "forwardOp"), p(TypeName.INT, "wrt"), p(Types.STRING, "weight"),
            p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.LIST_OF_T, "saved"), p(Types.T, "dy")),
    WEIGHT_GRADIENT(Op.Grad.class, "weightGradient", "the gradient of this GPU's block of the weight, a partial sum over the ranks that split"
            + " the forward op's tokens",
            "The gradient of the weight {@code weight} that the forward op {@code forward} ({@code forwardOp}, as in"
                    + " {@link #gradient}) read, for one micro-batch: this GPU's block at {@code offset} with {@code shape}, from the"
                    + " forward values {@code saved} (the op's input) and the output's gradient {@code dy}.",
            op(), p(Types.STRING, "forward"), p(Types.STRING, "forwardOp"), p(Types.STRING, "weight"), p(Types.LONGS, "offset"),
            p(Types.LONGS, "shape"),
            p(Types.LIST_OF_T, "saved"), p(Types.T, "dy")),
    ACCUMULATE(Op.Accumulate.class, "accumulate", "the sum of the micro-batches' gradients",
            "Gradient accumulation: the sum of one weight gradient over the step's micro-batches ({@code microBatches}, micro-batch"
                    + " 0 first), as it is split and partial on this GPU.",
            op(), p(Types.LIST_OF_T, "microBatches")),
    ADAM_W(Op.Update.class, "adamW", "this GPU's shard of the updated weight",
            "The optimizer step on this GPU's shard of the weight {@code weight} (the block at {@code offset} with {@code shape}:"
                    + " the whole layout without ZeRO, a 1/n shard of it over the data-parallel ranks from ZeRO 1 on): AdamW with"
                    + " learning rate {@code lr}, betas 0.9 and 0.999, {@code eps} and decoupled weight decay {@code weightDecay},"
                    + " from the reduced {@code gradient}; the fp32 master weight and the two moments are the backend's state.",
            op(), p(Types.STRING, "weight"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(TypeName.DOUBLE, "lr"),
            p(TypeName.DOUBLE, "eps"), p(TypeName.DOUBLE, "weightDecay"), p(Types.T, "gradient")),
    NEW_WEIGHT(Op.Updated.class, "newWeight", null,
            "The updated weight {@code weight} for the next step's forward pass: this GPU's block of it at {@code offset} with"
                    + " {@code shape}, as the forward pass reads it.",
            op(), p(Types.STRING, "weight"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape"), p(Types.T, "value")),
    WEIGHT_SHARD(Op.Param.class, "weightShard", "this GPU's shard of the weight",
            "ZeRO-3: this GPU's shard at rest of the weight {@code weight} (the block at {@code offset} with {@code shape}, the"
                    + " shard its optimizer step updates). Each use gathers it (all-gather calls) and passes the gathered weight by"
                    + " {@link #useWeight} before its call.",
            op(), p(Types.STRING, "weight"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape")),
    USE_WEIGHT(Op.Param.class, "useWeight", null,
            "ZeRO-3: the weight that the next call of op {@code op} computes with, gathered from the shards at rest, in place of a"
                    + " block the GPU would otherwise hold.",
            op(), p(Types.T, "weight")),
    DROPOUT_MASK(Op.DropoutMask.class, "dropoutMask", "this GPU's block of the mask, one byte per element",
            "A dropout mask for the current micro-batch: keep with probability 1 - {@code p}, drawn per element from the step's"
                    + " seed, the op and the element's global position, so that every rank draws its block of one mask and a"
                    + " recomputation draws it again. The mask covers a tensor of shape {@code global}; this GPU's block starts at"
                    + " {@code offset} with shape {@code shape}.",
            op(), p(TypeName.DOUBLE, "p"), p(Types.LONGS, "global"), p(Types.LONGS, "offset"), p(Types.LONGS, "shape")),
    DROPOUT(Op.Dropout.class, "dropout", "{@code x} times {@code mask} / (1 - {@code p})",
            "Dropout of {@code x} with its {@code mask}.",
            op(), p(TypeName.DOUBLE, "p"), p(Types.T, "x"), p(Types.T, "mask"));

    /** Doc comments are wrapped to this width, so that the generated lines stay within 100 columns. */
    static final int DOC_WIDTH = 90;

    /** Parameter types of the interface. */
    static final class Types {
        static final TypeVariableName T = TypeVariableName.get("T");
        static final TypeName STRING = ClassName.get(String.class);
        static final TypeName LONGS = ArrayTypeName.of(TypeName.LONG);
        static final TypeName INTS = ArrayTypeName.of(TypeName.INT);
        static final TypeName LIST_OF_T = com.palantir.javapoet.ParameterizedTypeName.get(ClassName.get(List.class), T);

        private Types() {}
    }

    /** One parameter: its type and name. */
    record Param(TypeName type, String name) {}

    private final Class<? extends Op> onlyFor;
    private final String method;
    private final String returns;
    private final String doc;
    private final List<Param> params;

    RuntimeApi(String method, String returns, String doc, Param... params) {
        this(null, method, returns, doc, params);
    }

    /** A method declared only in the interfaces of plans that have an op of class {@code onlyFor}. */
    RuntimeApi(Class<? extends Op> onlyFor, String method, String returns, String doc, Param... params) {
        this.onlyFor = onlyFor;
        this.method = method;
        this.returns = returns;
        this.doc = doc;
        this.params = List.of(params);
    }

    /** The method's name in the interface. */
    String method() {
        return method;
    }

    /** Whether the method gives a tensor back (otherwise it is void). */
    boolean returnsTensor() {
        return returns != null;
    }

    private static Param p(TypeName type, String name) {
        return new Param(type, name);
    }

    private static Param op() {
        return p(Types.STRING, "op");
    }

    /**
     * The interface, named {@code name}, for a plan whose ops are {@code ops}: every method of the
     * original op set, and the methods of the imported architectures' ops (biases, head norms, tied
     * heads, latent attention) only where the plan has such an op, so that the interface of a plan
     * without them does not change with them.
     */
    static TypeSpec interfaceSpec(ClassName name, String planDoc, Collection<Op> ops) {
        TypeSpec.Builder b = TypeSpec.interfaceBuilder(name)
                .addModifiers(Modifier.PUBLIC)
                .addTypeVariable(Types.T)
                .addJavadoc("$L\n", JavaText.wrap("What the programs of " + planDoc + " call: kernels, collectives and point-to-point transfers"
                        + " on tensors of type {@code T}. Bind it to a backend (device buffers and a collective library); one instance per"
                        + " GPU, which knows its GPU. Shapes and offsets are per dimension, in elements; {@code op} is the op's name in the"
                        + " plan, and for ops with parameters also the name of their weight." + (ops.stream().anyMatch(Op.Grad.class::isInstance)
                        ? " A forward op that the backward pass recomputes is named as its original with {@code .recompute} appended"
                                + " and reads its original's weight."
                        : ""), DOC_WIDTH))
                .addJavadoc("\n@param <T> the backend's tensor type\n");
        for (RuntimeApi m : values()) {
            if (m.onlyFor == null || ops.stream().anyMatch(m.onlyFor::isInstance)) b.addMethod(m.spec());
        }
        return b.build();
    }

    private MethodSpec spec() {
        MethodSpec.Builder b = MethodSpec.methodBuilder(method).addModifiers(Modifier.PUBLIC, Modifier.ABSTRACT)
                .addJavadoc("$L\n", JavaText.wrap(doc, DOC_WIDTH));
        for (Param p : params) b.addParameter(ParameterSpec.builder(p.type(), p.name()).build());
        if (returns != null) {
            b.returns(Types.T);
            b.addJavadoc("\n$L\n", JavaText.wrap("@return " + returns, DOC_WIDTH));
        }
        return b.build();
    }
}
