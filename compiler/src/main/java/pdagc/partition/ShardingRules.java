package pdagc.partition;

import java.util.ArrayList;
import java.util.List;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.mesh.MeshContext;
import pdagc.mesh.Sharding;

/**
 * The per-operation sharding rules: given how an op's inputs arrive and its annotations, the
 * shardings it requires of its inputs and the sharding of its output. Collectives are never
 * chosen here; they follow wherever a requirement differs from what the producer gives.
 */
final class ShardingRules {
    private final MeshContext mesh;
    /** How many uses each node's value has (by node id). */
    private final int[] uses;
    /** The logical IR and the decisions made so far, by node id: a gradient's rule is read off its forward op's. */
    private final pdagc.ir.Graph graph;
    private final List<List<Sharding>> required;
    private final List<Sharding> output;
    /** The ZeRO stage: from 1 on, the optimizer step runs on a shard of each weight over the axes its gradient is reduced over. */
    private final int zero;
    /** ZeRO-3: each weight's optimizer step by the node that owns the weight, found once. */
    private java.util.Map<Integer, Integer> updates;

    /** Rules for forward ops only (no gradients to read a forward decision for). */
    ShardingRules(MeshContext mesh, int[] uses) {
        this(mesh, uses, null, List.of(), List.of(), 0);
    }

    ShardingRules(MeshContext mesh, int[] uses, pdagc.ir.Graph graph, List<List<Sharding>> required, List<Sharding> output, int zero) {
        this.mesh = mesh;
        this.uses = uses;
        this.graph = graph;
        this.required = required;
        this.output = output;
        this.zero = zero;
    }

    /** Required input shardings and the output sharding of one node. */
    record Decision(List<Sharding> required, Sharding output) {}

    Decision decide(Node n, List<Sharding> in) {
        return n.op().accept(new Rule(n, in));
    }

    /** The sharding rule of each op. */
    private final class Rule implements Op.Visitor<Decision> {
        private final Node n;
        private final List<Sharding> in;

        Rule(Node n, List<Sharding> in) {
            this.n = n;
            this.in = in;
        }

        public Decision input(Op.Input op) {
            return new Decision(List.of(), Sharding.replicated(2).withDim(0, mesh.batchAxes()).withDim(1, mesh.contextAxes()));
        }

        public Decision output(Op.Output op) {
            Sharding x = in.get(0);
            return same(Sharding.replicated(x.rank()).withDim(0, x.axes(0)).withDim(1, x.axes(1)));
        }

        public Decision embed(Op.Embed op) {
            Sharding tokens = in.get(0).noPartial();
            Sharding out = Sharding.replicated(3).withDim(0, tokens.axes(0)).withDim(1, tokens.axes(1));
            return new Decision(List.of(tokens), out.withPartial(axes(n, Parallel.Style.VOCAB)));
        }

        public Decision linear(Op.Linear op) {
            return ShardingRules.this.linear(n, in.get(0));
        }

        public Decision norm(Op.Norm op) {
            // Normed over the whole width; @column(a) keeps only this rank's columns of the result.
            List<String> col = axes(n, Parallel.Style.COLUMN);
            if (col.isEmpty()) return same(activation(lastUnsplit(in.get(0))));
            Sharding need = free(lastUnsplit(in.get(0)), col);
            return new Decision(List.of(need), need.withDim(need.rank() - 1, col));
        }

        public Decision router(Op.Router op) {
            return same(activation(lastUnsplit(in.get(0))));
        }

        public Decision softmax(Op.Softmax op) {
            return same(lastUnsplit(in.get(0)));
        }

        public Decision unary(Op.Unary op) {
            return same(in.get(0).noPartial());
        }

        public Decision binary(Op.Binary b) {
            return ShardingRules.this.binary(b, n, in.get(0), in.get(1));
        }

        public Decision lastToken(Op.LastToken op) {
            Sharding need = in.get(0).withDim(1, List.of());
            return new Decision(List.of(need), need);
        }

