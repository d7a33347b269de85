package pdagc.lower;

import pdagc.ir.Overflow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import pdagc.ast.Expr;
import pdagc.diag.Diagnostic;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.ir.Shape;
import pdagc.sem.ModelSpec;

/**
 * The built-in operations that blocks call: their signatures (tensor count, named numbers,
 * allowed annotations) and their shape rules. A call that breaks a rule is a diagnostic at the call.
 */
final class Builtins {
    /** The fixed operations: these and each norm type by its name. */
    private static final Set<String> FIXED = fixed(List.of("embed", "linear", "norm", "attn_scores", "softmax", "attn_context", "act", "router",
            "dispatch", "expert_linear", "combine", "last_token", "bias", "head_norm", "scale", "unembed", "pos_embed", "mla_scores", "mla_context", "dropout"));
    /** The built-in operations: the fixed ones and the standard set's functions. */
    private static final Set<String> NAMES = names(pdagc.ir.OpSet.STANDARD);

    private static Set<String> fixed(List<String> ops) {
        Set<String> out = new java.util.TreeSet<>(ops);
        for (pdagc.ir.NormType t : pdagc.ir.NormType.values()) out.add(t.text());
        return java.util.Collections.unmodifiableSet(out);
    }

    /** The operations a block may call with {@code ops}. */
    static Set<String> names(pdagc.ir.OpSet ops) {
        Set<String> out = new java.util.TreeSet<>(FIXED);
        out.addAll(ops.names());
        return java.util.Collections.unmodifiableSet(out);
    }

    /** An op ready to be added: the op, its input nodes and its output shape. */
    record Result(Op op, List<Integer> inputs, Shape shape) {}

    private final ModelSpec model;
    private final Map<String, Long> params;
    private final pdagc.ir.Graph graph;
    private final pdagc.ir.OpSet ops;
    private Expr.Call call;
    private Diagnostics diagnostics;

    Builtins(ModelSpec model, Map<String, Long> params, pdagc.ir.Graph graph, pdagc.ir.OpSet ops) {
        this.ops = ops;
        this.model = model;
        this.params = params;
        this.graph = graph;
    }

    static Set<String> names() {
        return NAMES;
    }

    static boolean isBuiltin(String name, pdagc.ir.OpSet ops) {
        return FIXED.contains(name) || ops.function(name) != null || ops.contraction(name) != null;
    }

