package pdagc.lower;

import pdagc.ir.Overflow;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import pdagc.diag.Diagnostics;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.program.Program;
import pdagc.sem.ModelSpec;

/**
 * The size of a model, read off its logical IR rather than computed by a formula per model
 * family, so that any model written in .pdag is counted the same way and a block that forgets a
 * weight shows up in the count:
 *
 * <ul>
 *   <li>{@code totalParams}: the elements of every op's weight ({@link Op#weight()}), each op once;
 *       a tied head has no weight of its own, so a shared table counts once.
 *   <li>{@code activeParams}: what one token uses: the same, except that an expert linear counts
 *       top-k of its E experts (k from the dispatch that feeds it); shared experts, routers,
 *       embedding and head count in full.
 *   <li>{@code kvCacheBytesPerToken}: the per-token width of every distinct value that attention
 *       reads from the KV cache ({@link Op#cachedInputs()}: keys and values, or MLA's latent and
 *       rope key), in bf16 (2 bytes).
 *   <li>{@code mtpParams}: the weights of multi-token-prediction modules, which are not in the
 *       totals (their embedding and head are the main model's, so not counted again).
 * </ul>
 */
public record ModelStats(String model, long totalParams, long activeParams, long kvCacheBytesPerToken, long mtpModules, long mtpParams) {
    /** Bytes per cached element: the cache is counted in bf16. */
    public static final int CACHE_BYTES = 2;

    /** Lowers the model on its own and counts it; empty (with diagnostics) when its blocks do not lower. */
    public static Optional<ModelStats> of(ModelSpec model, Program program, Diagnostics diagnostics) {
        try {
            return Lowering.lowerModel(model, program, diagnostics).map(g -> of(model.name(), model.mtp(), g));
        } catch (Overflow e) {
            diagnostics.add(pdagc.diag.Diags.parameterCountOverflow(model.span(), e.in("counting the parameters").what(), model.name()));
            return Optional.empty();
        }
    }

    public static ModelStats of(String name, long mtpModules, Lowering.ModelGraph lowered) {
        Graph g = lowered.graph();
        long total = 0;
        long active = 0;
        long mtp = 0;
        long cachedWidth = 0;
        Set<Integer> cached = new HashSet<>();
        for (Node n : g.nodes()) {
            Shape w = n.op().weight();
            boolean main = n.id() < lowered.mtpStart();
            if (w != null) {
                long elements = w.elements();
                if (main) {
                    total = Overflow.add(total, elements);
                    active = Overflow.add(active, n.op() instanceof Op.ExpertLinear e ? Overflow.mul(elements / e.experts(), top(g, n)) : elements);
                } else {
                    mtp = Overflow.add(mtp, elements);
                }
            }
            if (!main) continue;
            for (int i : n.op().cachedInputs()) {
                Node c = g.node(n.inputs().get(i));
                if (cached.add(c.id())) cachedWidth = Overflow.add(cachedWidth, c.shape().last());
            }
        }
        return new ModelStats(name, total, active, Overflow.mul(cachedWidth, CACHE_BYTES), mtpModules, mtp);
    }

    /** The top-k of the dispatch whose buckets an expert linear works on. */
    private static long top(Graph g, Node expertLinear) {
        Node n = expertLinear;
        while (!(n.op() instanceof Op.Dispatch)) {
            if (n.inputs().isEmpty()) throw new IllegalStateException(expertLinear.name() + " is not fed by a dispatch");
            n = g.node(n.inputs().get(0));
        }
        return ((Op.Dispatch) n.op()).top();
    }
}
