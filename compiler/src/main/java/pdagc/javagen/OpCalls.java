package pdagc.javagen;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.mesh.Sharding;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;
import pdagc.spmd.WeightLayout;

/**
 * The runtime call of each op: which {@link RuntimeApi} method, and its arguments computed from the
 * op's attributes and the rank's coordinates (weight blocks from {@link WeightLayout}, token and
 * head offsets from the shardings of the op's inputs, collective groups from the program's group
 * fields, pipeline peers from the mesh). Every op of the IR has its case here: the calls are an
 * {@link Op.Visitor}, so a new op does not compile until it has one.
 */
final class OpCalls {
    private final SpmdProgram program;
    private final Graph logical;
    private final Coordinates coords;
    private final Map<String, String> groupFields;
    private final ClassName meshClass;
    private final long attentionContext;
    /** The forward op of each logical node, found on first use. */
    private Map<Integer, SpmdNode> forward;

    /**
     * Calls for one program. {@code groupFields} names the field holding the group of each axes
     * key ({@code "ep+tp"}); {@code attentionContext} is the KV cache's length in decode, 0 in prefill.
     */
    OpCalls(SpmdProgram program, Graph logical, Coordinates coords, Map<String, String> groupFields, ClassName meshClass, long attentionContext) {
        this.program = program;
        this.logical = logical;
        this.coords = coords;
        this.groupFields = groupFields;
        this.meshClass = meshClass;
        this.attentionContext = attentionContext;
    }

    /** One call: the method, and its arguments as Java expressions. */
    record Call(RuntimeApi method, List<CodeBlock> args, String weight) {
        Call(RuntimeApi method, List<CodeBlock> args) {
            this(method, args, null);
        }

        /** The same call, computing with {@code variable}, a weight gathered from its shards at rest (ZeRO-3). */
        Call withWeight(String variable) {
            return new Call(method, args, variable);
        }

        /** A call with arguments written as Java source text, then any that need imports. */
        static Call of(RuntimeApi method, List<String> args, CodeBlock... more) {
            List<CodeBlock> out = new ArrayList<>();
            for (String a : args) out.add(CodeBlock.of("$L", a));
            out.addAll(List.of(more));
            return new Call(method, List.copyOf(out));
        }
    }

    /** The axes key of a collective: its axes joined by {@code +}. */
    static String axesKey(List<String> axes) {
        return String.join("+", axes);
    }

    /** The call for op {@code n}; {@code local} names the Java variable that holds each input. */
    Call call(SpmdNode n, IntFunction<String> local) {
        Op op = n.op();
        List<String> in = new ArrayList<>();
        boolean recv = op instanceof Op.Transfer t && !t.send();
        List<Integer> inputs = n.inputs();
        String weight = null;
        // ZeRO-3: the weight an op computes with arrives as its last input, gathered from its shard at rest.
        boolean moves = op instanceof Op.Collective || op instanceof Op.Slice || op instanceof Op.Transfer;
        if (!moves && !inputs.isEmpty() && isWeight(inputs.get(inputs.size() - 1))) {
            weight = local.apply(inputs.get(inputs.size() - 1));
            inputs = inputs.subList(0, inputs.size() - 1);
        }
        if (!recv) for (int i : inputs) in.add(local.apply(i));
        String name = JavaText.literal(n.name());
        Call call = op.accept(new Calls(n, name, in));
        return weight == null ? call : call.withWeight(weight);
    }

    /** Whether SPMD op {@code id} holds a weight: ZeRO-3's shard at rest, or a gather of it. */
    private boolean isWeight(int id) {
        return logical.node(program.nodes().get(id).origin()).op() instanceof Op.Param;
    }

    /** The runtime call of each op. */
    private final class Calls implements Op.Visitor<Call> {
        private final SpmdNode n;
        private final String name;
        private final List<String> in;

        Calls(SpmdNode n, String name, List<String> in) {
            this.n = n;
            this.name = name;
            this.in = in;
        }

        public Call input(Op.Input op) {
            return Call.of(RuntimeApi.INPUT, List.of(name, Coordinates.dims(n.shape()), coords.offsets(n.sharding(), n.shape()), Coordinates.dims(n.local())));
        }

        public Call output(Op.Output op) {
            return Call.of(RuntimeApi.OUTPUT, List.of(name, Coordinates.dims(n.shape()), coords.offsets(n.sharding(), n.shape()), in.get(0)));
        }

        public Call embed(Op.Embed op) {
            return weighted(RuntimeApi.EMBEDDING, n, List.of(), in);
        }