    Result build(String name, Expr.Call call, List<Val.Tensor> in, Map<String, Long> named, List<Parallel> parallel, Diagnostics diagnostics) {
        this.call = call;
        this.diagnostics = diagnostics;
        // A norm type or an elementwise function by its own name is `norm` or `act` of that kind.
        String kind = pdagc.ir.NormType.find(name) != null ? "norm" : ops.function(name) != null ? "act" : ops.contraction(name) != null ? "einsum" : name;
        return switch (kind) {
            case "embed" -> sig(in, 1, named, List.of("vocab", "dim"), parallel, Set.of(Parallel.Style.VOCAB))
                    && rank(in.get(0), 2) ? embed(in.get(0), named) : null;
            case "linear" -> sig(in, 1, named, List.of("out", "groups?"), parallel, Set.of(Parallel.Style.COLUMN, Parallel.Style.ROW))
                    ? linear(in.get(0), named.get("out"), named.getOrDefault("groups", 0L)) : null;
            case "norm" -> sig(in, 1, named, List.of(), parallel, Set.of(Parallel.Style.COLUMN))
                    ? new Result(new Op.Norm(pdagc.ir.NormType.of(name.equals("norm") ? model.norm() : name), in.get(0).shape().last()), ids(in), in.get(0).shape())
                    : null;
            case "softmax" -> sig(in, 1, named, List.of(), parallel, Set.of()) ? new Result(new Op.Softmax(), ids(in), in.get(0).shape()) : null;
            case "act" -> sig(in, 1, named, List.of(), parallel, Set.of())
                    ? new Result(new Op.Unary(name.equals("act") ? pdagc.ir.UnaryFn.of(model.act()) : ops.function(name)), ids(in), in.get(0).shape())
                    : null;
            case "attn_scores" -> sig(in, 2, named, List.of("heads", "kv_heads", "head_dim"), parallel, Set.of()) && rank(in.get(0), 3)
                    && rank(in.get(1), 3) ? scores(in.get(0), in.get(1), named) : null;
            case "attn_context" -> sig(in, 2, named, List.of("heads", "kv_heads", "head_dim"), parallel, Set.of()) && rank(in.get(0), 4)
                    && rank(in.get(1), 3) ? context(in.get(0), in.get(1), named) : null;
            case "router" -> sig(in, 1, named, List.of("experts", "top"), parallel, Set.of()) && rank(in.get(0), 3) ? router(in.get(0), named) : null;
            case "dispatch" -> sig(in, 2, named, List.of(), parallel, Set.of(Parallel.Style.EXPERTS)) && rank(in.get(0), 3)
                    && routed(in.get(1)) ? dispatch(in.get(0), in.get(1)) : null;
            case "expert_linear" -> sig(in, 1, named, List.of("out"), parallel,
                    Set.of(Parallel.Style.COLUMN, Parallel.Style.ROW, Parallel.Style.EXPERTS)) && rank(in.get(0), 3)
                    ? expertLinear(in.get(0), named.get("out")) : null;
            case "combine" -> sig(in, 2, named, List.of(), parallel, Set.of(Parallel.Style.EXPERTS)) && rank(in.get(0), 3)
                    && routed(in.get(1)) ? combine(in.get(0), in.get(1)) : null;
            case "last_token" -> sig(in, 1, named, List.of(), parallel, Set.of()) && rank(in.get(0), 3)
                    ? new Result(new Op.LastToken(), ids(in), in.get(0).shape().with(1, 1)) : null;
            case "dropout" -> sig(in, 1, named, List.of(), parallel, Set.of())
                    ? new Result(new Op.Dropout(model.dropout()), ids(in), in.get(0).shape()) : null;
            case "bias" -> sig(in, 1, named, List.of(), parallel, Set.of())
                    ? new Result(new Op.Bias(in.get(0).shape().last()), ids(in), in.get(0).shape()) : null;
            case "head_norm" -> sig(in, 1, named, List.of("head_dim"), parallel, Set.of()) ? headNorm(in.get(0), named.get("head_dim")) : null;
            case "scale" -> sig(in, 2, named, List.of(), parallel, Set.of()) ? scale(in.get(0), in.get(1)) : null;
            case "unembed" -> sig(in, 1, named, List.of("vocab"), parallel, Set.of(Parallel.Style.COLUMN)) ? unembed(in.get(0), named.get("vocab")) : null;
            case "pos_embed" -> sig(in, 1, named, List.of("positions", "dim"), parallel, Set.of()) && rank(in.get(0), 2)
                    ? posEmbed(in.get(0), named.get("positions"), named.get("dim")) : null;
            case "mla_scores" -> sig(in, 4, named, List.of("heads", "nope", "rope"), parallel, Set.of()) && rank(in.get(0), 3)
                    && rank(in.get(1), 3) && rank(in.get(2), 3) && rank(in.get(3), 3) ? mlaScores(in, named) : null;
            case "mla_context" -> sig(in, 2, named, List.of("heads", "v_dim"), parallel, Set.of()) && rank(in.get(0), 4)
                    && rank(in.get(1), 3) ? mlaContext(in.get(0), in.get(1), named) : null;
            case "einsum" -> einsum(ops.contraction(name), in, named, parallel);
            default -> throw new IllegalStateException("builtin table and builder disagree on " + name);
        };
    }

    /** A defined contraction: its signature and shapes, read off its definition. */
    private Result einsum(pdagc.ir.ContractionDef def, List<Val.Tensor> in, Map<String, Long> named, List<Parallel> parallel) {
        List<String> args = def.arguments();
        if (!sig(in, 1, named, args, parallel, def.annotations()) || !rank(in.get(0), def.spec().activation().length())) return null;
        Shape x = in.get(0).shape();
        Shape w = def.weight(x, args.stream().map(named::get).toList());
        return new Result(new Op.Einsum(def, w), ids(in), def.result(x, w));
    }