        public Decision attnScores(Op.AttnScores a) {
            Sharding q = in.get(0).noPartial();
            List<String> heads = q.axes(2);
            Sharding out = Sharding.replicated(4).withDim(0, q.axes(0)).withDim(1, heads).withDim(2, q.axes(1));
            return new Decision(List.of(q, keysValues(q.axes(0), heads, a.kvHeads())), out);
        }

        public Decision attnContext(Op.AttnContext a) {
            Sharding probs = in.get(0).noPartial().withDim(3, List.of());
            Sharding out = Sharding.replicated(3).withDim(0, probs.axes(0)).withDim(1, probs.axes(2)).withDim(2, probs.axes(1));
            return new Decision(List.of(probs, keysValues(probs.axes(0), probs.axes(1), a.kvHeads())), out);
        }

        public Decision dispatch(Op.Dispatch op) {
            Sharding x = lastUnsplit(in.get(0));
            Sharding route = Sharding.replicated(3).withDim(0, x.axes(0)).withDim(1, x.axes(1));
            Sharding out = Sharding.replicated(3).withDim(1, tokenAxes(x));
            return new Decision(List.of(x, route), out);
        }

        public Decision expertLinear(Op.ExpertLinear op) {
            return contraction(n, in.get(0));
        }

        public Decision einsum(Op.Einsum op) {
            return contraction(n, in.get(0));
        }

        public Decision combine(Op.Combine op) {
            Sharding route = in.get(1).noPartial();
            Sharding y = Sharding.replicated(3).withDim(1, tokenAxes(route));
            Sharding out = Sharding.replicated(3).withDim(0, route.axes(0)).withDim(1, route.axes(1));
            // The combine is a weighted sum of the experts' outputs, linear in them: a partial sum of the outputs (the experts'
            // row-parallel products under expert tensor parallelism) passes through it and is reduced after, on the tokens'
            // hidden states rather than on every routed copy (top-k times as many), as engines reduce after the MoE's finalize.
            Sharding experts = in.get(0);
            List<String> sum = new ArrayList<>();
            if (experts.isPartial() && experts.reduction() == pdagc.ir.Reduction.SUM) {
                for (String axis : experts.partial()) if (y.dimOf(axis) < 0 && out.dimOf(axis) < 0) sum.add(axis);
            }
            if (!sum.isEmpty()) {
                y = y.withPartial(sum);
                out = out.withPartial(sum);
            }
            return new Decision(List.of(y, route), out);
        }

        public Decision bias(Op.Bias op) {
            return same(reduced(in.get(0)));
        }

        public Decision dropoutMask(Op.DropoutMask op) {
            return same(reduced(in.get(0)));
        }

        public Decision dropout(Op.Dropout op) {
            Sharding x = reduced(in.get(0));
            return new Decision(List.of(x, x), x);
        }

        public Decision headNorm(Op.HeadNorm h) {
            return same(ShardingRules.this.headNorm(h, in.get(0)));
        }

        public Decision scale(Op.Scale op) {
            return ShardingRules.this.scale(in.get(0), in.get(1));
        }

        public Decision tiedHead(Op.TiedHead op) {
            List<String> col = axes(n, Parallel.Style.COLUMN);
            Sharding need = free(lastUnsplit(in.get(0)), col);
            return new Decision(List.of(need), need.withDim(need.rank() - 1, col));
        }

        public Decision posEmbed(Op.PosEmbed op) {
            Sharding tokens = in.get(0).noPartial();
            return new Decision(List.of(tokens), Sharding.replicated(3).withDim(0, tokens.axes(0)).withDim(1, tokens.axes(1)));
        }

        public Decision mlaScores(Op.MlaScores m) {
            return ShardingRules.this.mlaScores(m, in.get(0));
        }

        public Decision mlaContext(Op.MlaContext op) {
            Sharding probs = in.get(0).noPartial().withDim(3, List.of());
            Sharding latent = Sharding.replicated(3).withDim(0, probs.axes(0));
            Sharding out = Sharding.replicated(3).withDim(0, probs.axes(0)).withDim(2, probs.axes(1));
            return new Decision(List.of(probs, latent), out);
        }