        public Call linear(Op.Linear op) {
            return weighted(RuntimeApi.LINEAR, n, List.of(), in);
        }

        public Call norm(Op.Norm norm) {
            return weighted(RuntimeApi.NORM, n, List.of(JavaText.literal(norm.type().text())), in);
        }

        public Call router(Op.Router r) {
            return weighted(RuntimeApi.ROUTER, n, List.of(Long.toString(r.top())), in);
        }

        public Call expertLinear(Op.ExpertLinear op) {
            return weighted(RuntimeApi.EXPERT_LINEAR, n, List.of(), in);
        }

        public Call einsum(Op.Einsum op) {
            return weighted(RuntimeApi.EINSUM, n, List.of(JavaText.literal(op.contraction().toString())), in);
        }

        public Call unary(Op.Unary u) {
            return Call.of(RuntimeApi.UNARY, List.of(name, JavaText.literal(u.fn().text()), in.get(0)));
        }

        public Call binary(Op.Binary b) {
            return Call.of(RuntimeApi.BINARY, List.of(name, JavaText.literal(b.fn().text()), in.get(0), in.get(1)));
        }

        public Call softmax(Op.Softmax op) {
            return Call.of(RuntimeApi.SOFTMAX, List.of(name, in.get(0)));
        }

        public Call lastToken(Op.LastToken op) {
            return Call.of(RuntimeApi.LAST_TOKEN, List.of(name, in.get(0)));
        }

        public Call attnScores(Op.AttnScores a) {
            return attention(RuntimeApi.ATTENTION_SCORES, n, a.heads(), a.kvHeads(), a.headDim(), n.inputs().get(0), n.inputs().get(1), in);
        }

        public Call attnContext(Op.AttnContext a) {
            // Back from the probabilities (through their dropout, in training, and their softmax) to the scores.
            SpmdNode scores = node(n.inputs().get(0));
            while (!(scores.op() instanceof Op.AttnScores)) scores = node(scores.inputs().get(0));
            return attention(RuntimeApi.ATTENTION_CONTEXT, n, a.heads(), a.kvHeads(), a.headDim(), scores.inputs().get(0), n.inputs().get(1), in);
        }

        public Call dispatch(Op.Dispatch d) {
            SpmdNode x = node(n.inputs().get(0));
            return Call.of(RuntimeApi.DISPATCH, List.of(name, Long.toString(d.experts()), tokenOffset(x), Coordinates.number(x.shape().dim(1)),
                    in.get(0), in.get(1)));
        }

        public Call combine(Op.Combine op) {
            SpmdNode route = node(n.inputs().get(1));
            return Call.of(RuntimeApi.COMBINE, List.of(name, Coordinates.number(n.local().last()), tokenOffset(route),
                    Coordinates.number(route.shape().dim(1)), in.get(0), in.get(1)));
        }

        public Call bias(Op.Bias op) {
            return weighted(RuntimeApi.BIAS, n, List.of(), in);
        }

        public Call headNorm(Op.HeadNorm h) {
            return weighted(RuntimeApi.HEAD_NORM, n, List.of(JavaText.literal(h.type().text()), Long.toString(h.headDim())), in);
        }

        public Call scale(Op.Scale op) {
            return Call.of(RuntimeApi.SCALE, List.of(name, in.get(0), in.get(1)));
        }

        public Call tiedHead(Op.TiedHead t) {
            return OpCalls.this.tiedHead(n, t, in);
        }

        public Call posEmbed(Op.PosEmbed op) {
            return weighted(RuntimeApi.POSITION_EMBEDDING, n, List.of(firstPosition(node(n.inputs().get(0)))), in);
        }

        public Call mlaScores(Op.MlaScores m) {
            List<Integer> q = n.inputs();
            SpmdNode latent = node(q.get(2));
            return weighted(RuntimeApi.MLA_SCORES, n, List.of(cacheName(latent), cacheName(node(q.get(3))), Long.toString(m.nope()),
                    Long.toString(m.rope()), Coordinates.number(attentionContext)), mlaTokenOffset(node(q.get(0)), latent), in);
        }

        public Call mlaContext(Op.MlaContext op) {
            SpmdNode scores = node(n.inputs().get(0));
            while (!(scores.op() instanceof Op.MlaScores)) scores = node(scores.inputs().get(0));
            SpmdNode latent = node(n.inputs().get(1));
            return weighted(RuntimeApi.MLA_CONTEXT, n, List.of(cacheName(latent), Coordinates.number(attentionContext)),
                    mlaTokenOffset(node(scores.inputs().get(0)), latent), in);
        }