    private Result embed(Val.Tensor tokens, Map<String, Long> named) {
        Shape s = tokens.shape();
        return new Result(new Op.Embed(named.get("vocab"), named.get("dim")), ids(List.of(tokens)), new Shape(s.dim(0), s.dim(1), named.get("dim")));
    }

    private Result linear(Val.Tensor x, long out, long groups) {
        if (groups > 0 && out % groups != 0) return fail(Diags.linearGroups(call.span(), out, groups));
        Shape s = x.shape();
        return new Result(new Op.Linear(s.last(), out, groups), ids(List.of(x)), s.with(s.rank() - 1, out));
    }

    private Result scores(Val.Tensor q, Val.Tensor kv, Map<String, Long> n) {
        long heads = n.get("heads"), kvHeads = n.get("kv_heads"), d = n.get("head_dim");
        if (!attentionHeads(heads, kvHeads) || !attentionInputs(q, kv, heads, kvHeads, d)) return null;
        long kvLen = params.get("context");
        return new Result(new Op.AttnScores(heads, kvHeads, d), ids(List.of(q, kv)), new Shape(q.shape().dim(0), heads, q.shape().dim(1), kvLen));
    }

    private boolean attentionInputs(Val.Tensor q, Val.Tensor kv, long heads, long kvHeads, long d) {
        if (q.shape().last() != Overflow.mul(heads, d)) {
            fail(Diags.tensorWidth(call.span(), "queries", "heads * head_dim", heads * d, q.shape().last()));
            return false;
        }
        if (kv.shape().last() != Overflow.mul(kvHeads, d)) {
            fail(Diags.tensorWidth(call.span(), "keys", "kv_heads * head_dim", kvHeads * d, kv.shape().last()));
            return false;
        }
        if (q.shape().dim(0) != kv.shape().dim(0) || q.shape().dim(1) != kv.shape().dim(1)) {
            fail(Diags.queriesAndKeysDisagree(call.span(), q.shape(), kv.shape()));
            return false;
        }
        return true;
    }

    private Result context(Val.Tensor probs, Val.Tensor kv, Map<String, Long> n) {
        long heads = n.get("heads"), kvHeads = n.get("kv_heads"), d = n.get("head_dim");
        if (!attentionHeads(heads, kvHeads)) return null;
        Shape p = probs.shape();
        if (kv.shape().last() != Overflow.mul(kvHeads, d)) {
            return fail(Diags.tensorWidth(call.span(), "values", "kv_heads * head_dim", kvHeads * d, kv.shape().last()));
        }
        if (p.dim(0) != kv.shape().dim(0) || p.dim(1) != heads || p.dim(2) != kv.shape().dim(1)) {
            return fail(Diags.probabilitiesMismatch(call.span(), p, heads, "values", kv.shape()));
        }
        return new Result(new Op.AttnContext(heads, kvHeads, d), ids(List.of(probs, kv)), new Shape(p.dim(0), p.dim(2), Overflow.mul(heads, d)));
    }

    private boolean attentionHeads(long heads, long kv) {
        if (kv < 1 || heads < 1 || heads % kv != 0) {
            fail(Diags.headsNotGrouped(call.span(), heads, kv));
            return false;
        }
        return true;
    }

    private Result router(Val.Tensor x, Map<String, Long> n) {
        long e = n.get("experts"), k = n.get("top");
        if (e < 1 || k < 1 || k > e) return fail(Diags.notARouting(call.span(), k, e));
        return new Result(new Op.Router(e, k, x.shape().last()), ids(List.of(x)), new Shape(x.shape().dim(0), x.shape().dim(1), k));
    }