        public Decision collective(Op.Collective op) {
            throw partitionerOp(op);
        }

        public Decision transfer(Op.Transfer op) {
            throw partitionerOp(op);
        }

        public Decision slice(Op.Slice op) {
            throw partitionerOp(op);
        }

        public Decision grad(Op.Grad g) {
            return ShardingRules.this.grad(g, n.inputs().size() > g.reads().size());
        }

        /**
         * A statistic of the logits over the vocabulary: the logits as they arrive (split over the
         * vocabulary by a column-parallel head, Megatron's vocabulary-parallel cross-entropy), each
         * rank's statistic over its columns, so a partial value over the axes that split them: a
         * partial maximum for the max, a partial sum for the sum of exponentials (which reads the
         * whole max) and for the label's logit (which each rank finds in its columns or not).
         */
        public Decision logitStat(Op.LogitStat op) {
            Sharding logits = in.get(0).noPartial();
            Sharding rows = rows(logits);
            List<String> vocab = logits.axes(logits.rank() - 1);
            return switch (op.stat()) {
                case MAX -> new Decision(List.of(logits), rows.withPartial(vocab, pdagc.ir.Reduction.MAX));
                case SUM_EXP, LABEL -> new Decision(List.of(logits, rows), rows.withPartial(vocab));
            };
        }

        /** The loss reads the three statistics whole (their all-reduces over the vocabulary's axes) and the logits as they arrive, for its gradient. */
        public Decision loss(Op.Loss op) {
            Sharding logits = in.get(0).noPartial();
            Sharding rows = rows(logits);
            return new Decision(List.of(logits, rows, rows, rows, rows), rows);
        }

        public Decision update(Op.Update u) {
            Sharding s = optimizerShard(u.forwardNode(), in.get(0), n.shape());
            return same(s);
        }

        public Decision accumulate(Op.Accumulate a) {
            return same(in.get(0));
        }

        /** The updated weight: back on the weight's layout (gathered from the optimizer's shard), or under ZeRO-3 left on the shard. */
        public Decision updated(Op.Updated u) {
            return same(zero == 3 ? in.get(0) : layout(u.forwardNode()));
        }

        /** ZeRO-3's shard at rest: the shard its optimizer step updates (decided before: the step comes first in the graph). */
        public Decision param(Op.Param p) {
            if (updates == null) {
                updates = new java.util.HashMap<>();
                for (pdagc.ir.Node m : graph.nodes()) if (m.op() instanceof Op.Update u) updates.put(u.forwardNode(), m.id());
            }
            Integer step = updates.get(p.forwardNode());
            if (step == null) throw new IllegalStateException("no optimizer step for the weight of node %" + p.forwardNode());
            return new Decision(List.of(), output.get(step));
        }
    }