        // Megatron's vocabulary-parallel cross-entropy: three statistics on the columns each GPU holds, then the loss from the whole ones.
        public Call logitStat(Op.LogitStat s) {
            return switch (s.stat()) {
                case MAX -> Call.of(RuntimeApi.LOGIT_MAX, List.of(name, in.get(0)));
                case SUM_EXP -> Call.of(RuntimeApi.SUM_EXP, List.of(name, in.get(0), in.get(1)));
                case LABEL -> Call.of(RuntimeApi.LABEL_LOGIT, List.of(name, Coordinates.number(s.vocab()), vocabOffset(n), in.get(0), in.get(1)));
            };
        }

        public Call loss(Op.Loss l) {
            return Call.of(RuntimeApi.CROSS_ENTROPY, List.of(name, Coordinates.number(l.tokens()), in.get(Op.Loss.MAX), in.get(Op.Loss.SUM_EXP),
                    in.get(Op.Loss.LABEL)));
        }

        public Call grad(Op.Grad g) {
            return OpCalls.this.grad(n, g, name, in);
        }

        public Call accumulate(Op.Accumulate a) {
            return Call.of(RuntimeApi.ACCUMULATE, List.of(name, in.get(0)));
        }

        // ZeRO-3: this GPU's shard at rest of a weight, which its uses gather.
        public Call param(Op.Param p) {
            return Call.of(RuntimeApi.WEIGHT_SHARD, List.of(name, JavaText.literal(weightName(p.forward(), p.forwardNode())),
                    coords.offsets(n.sharding(), n.shape()), Coordinates.dims(n.local())));
        }

        public Call update(Op.Update u) {
            return Call.of(RuntimeApi.ADAM_W, List.of(name, JavaText.literal(weightName(u.forward(), u.forwardNode())),
                    coords.offsets(n.sharding(), n.shape()), Coordinates.dims(n.local()), Double.toString(u.lr()), Double.toString(u.eps()),
                    Double.toString(u.weightDecay()), in.get(0)));
        }

        public Call updated(Op.Updated u) {
            return Call.of(RuntimeApi.NEW_WEIGHT, List.of(name, JavaText.literal(weightName(u.forward(), u.forwardNode())),
                    coords.offsets(n.sharding(), n.shape()), Coordinates.dims(n.local()), in.get(0)));
        }

        // The mask's input gives it only its shape and sharding: the call draws this GPU's block of it.
        public Call dropoutMask(Op.DropoutMask m) {
            return Call.of(RuntimeApi.DROPOUT_MASK, List.of(name, Double.toString(m.p()), Coordinates.dims(n.shape()),
                    coords.offsets(n.sharding(), n.shape()), Coordinates.dims(n.local())));
        }

        public Call dropout(Op.Dropout d) {
            return Call.of(RuntimeApi.DROPOUT, List.of(name, Double.toString(d.p()), in.get(0), in.get(1)));
        }

        public Call slice(Op.Slice s) {
            return Call.of(RuntimeApi.SLICE, List.of(name, JavaText.literal(axesKey(s.axes())), Integer.toString(s.dim()),
                    Integer.toString(program.mesh().size(s.axes())), coords.block(s.axes()), in.get(0)));
        }

        public Call collective(Op.Collective c) {
            return OpCalls.this.collective(n, c, name, in.get(0));
        }

        public Call transfer(Op.Transfer t) {
            return OpCalls.this.transfer(n, t, name, in);
        }
    }