    private Result dispatch(Val.Tensor x, Val.Tensor route) {
        Op.Router r = router;
        if (x.shape().dim(0) != route.shape().dim(0) || x.shape().dim(1) != route.shape().dim(1)) {
            return fail(Diags.tokensAndRoutingDisagree(call.span(), x.shape(), route.shape()));
        }
        long tokens = Overflow.mul(Overflow.mul(x.shape().dim(0), x.shape().dim(1)), r.top());
        long capacity = (tokens + r.experts() - 1) / r.experts();
        return new Result(new Op.Dispatch(r.experts(), r.top()), ids(List.of(x, route)), new Shape(r.experts(), capacity, x.shape().last()));
    }

    private Result expertLinear(Val.Tensor x, long out) {
        Shape s = x.shape();
        return new Result(new Op.ExpertLinear(s.dim(0), s.dim(2), out), ids(List.of(x)), new Shape(s.dim(0), s.dim(1), out));
    }

    private Result combine(Val.Tensor y, Val.Tensor route) {
        Op.Router r = router;
        if (y.shape().dim(0) != r.experts()) return fail(Diags.expertCountMismatch(call.span(), y.shape(), r.experts()));
        return new Result(new Op.Combine(r.experts(), r.top()), ids(List.of(y, route)),
                new Shape(route.shape().dim(0), route.shape().dim(1), y.shape().last()));
    }

    private Result headNorm(Val.Tensor x, long headDim) {
        long width = x.shape().last();
        if (width % headDim != 0) return fail(Diags.headNormWidth(call.span(), headDim, width));
        return new Result(new Op.HeadNorm(pdagc.ir.NormType.of(model.norm()), headDim, width), ids(List.of(x)), x.shape());
    }

    private Result scale(Val.Tensor x, Val.Tensor gate) {
        Shape s = x.shape();
        Shape g = gate.shape();
        if (g.rank() != s.rank() || g.last() != 1 || !g.equals(s.with(s.rank() - 1, 1))) {
            return fail(Diags.scaleGateShape(call.span(), s.with(s.rank() - 1, 1), s, g));
        }
        return new Result(new Op.Scale(), ids(List.of(x, gate)), s);
    }

    /** The tied head reads the embedding table, so that table must exist with this vocabulary and width. */
    private Result unembed(Val.Tensor x, long vocab) {
        long dim = x.shape().last();
        Op.TiedHead head = new Op.TiedHead(dim, vocab);
        if (graph.tiedTable(head) != null) return new Result(head, ids(List.of(x)), x.shape().with(x.shape().rank() - 1, vocab));
        return fail(Diags.unembedWithoutEmbed(call.span(), vocab, dim));
    }

    private Result posEmbed(Val.Tensor tokens, long positions, long dim) {
        long reach = params.get("context");
        if (reach > positions) return fail(Diags.positionsExceeded(call.span(), reach, positions));
        Shape s = tokens.shape();
        return new Result(new Op.PosEmbed(positions, dim), ids(List.of(tokens)), new Shape(s.dim(0), s.dim(1), dim));
    }

    private Result mlaScores(List<Val.Tensor> in, Map<String, Long> n) {
        long heads = n.get("heads"), nope = n.get("nope"), rope = n.get("rope");
        Shape qn = in.get(0).shape(), qr = in.get(1).shape(), c = in.get(2).shape(), kr = in.get(3).shape();
        if (qn.last() != Overflow.mul(heads, nope)) return fail(Diags.tensorWidth(call.span(), "q_nope", "heads * nope", heads * nope, qn.last()));
        if (qr.last() != Overflow.mul(heads, rope)) return fail(Diags.tensorWidth(call.span(), "q_rope", "heads * rope", heads * rope, qr.last()));
        if (kr.last() != rope) return fail(Diags.tensorWidth(call.span(), "the shared rope key", "rope", rope, kr.last()));
        for (Shape other : List.of(qr, c, kr)) {
            if (other.dim(0) != qn.dim(0) || other.dim(1) != qn.dim(1)) {
                return fail(Diags.mlaInputsDisagree(call.span(), qn, other));
            }
        }
        long kvLen = params.get("context");
        return new Result(new Op.MlaScores(heads, nope, rope, c.last()), ids(in), new Shape(qn.dim(0), heads, qn.dim(1), kvLen));
    }