    /**
     * The dual of the forward rule. A gradient reads the forward values its rule names as the
     * forward op required them (its input) or made them (its output), and the output's gradient as
     * the output was split (a partial sum's gradient is the gradient itself on every rank: the dual
     * of a reduction is a copy). Each rank then runs the transpose of its forward computation, so an
     * input's gradient comes out split as the forward op required that input, and a partial sum
     * over every axis that splits the output but not that input (a column-parallel linear's input
     * gradient over tp; a key's gradient over the ranks whose query heads share it, and over cp,
     * whose ranks hold other queries). A weight's gradient comes out laid out as the weight, a
     * partial sum over every axis the forward op's operands are split over and the weight is not
     * (the data-parallel axes, cp, and under sequence parallelism a norm's tp): that is where the
     * gradients of replicated weights are all-reduced, from this one rule.
     */
    private Decision grad(Op.Grad g, boolean readsDy) {
        int f = g.forwardNode();
        List<Sharding> fwdIn = required.get(f);
        Sharding fwdOut = output.get(f).noPartial();
        // A norm that keeps only its own columns reads its output's gradient whole: the gradient of the width it normed over.
        Sharding dy = g.forward() instanceof Op.Norm && !axes(graph.node(f), Parallel.Style.COLUMN).isEmpty() ? lastUnsplit(fwdOut) : fwdOut;
        List<Sharding> need = new ArrayList<>();
        for (int r : g.reads()) need.add(r == pdagc.ir.GradRule.OUTPUT ? fwdOut : fwdIn.get(r));
        // The loss's gradient is the root: it reads no output gradient.
        if (readsDy) need.add(dy);
        if (g.ofWeight()) {
            Sharding layout = layout(f);
            java.util.Set<String> over = new java.util.LinkedHashSet<>(dy.splitAxes());
            for (Sharding s : fwdIn) over.addAll(s.splitAxes());
            over.removeAll(layout.splitAxes());
            return new Decision(need, layout.withPartial(mesh.ordered(new ArrayList<>(over))));
        }
        Sharding x = fwdIn.get(g.wrt());
        List<String> over = new ArrayList<>(dy.splitAxes());
        over.removeAll(x.splitAxes());
        // A row gate scales rows that may be partial sums (a row-parallel shared expert's): its
        // gradient, the rows' gradient dotted with them, is then a partial sum over those axes too.
        if (g.forward() instanceof Op.Scale && g.wrt() == 1) over = mesh.union(over, fwdIn.get(0).partial());
        // So does a combine's gradient to its gate weights (each token's gradient dotted with the experts' outputs it weighed),
        // where those outputs arrive as partial sums (expert tensor parallelism reduces after the combine).
        if (g.forward() instanceof Op.Combine && g.wrt() == 1) over = mesh.union(over, fwdIn.get(0).partial());
        return new Decision(need, x.withPartial(mesh.ordered(over)));
    }

    /**
     * The layout of the weight of logical node {@code f}, from its forward decision; for a tied
     * head, the block of the embedding table it reads (its gradient is laid out so, then summed
     * into the embedding's).
     */
    private Sharding layout(int f) {
        Op op = graph.node(f).op();
        if (op instanceof Op.TiedHead) return pdagc.spmd.WeightLayout.tiedTable(output.get(f));
        List<Sharding> fwdIn = required.get(f);
        return pdagc.spmd.WeightLayout.of(op, fwdIn.isEmpty() ? null : fwdIn.get(0), output.get(f));
    }

    /**
     * Where the optimizer step runs on a weight whose gradient arrives as {@code grad}: on the
     * weight's own layout (ZeRO 0: the gradient all-reduced over the axes it is a partial sum over),
     * or from ZeRO 1 on, on a 1/n shard of it over those axes (the gradient reduce-scattered, the
     * updated weight all-gathered back): the first dimension whose local size they divide.
     */
    private Sharding optimizerShard(int f, Sharding grad, pdagc.ir.Shape shape) {
        Sharding layout = layout(f);
        if (zero == 0 || grad.partial().isEmpty()) return layout;
        List<String> over = grad.partial();
        long ways = mesh.mesh().size(over);
        pdagc.ir.Shape local = layout.local(shape, mesh.mesh());
        // A dimension the layout leaves whole first (the shard is then a plain block), else one it splits already.
        for (int pass = 0; pass < 2; pass++) {
            for (int d = 0; d < layout.rank(); d++) {
                if (layout.axes(d).isEmpty() != (pass == 0) || local.dim(d) % ways != 0) continue;
                return layout.withDim(d, mesh.ordered(mesh.union(layout.axes(d), over)));
            }
        }
        return layout;
    }

    private static IllegalStateException partitionerOp(Op op) {
        return new IllegalStateException("partitioner ops cannot appear in the logical IR: " + op.name());
    }

    /**
     * A linear: its contraction's rule, with the GQA rule for a linear of {@code groups} whole
     * units (heads): over column axes whose size does not divide the groups, the output's columns
     * are split over the major factors of those axes that divide them and replicated over the
     * rest ({@link MeshContext#majorFactors}). Query head h uses key/value head h / (heads /
     * groups), and the query heads are split over the same axes in the same order, so the ranks of
     * one major block hold the queries of exactly the key/value heads of that block: tp 16 with 8
     * key/value heads gives each pair of ranks one of them; MQA (one) stays replicated.
     */
    private Decision linear(Node n, Sharding x) {
        List<String> col = axes(n, Parallel.Style.COLUMN);
        long groups = ((Op.Linear) n.op()).groups();
        return contraction(n, x, groups > 0 ? mesh.majorFactors(col, groups) : col);
    }