    /**
     * A gradient: the loss's (from the logits and the labels), a weight's (this GPU's block of it),
     * or an input's, through the forward op's weight where it has one. The forward values it reads
     * come first in its inputs, the output's gradient last.
     */
    private Call grad(SpmdNode n, Op.Grad g, String name, List<String> in) {
        Op f = g.forward();
        if (f instanceof Op.Loss l) {
            return Call.of(RuntimeApi.LOSS_GRADIENT, List.of(name, Coordinates.number(l.tokens()), Coordinates.number(l.vocab()), vocabOffset(n),
                    in.get(0), in.get(1), in.get(2), in.get(3)));
        }
        String forwardOp = JavaText.literal(f.name() + (f.attributes().isEmpty() ? "" : "[" + f.attributes() + "]"));
        CodeBlock saved = CodeBlock.of("$T.of($L)", List.class, String.join(", ", in.subList(0, in.size() - 1)));
        CodeBlock dy = CodeBlock.of("$L", in.get(in.size() - 1));
        String weight = JavaText.literal(weightName(f, g.forwardNode()));
        String forward = JavaText.literal(logical.node(g.forwardNode()).name());
        if (g.ofWeight()) {
            return Call.of(RuntimeApi.WEIGHT_GRADIENT, List.of(name, forward, forwardOp, weight, coords.offsets(n.sharding(), n.shape()),
                    Coordinates.dims(n.local())), saved, dy);
        }
        SpmdNode fwd = forwardOf(g.forwardNode());
        Sharding ws;
        Shape global;
        if (f instanceof Op.TiedHead t) {
            global = logical.tiedTable(t).op().weight();
            ws = WeightLayout.tiedTable(fwd.sharding());
        } else {
            ws = WeightLayout.of(fwd, program);
            global = f.weight();
        }
        if (ws == null) return Call.of(RuntimeApi.GRADIENT, List.of(name, forward, forwardOp, Integer.toString(g.wrt())), saved, dy);
        return Call.of(RuntimeApi.GRADIENT_THROUGH_WEIGHT, List.of(name, forward, forwardOp, Integer.toString(g.wrt()), weight, coords.offsets(ws, global),
                Coordinates.dims(ws.local(global, program.mesh()))), saved, dy);
    }

    /** The first vocabulary column of this rank's block of the logits that op {@code n} reads first (split over tp, or whole). */
    private String vocabOffset(SpmdNode n) {
        SpmdNode logits = node(n.inputs().get(0));
        return coords.offset(logits.sharding(), logits.shape().rank() - 1, logits.shape());
    }

    /** The name of the weight that forward op {@code f} (logical node {@code forwardNode}) reads: its own, or a tied head's table. */
    private String weightName(Op f, int forwardNode) {
        if (f instanceof Op.TiedHead t) {
            Node table = logical.tiedTable(t);
            if (table == null) throw new IllegalStateException("no embedding table for the tied head " + logical.node(forwardNode).name());
            return table.name();
        }
        return logical.node(forwardNode).name();
    }

    /** The forward SPMD op of logical node {@code id}: the first op made from it that is not a collective, a transfer or a slice. */
    private SpmdNode forwardOf(int id) {
        if (forward == null) {
            forward = new java.util.HashMap<>();
            for (SpmdNode n : program.nodes()) {
                if (!(n.op() instanceof Op.Collective || n.op() instanceof Op.Transfer || n.op() instanceof Op.Slice)) forward.putIfAbsent(n.origin(), n);
            }
        }
        SpmdNode n = forward.get(id);
        if (n == null) throw new IllegalStateException("no forward op for logical node %" + id);
        return n;
    }

    private SpmdNode node(int id) {
        return program.nodes().get(id);
    }

    /** An op with a weight: its name, extra attributes, this rank's block of the weight, then its inputs. */
    private Call weighted(RuntimeApi method, SpmdNode n, List<String> attributes, List<String> in) {
        return weighted(method, n, attributes, null, in);
    }

    /** As above, with the tokens' offsets ({@code tokenOffset}, when not null) between the weight's block and the inputs. */
    private Call weighted(RuntimeApi method, SpmdNode n, List<String> attributes, String tokenOffset, List<String> in) {
        String weight = logical.node(n.origin()).name();
        // A recomputed op (training) reads its original's weight under its own name, the original's plus ".recompute".
        if (!weight.equals(n.name()) && !n.name().equals(weight + ".recompute")) {
            throw new IllegalStateException("op " + n.name() + " carries the weight of " + weight);
        }
        Sharding s = WeightLayout.of(n, program);
        Shape global = n.op().weight();
        List<String> args = new ArrayList<>();
        args.add(JavaText.literal(n.name()));
        args.addAll(attributes);
        args.add(coords.offsets(s, global));
        args.add(Coordinates.dims(s.local(global, program.mesh())));
        if (tokenOffset != null) args.add(tokenOffset);
        args.addAll(in);
        return Call.of(method, args);
    }

    /**
     * A tied head reads the embedding table of its vocabulary and width (the first, as the
     * verifier finds it), this rank's block of its rows split as the head's output columns.
     */
    private Call tiedHead(SpmdNode n, Op.TiedHead t, List<String> in) {
        Node table = logical.tiedTable(t);
        if (table == null) throw new IllegalStateException("no embedding table for the tied head " + n.name());
        Shape global = table.op().weight();
        Sharding rows = WeightLayout.tiedTable(n.sharding());
        return Call.of(RuntimeApi.TIED_HEAD, List.of(JavaText.literal(n.name()), JavaText.literal(table.name()), coords.offsets(rows, global),
                Coordinates.dims(rows.local(global, program.mesh())), in.get(0)));
    }