    private Result mlaContext(Val.Tensor probs, Val.Tensor latent, Map<String, Long> n) {
        long heads = n.get("heads"), v = n.get("v_dim");
        Shape p = probs.shape();
        if (p.dim(0) != latent.shape().dim(0) || p.dim(1) != heads || p.dim(2) != latent.shape().dim(1)) {
            return fail(Diags.probabilitiesMismatch(call.span(), p, heads, "the latent", latent.shape()));
        }
        return new Result(new Op.MlaContext(heads, latent.shape().last(), v), ids(List.of(probs, latent)),
                new Shape(p.dim(0), p.dim(2), Overflow.mul(heads, v)));
    }

    private Op.Router router;

    /** The routing argument must come straight from a router; remembers it for the shapes. */
    private boolean routed(Val.Tensor route) {
        router = graph.node(route.node()).op() instanceof Op.Router r ? r : null;
        if (router == null) {
            fail(Diags.notRouted(call.span()));
            return false;
        }
        return true;
    }

    private boolean sig(List<Val.Tensor> in, int tensors, Map<String, Long> named, List<String> names, List<Parallel> parallel, Set<Parallel.Style> styles) {
        String op = call.callee().text();
        if (in.size() != tensors) {
            diagnostics.add(Diags.operationArity(call.span(), op, tensors, names, in.size()));
            return false;
        }
        List<String> missing = new ArrayList<>();
        for (String n : names) if (!n.endsWith("?") && !named.containsKey(n)) missing.add("`" + n + ":`");
        List<String> extra = new ArrayList<>();
        for (String n : named.keySet()) if (!names.contains(n) && !names.contains(n + "?")) extra.add("`" + n + ":`");
        if (!missing.isEmpty() || !extra.isEmpty()) {
            diagnostics.add(Diags.operationArguments(call.span(), op, missing, extra, tensors, names));
            return false;
        }
        for (Map.Entry<String, Long> e : named.entrySet()) {
            if (e.getValue() < 1) {
                diagnostics.add(Diags.argumentNotPositive(call.span(), op, e.getKey(), e.getValue()));
                return false;
            }
        }
        java.util.EnumMap<Parallel.Style, Parallel> seen = new java.util.EnumMap<>(Parallel.Style.class);
        for (Parallel p : parallel) {
            Parallel before = seen.put(p.style(), p);
            if (before != null) {
                diagnostics.add(Diags.annotationTwice(p.span(), p.style().keyword(), op, before.span()));
                return false;
            }
            if (p.style() == Parallel.Style.ROW && seen.containsKey(Parallel.Style.COLUMN)
                    || p.style() == Parallel.Style.COLUMN && seen.containsKey(Parallel.Style.ROW)) {
                Parallel other = seen.get(p.style() == Parallel.Style.ROW ? Parallel.Style.COLUMN : Parallel.Style.ROW);
                diagnostics.add(Diags.annotationsConflict(p.span(), p.style().keyword(), other.style().keyword(), other.span()));
                return false;
            }
        }
        for (Parallel p : parallel) {
            if (!styles.contains(p.style())) {
                diagnostics.add(Diags.annotationNotForOperation(p.span(), p.style().keyword(), op, styles.stream().map(Parallel.Style::keyword).toList()));
                return false;
            }
        }
        return true;
    }

    private boolean rank(Val.Tensor t, int rank) {
        if (t.shape().rank() != rank) {
            fail(Diags.operandRank(call.span(), call.callee().text(), rank, t.shape()));
            return false;
        }
        return true;
    }

    private Result fail(Diagnostic.Builder d) {
        diagnostics.add(d);
        return null;
    }

    private static List<Integer> ids(List<Val.Tensor> in) {
        List<Integer> out = new ArrayList<>();
        for (Val.Tensor t : in) out.add(t.node());
        return out;
    }
}