    /**
     * A contraction's sharding rule, read off its factor spec: @row splits the reduced factor
     * (the input's split, the output a partial sum over it); @column splits the weight's factor
     * the output keeps (the output's split); @experts the factor the weight shares with input and
     * output. Every other input factor keeps the input's split, less the annotations' axes (they
     * are about to split another factor); without @row the reduced factor arrives whole.
     */
    private Decision contraction(Node n, Sharding x) {
        return contraction(n, x, axes(n, Parallel.Style.COLUMN));
    }

    /** A contraction whose result splits its column factor over {@code columns} (the annotation's axes, or their major factors). */
    private Decision contraction(Node n, Sharding x, List<String> columns) {
        pdagc.ir.Contraction spec = n.op().contraction();
        List<String> col = axes(n, Parallel.Style.COLUMN);
        List<String> row = axes(n, Parallel.Style.ROW);
        List<String> experts = axes(n, Parallel.Style.EXPERTS);
        List<String> taken = mesh.union(mesh.union(col, row), experts);
        String reduced = spec.reduced();
        String in = spec.activation();
        Sharding need = Sharding.replicated(in.length());
        for (int i = 0; i < in.length(); i++) {
            char f = in.charAt(i);
            List<String> a;
            if (reduced.indexOf(f) >= 0) a = row;
            else if (f == spec.sharedFactor()) a = experts;
            else a = mesh.without(x.axes(i), taken);
            need = need.withDim(i, a);
        }
        String res = spec.result();
        Sharding out = Sharding.replicated(res.length());
        for (int j = 0; j < res.length(); j++) {
            char f = res.charAt(j);
            int i = in.indexOf(f);
            out = out.withDim(j, i >= 0 ? need.axes(i) : f == spec.columnFactor() ? columns : List.of());
        }
        return new Decision(List.of(need), out.withPartial(row));
    }

    /**
     * Same shardings for both operands. Two partial sums over the same axes that this add alone
     * reads, added, are a partial sum (addition is linear): one reduction later serves both, as
     * Megatron sums a parallel layer's attention and MLP outputs before their one all-reduce. A
     * partial sum that other ops read too is reduced once for all of them (the embedding's, read
     * by the first norm and the first residual add, keeps the residual stream whole). Otherwise
     * the first operand that is not a partial sum sets the sharding, else a reduced activation.
     */
    private Decision binary(Op.Binary op, Node n, Sharding x, Sharding y) {
        boolean alone = uses[n.inputs().get(0)] == 1 && uses[n.inputs().get(1)] == 1;
        if (op.fn() == pdagc.ir.BinaryFn.ADD && alone && x.isPartial() && x.equals(y)) return new Decision(List.of(x, y), x);
        Sharding target;
        // A partial sum added to a value that is not: reduced into an activation between tensor-parallel regions (under sequence
        // parallelism reduce-scattered, the other operand sliced to the rank's positions), as Megatron's sequence parallelism
        // reduce-scatters the embedding's output and keeps the residual stream split along the sequence.
        if (!x.isPartial()) target = y.isPartial() ? activation(x) : x;
        else if (!y.isPartial()) target = activation(y);
        else target = activation(x.noPartial());
        return new Decision(List.of(target, target), target);
    }

    /**
     * Keys and values for queries whose heads are split over {@code heads}: the whole sequence
     * (under context parallelism they are all-gathered: each rank's queries attend to every
     * position), heads split the same way when those axes divide the key/value heads, else over
     * their major factors that divide them and replicated over the rest, as the grouped key/value
     * projection gives them (GQA with fewer key/value heads than ranks; MQA replicated).
     */
    private Sharding keysValues(List<String> batch, List<String> heads, long kvHeads) {
        return Sharding.replicated(3).withDim(0, batch).withDim(2, mesh.majorFactors(heads, kvHeads));
    }

