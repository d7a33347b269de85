package pdagc.lower;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import pdagc.diag.Diagnostics;
import pdagc.ir.DType;
import pdagc.ir.Graph;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.program.Program;
import pdagc.sem.BlockRef;
import pdagc.sem.Deployment;
import pdagc.sem.ModelSpec;
import pdagc.source.Span;

/**
 * lower: builds the logical IR of one model replica, for one micro-batch (the workload's batch
 * divided by the strategy's micro-batches), from a deployment. The model's skeleton
 * (tokens, embedding block, one block per layer, head block, output) is fixed here; everything
 * inside the blocks comes from their .pdag source, through {@link BlockInterpreter}.
 *
 * <pre>
 *   deploy Seed = Moe16 on Pod64 with Ep16Tp4 for Prefill
 *   ==>
 *   %0 = input() : [128,128]
 *   %1 = embedding[vocab=32000, dim=512] @vocab(tp) (%0) : [128,128,512]   // embed.x
 *   ...
 * </pre>
 */
public final class Lowering {
    private Lowering() {}

    /** The names of the built-in operations blocks may call (for editor completion). */
    public static java.util.Set<String> builtinNames() {
        return Builtins.names();
    }

    public static Optional<Graph> lower(Deployment d, Diagnostics diagnostics) {
        Map<String, Long> params = new LinkedHashMap<>(d.model().params());
        params.put("batch", d.workload().batch() / d.strategy().pipeline().microBatches());
        params.put("seq", d.workload().stepTokens());
        params.put("context", d.workload().context());
        // The positions whose logits the head scores: the last one when serving, every one in training.
        params.put("scored", d.workload().phase() == pdagc.sem.Phase.TRAIN ? d.workload().seq() : 1L);
        Graph g = new Graph(d.workload().dtype());
        boolean train = d.workload().phase() == pdagc.sem.Phase.TRAIN;
        Optional<Main> main = main(d.model(), d.program(), params, g, diagnostics, train);
        if (main.isEmpty()) return Optional.empty();
        if (train) {
            // The loss over the global batch's tokens, then its gradient back through every op.
            long tokens = pdagc.ir.Overflow.mul(d.workload().batch(), d.workload().seq());
            int logits = main.get().logits();
            int ids = main.get().tokens();
            long vocab = g.node(logits).shape().last();
            pdagc.ir.Shape rows = g.node(ids).shape();
            // The three per-token statistics of the logits that the cross-entropy combines, each over the vocabulary a rank holds.
            int max = g.add("loss.max", new Op.LogitStat(Op.LogitStat.Stat.MAX, vocab), List.of(logits), rows, -1, List.of(), d.model().span()).id();
            int sumExp = g.add("loss.sum_exp", new Op.LogitStat(Op.LogitStat.Stat.SUM_EXP, vocab), List.of(logits, max), rows, -1, List.of(),
                    d.model().span()).id();
            int label = g.add("loss.label_logit", new Op.LogitStat(Op.LogitStat.Stat.LABEL, vocab), List.of(logits, ids), rows, -1, List.of(),
                    d.model().span()).id();
            int loss = g.add("loss", new Op.Loss(vocab, tokens), List.of(logits, ids, max, sumExp, label), rows, -1, List.of(), d.model().span()).id();
            g.add("output", new Op.Output(), List.of(loss), g.node(loss).shape(), -1, List.of(), d.model().span());
            if (!Autodiff.run(g, loss, d.model().name(), d.strategy().training().recompute(), diagnostics)) return Optional.empty();
            // ZeRO-3: every weight rests as its optimizer's shard, which each use gathers.
            if (d.strategy().training().zero() == 3) {
                for (int i = 0, n = g.size(); i < n; i++) if (g.node(i).op() instanceof Op.Update u) g.addParam(g.node(u.forwardNode()));
            }
        }
        return Optional.of(g);
    }

    /**
     * A model on its own, for counting its parameters and cache: one sequence of one token, and
     * after the main model (from {@code mtpStart} on) its multi-token-prediction modules, each fed
     * the previous hidden state and the token embedding (whose table, like the head's, it shares).
     */
    public record ModelGraph(Graph graph, int mtpStart) {}

    public static Optional<ModelGraph> lowerModel(ModelSpec m, Program program, Diagnostics diagnostics) {
        Map<String, Long> params = new LinkedHashMap<>(m.params());
        params.put("batch", 1L);
        params.put("seq", 1L);
        params.put("context", 1L);
        params.put("scored", 1L);
        Graph g = new Graph(DType.BF16);
        int errors = diagnostics.errorReports();
        Optional<Main> main = main(m, program, params, g, diagnostics, false);
        if (main.isEmpty()) return Optional.empty();
        int mtpStart = g.size();
        BlockInterpreter interp = new BlockInterpreter(program, m, params, g, diagnostics);
        Optional<Integer> h = Optional.of(main.get().hidden());
        for (long k = 0; k < m.mtp() && h.isPresent(); k++) {
            h = interp.call(m.mtpLayer(), "mtp." + k, List.of(h.get(), main.get().embedded()), -1, m.span());
        }
        if (h.isEmpty() || diagnostics.errorReports() > errors) return Optional.empty();
        return Optional.of(new ModelGraph(g, mtpStart));
    }

    /** The ids of the token ids, the embedding's output, the last layer's and the head's (the logits). */
    private record Main(int tokens, int embedded, int hidden, int logits) {}

    /**
     * The fixed skeleton: tokens, embedding block, one block per layer, head block, output. A
     * problem at a top-level call is shown at the model property that chose the block
     * ({@code layer my_layer}), or at the model's name when the block is a default.
     */
    private static Optional<Main> main(ModelSpec m, Program program, Map<String, Long> params, Graph g, Diagnostics diagnostics, boolean train) {
        BlockInterpreter interp = new BlockInterpreter(program, m, params, g, diagnostics).training(train);
        int errors = diagnostics.errorReports();
        Span at = m.span();
        Shape tokens = new Shape(params.get("batch"), params.get("seq"));
        int x = g.add("input", new Op.Input(), List.of(), tokens, -1, List.of(), at).id();
        Optional<Integer> cur = interp.call(m.embed(), pdagc.ir.Precision.EMBEDDING_BLOCK, List.of(x), -1, m.spanOf("embed"));
        Optional<Integer> embedded = cur;
        for (int layer = 0; layer < m.layers() && cur.isPresent(); layer++) {
            boolean dense = m.isDenseLayer(layer);
            BlockRef block = dense ? m.denseLayer() : m.layer();
            cur = interp.call(block, "layers." + layer, List.of(cur.get()), layer, m.spanOf(dense ? "dense_layer" : "layer"));
        }
        Optional<Integer> hidden = cur;
        if (cur.isPresent()) cur = interp.call(m.head(), pdagc.ir.Precision.HEAD_BLOCK, List.of(cur.get()), -1, m.spanOf("head"));
        if (cur.isEmpty() || diagnostics.errorReports() > errors) return Optional.empty();
        // A training step's output is its loss (added by the caller).
        if (!train) g.add("output", new Op.Output(), List.of(cur.get()), g.node(cur.get()).shape(), -1, List.of(), at);
        return Optional.of(new Main(x, embedded.get(), hidden.get(), cur.get()));
    }

    static List<Integer> list(int... ids) {
        List<Integer> out = new ArrayList<>();
        for (int i : ids) out.add(i);
        return out;
    }
}
