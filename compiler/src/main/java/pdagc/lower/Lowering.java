package pdagc.lower;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import pdagc.diag.Diagnostics;
import pdagc.ir.Graph;
import pdagc.ir.Op;
import pdagc.ir.Shape;
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

    public static Optional<Graph> lower(Deployment d, Diagnostics diagnostics) {
        ModelSpec m = d.model();
        Graph g = new Graph(d.workload().dtype());
        Map<String, Long> params = new LinkedHashMap<>(m.params());
        long batch = d.workload().batch() / d.strategy().pipeline().microBatches();
        params.put("batch", batch);
        params.put("seq", d.workload().stepTokens());
        params.put("context", d.workload().context());
        BlockInterpreter interp = new BlockInterpreter(d.program(), m, params, g, diagnostics);
        int errors = diagnostics.errorCount();
        Shape tokens = new Shape(batch, d.workload().stepTokens());
        int x = g.add("input", new Op.Input(), List.of(), tokens, -1, List.of(), d.span()).id();
        // A problem at a top-level call is shown at the model property that chose the block
        // (`layer my_layer`), or at the model's name when the block is a default.
        Optional<Integer> cur = interp.call(m.embed(), "embed", List.of(x), -1, m.spanOf("embed"));
        for (int layer = 0; layer < m.layers() && cur.isPresent(); layer++) {
            boolean dense = layer < m.firstDense();
            BlockRef block = dense ? m.denseLayer() : m.layer();
            cur = interp.call(block, "layers." + layer, List.of(cur.get()), layer, m.spanOf(dense ? "dense_layer" : "layer"));
        }
        if (cur.isPresent()) cur = interp.call(m.head(), "head", List.of(cur.get()), -1, m.spanOf("head"));
        if (cur.isEmpty() || diagnostics.errorCount() > errors) return Optional.empty();
        Span at = d.span();
        g.add("output", new Op.Output(), List.of(cur.get()), g.node(cur.get()).shape(), -1, List.of(), at);
        return Optional.of(g);
    }

    static List<Integer> list(int... ids) {
        List<Integer> out = new ArrayList<>();
        for (int i : ids) out.add(i);
        return out;
    }
}