    /**
     * An elementwise op's input as it runs on it: as it arrives, or where it arrives as a partial
     * sum (a bias or a dropout after a row-parallel linear), reduced into an activation between
     * tensor-parallel regions: all-reduced, or under sequence parallelism reduce-scattered over the
     * sequence, as Megatron adds the output projection's bias and applies its dropout in the
     * sequence-parallel region.
     */
    private Sharding reduced(Sharding x) {
        return x.isPartial() ? activation(x.noPartial()) : x;
    }

    /** An activation between tensor-parallel regions: its sequence also split over tp under sequence parallelism. */
    private Sharding activation(Sharding x) {
        if (x.rank() != 3 || mesh.sequenceParallelAxes().isEmpty()) return x;
        List<String> taken = new ArrayList<>(x.axes(0));
        taken.addAll(x.axes(2));
        List<String> add = mesh.without(mesh.sequenceParallelAxes(), taken);
        return x.withDim(1, mesh.union(x.axes(1), add));
    }

    /** The value with the given axes taken off every dimension (they are about to split another). */
    private Sharding free(Sharding x, List<String> axes) {
        Sharding out = x;
        for (int d = 0; d < x.rank(); d++) out = out.withDim(d, mesh.without(out.axes(d), axes));
        return out;
    }

    /** A per-head norm keeps its input's split when the split falls between whole heads; otherwise it needs the width whole. */
    private Sharding headNorm(Op.HeadNorm h, Sharding x) {
        Sharding need = x.noPartial();
        List<String> split = need.axes(need.rank() - 1);
        long heads = h.width() / h.headDim();
        return split.isEmpty() || heads % mesh.mesh().size(split) == 0 ? need : lastUnsplit(need);
    }

    /**
     * A row gate scales its rows, which is linear: the rows keep their sharding, partial sums
     * included; the gate must be whole on every rank that holds a row.
     */
    private Decision scale(Sharding y, Sharding gate) {
        Sharding g = Sharding.replicated(y.rank());
        for (int d = 0; d < y.rank() - 1; d++) g = g.withDim(d, y.axes(d));
        return new Decision(List.of(y, g), y);
    }

    /**
     * Latent attention splits heads the way its queries arrive (column-parallel by whole heads);
     * the latent and the shared rope key are read whole by every rank (like one key/value head of
     * MQA), and W_UK is split with the heads.
     */
    private Decision mlaScores(Op.MlaScores m, Sharding qNope) {
        Sharding q = qNope.noPartial().withDim(1, List.of());
        List<String> heads = q.axes(2);
        if (!heads.isEmpty() && m.heads() % mesh.mesh().size(heads) != 0) {
            q = q.withDim(2, List.of());
            heads = List.of();
        }
        Sharding qRope = Sharding.replicated(3).withDim(0, q.axes(0)).withDim(2, heads);
        Sharding latent = Sharding.replicated(3).withDim(0, q.axes(0));
        Sharding out = Sharding.replicated(4).withDim(0, q.axes(0)).withDim(1, heads);
        return new Decision(List.of(q, qRope, latent, latent), out);
    }

    /** Per token of {@code x}: its dimensions but the last, split as they are. */
    private static Sharding rows(Sharding x) {
        Sharding out = Sharding.replicated(x.rank() - 1);
        for (int d = 0; d < x.rank() - 1; d++) out = out.withDim(d, x.axes(d));
        return out;
    }

    private List<String> tokenAxes(Sharding tokens) {
        return mesh.union(tokens.axes(0), tokens.axes(1));
    }

    private static Sharding lastUnsplit(Sharding x) {
        return x.noPartial().withDim(x.rank() - 1, List.of());
    }

    private static Decision same(Sharding s) {
        return new Decision(List.of(s), s);
    }

    private List<String> axes(Node n, Parallel.Style style) {
        Parallel p = n.parallel(style);
        return p == null ? List.of() : mesh.resolve(p.axis());
    }
}