    /** The position of a rank's first token: its sequence offset in prefill; in decode, the context's last positions. */
    private String firstPosition(SpmdNode tokens) {
        String offset = coords.offset(tokens.sharding(), 1, tokens.shape());
        if (attentionContext == 0) return offset;
        String base = Coordinates.number(attentionContext - tokens.shape().dim(1));
        return offset.equals("0") ? base : base + " + " + offset;
    }

    /** The name of the logical value a cached input holds (its KV cache in decode). */
    private String cacheName(SpmdNode cached) {
        return JavaText.literal(logical.node(cached.origin()).name());
    }

    /** Latent attention's token offsets: the latent's batch offset and the queries' position offset. */
    private String mlaTokenOffset(SpmdNode q, SpmdNode latent) {
        return Coordinates.longs(List.of(coords.offset(latent.sharding(), 0, latent.shape()), coords.offset(q.sharding(), 1, q.shape())));
    }

    /** Attention: the KV cache's name (the key/value projection), head geometry, the q and k/v blocks' offsets, then the inputs. */
    private Call attention(RuntimeApi method, SpmdNode n, long heads, long kvHeads, long headDim, int qId, int kvId, List<String> in) {
        SpmdNode q = node(qId);
        SpmdNode kv = node(kvId);
        return Call.of(method, List.of(JavaText.literal(n.name()), JavaText.literal(logical.node(kv.origin()).name()), Long.toString(headDim),
                Long.toString(heads / kvHeads), Coordinates.number(attentionContext), coords.offsets(q.sharding(), q.shape()),
                coords.offsets(kv.sharding(), kv.shape()), in.get(0), in.get(1)));
    }

    /** The batch and position offsets of a block of tokens. */
    private String tokenOffset(SpmdNode tokens) {
        return Coordinates.longs(List.of(coords.offset(tokens.sharding(), 0, tokens.shape()), coords.offset(tokens.sharding(), 1, tokens.shape())));
    }

    private Call collective(SpmdNode n, Op.Collective c, String name, String x) {
        String key = axesKey(c.axes());
        String group = groupFields.get(key);
        if (group == null) throw new IllegalStateException("no group field for axes " + key);
        List<String> head = List.of(name, JavaText.literal(key), group);
        List<String> args = new ArrayList<>(head);
        // Only the vocabulary-parallel cross-entropy's largest logit reduces a maximum, by an all-reduce.
        if (c.reduction() != pdagc.ir.Reduction.SUM && c.collective() != pdagc.ir.CollectiveKind.ALL_REDUCE) {
            throw new IllegalStateException("a " + c.collective().opName() + " reducing by " + c.reduction().text() + ": " + n.name());
        }
        RuntimeApi method = switch (c.collective()) {
            case ALL_REDUCE -> c.reduction() == pdagc.ir.Reduction.MAX ? RuntimeApi.ALL_REDUCE_MAX : RuntimeApi.ALL_REDUCE;
            case ALL_GATHER -> RuntimeApi.ALL_GATHER;
            case REDUCE_SCATTER -> RuntimeApi.REDUCE_SCATTER;
            case ALL_TO_ALL -> RuntimeApi.ALL_TO_ALL;
            case SEND, RECV -> throw new IllegalStateException("a transfer as a collective: " + n.name());
        };
        if (c.collective() != pdagc.ir.CollectiveKind.ALL_REDUCE) args.add(Integer.toString(c.dim()));
        if (method == RuntimeApi.ALL_TO_ALL) args.add(Integer.toString(c.toDim()));
        args.add(x);
        return Call.of(method, args);
    }

    /** A send names its own channel; a recv the channel of the send it takes from. Peers differ only in the pipeline stage. */
    private Call transfer(SpmdNode n, Op.Transfer t, String name, List<String> in) {
        int stages = program.pipeline().stages();
        int peerStage = (t.send() ? t.toChunk() : t.fromChunk()) % stages;
        CodeBlock peer = CodeBlock.of("$T.rank($L)", meshClass, String.join(", ", coords.all(peerStage)));
        if (t.send()) return Call.of(RuntimeApi.SEND, List.of(name, name), peer, CodeBlock.of("$L", in.get(0)));
        return Call.of(RuntimeApi.RECV, List.of(name, JavaText.literal(node(n.inputs().get(0)).name())), peer);
    }
}
