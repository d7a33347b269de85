package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.ir.Shape;

/** The per-op cost rules: every op has one, and the counts are the stated formulas. */
class OpCostTest {
    static Shape s(long... d) {
        return new Shape(d);
    }

    /** One instance of every op, with shapes it could have: a new op fails here until it has a cost rule. */
    static Map<Class<?>, Runnable> everyOp() {
        Map<Class<?>, Runnable> m = new LinkedHashMap<>();
        put(m, new Op.Input(), List.of(), s(2, 3));
        put(m, new Op.Output(), List.of(s(2, 1, 8)), s(2, 1, 8));
        put(m, new Op.Embed(100, 8), List.of(s(2, 3)), s(2, 3, 8));
        put(m, new Op.Linear(8, 4, 0), List.of(s(2, 3, 8)), s(2, 3, 4));
        put(m, new Op.Norm(pdagc.ir.NormType.of("layernorm"), 8), List.of(s(2, 3, 8)), s(2, 3, 8));
        put(m, new Op.AttnScores(2, 2, 4), List.of(s(2, 3, 8), s(2, 3, 8)), s(2, 2, 3, 3));
        put(m, new Op.Softmax(), List.of(s(2, 2, 3, 3)), s(2, 2, 3, 3));
        put(m, new Op.AttnContext(2, 2, 4), List.of(s(2, 2, 3, 3), s(2, 3, 8)), s(2, 3, 8));
        put(m, new Op.Unary(pdagc.ir.UnaryFn.of("gelu")), List.of(s(2, 3, 8)), s(2, 3, 8));
        put(m, new Op.Binary(pdagc.ir.BinaryFn.of("add")), List.of(s(2, 3, 8), s(2, 3, 8)), s(2, 3, 8));
        put(m, new Op.Router(4, 2, 8), List.of(s(2, 3, 8)), s(2, 3, 2));
        put(m, new Op.Dispatch(4, 2), List.of(s(2, 3, 8), s(2, 3, 2)), s(4, 3, 8));
        put(m, new Op.ExpertLinear(4, 8, 16), List.of(s(4, 3, 8)), s(4, 3, 16));
        put(m, new Op.Combine(4, 2), List.of(s(4, 3, 8), s(2, 3, 2)), s(2, 3, 8));
        put(m, new Op.LastToken(), List.of(s(2, 3, 8)), s(2, 1, 8));
        put(m, new Op.Collective(CollectiveKind.ALL_REDUCE, List.of("tp"), 0, 0), List.of(s(2, 3, 8)), s(2, 3, 8));
        put(m, new Op.Slice(List.of("tp"), 2), List.of(s(2, 3, 8)), s(2, 3, 4));
        put(m, new Op.Transfer(true, 0, 1), List.of(s(2, 3, 8)), s(2, 3, 8));
        put(m, new Op.Bias(8), List.of(s(2, 3, 8)), s(2, 3, 8));
        put(m, new Op.HeadNorm(pdagc.ir.NormType.of("rmsnorm"), 4, 8), List.of(s(2, 3, 8)), s(2, 3, 8));
        put(m, new Op.Scale(), List.of(s(2, 3, 8), s(2, 3, 1)), s(2, 3, 8));
        put(m, new Op.TiedHead(8, 16), List.of(s(2, 1, 8)), s(2, 1, 16));
        put(m, new Op.PosEmbed(32, 8), List.of(s(2, 3)), s(2, 3, 8));
        put(m, new Op.MlaScores(2, 4, 2, 6), List.of(s(2, 3, 8), s(2, 3, 4), s(2, 3, 6), s(2, 3, 2)), s(2, 2, 3, 3));
        put(m, new Op.MlaContext(2, 6, 4), List.of(s(2, 2, 3, 3), s(2, 3, 6)), s(2, 3, 8));
        put(m, new Op.Einsum(new pdagc.ir.ContractionDef("linear_t", "bsk,nk->bsn", List.of("out", "in"), Set.of()), s(16, 8)),
                List.of(s(2, 3, 8)), s(2, 3, 16));
        Op.Linear linear = new Op.Linear(8, 16, 0);
        put(m, new Op.Grad(linear, 3, 0, List.of()), List.of(s(2, 3, 16)), s(2, 3, 8));
        put(m, new Op.LogitStat(Op.LogitStat.Stat.SUM_EXP, 16), List.of(s(2, 3, 16), s(2, 3)), s(2, 3));
        put(m, new Op.Loss(16, 6), List.of(s(2, 3, 16), s(2, 3), s(2, 3), s(2, 3), s(2, 3)), s(2, 3));
        put(m, new Op.Update(linear, 3, 1e-3, 1e-8, 0.01), List.of(s(8, 16)), s(8, 16));
        put(m, new Op.Updated(linear, 3), List.of(s(8, 16)), s(8, 16));
        put(m, new Op.Accumulate(linear, 3), List.of(s(8, 16)), s(8, 16));
        put(m, new Op.Param(linear, 3), List.of(), s(8, 16));
        put(m, new Op.DropoutMask(0.1), List.of(s(8, 16)), s(8, 16));
        put(m, new Op.Dropout(0.1), List.of(s(8, 16), s(8, 16)), s(8, 16));
        return m;
    }

    /** A linear's input and weight gradients cost the forward's 2·M·K·N FLOPs each: the backward pass is twice the forward. */
    @Test
    void aContractionsGradientsCostItsForwardTwice() {
        Op.Linear linear = new Op.Linear(8, 16, 0);
        long forward = OpCost.of(linear, List.of(s(2, 3, 8)), s(2, 3, 16), 128, 2).flops();
        long dx = OpCost.of(new Op.Grad(linear, 0, 0, List.of()), List.of(s(2, 3, 16)), s(2, 3, 8), 0, 2).flops();
        long dw = OpCost.of(new Op.Grad(linear, 0, Op.Grad.WEIGHT, List.of(0)), List.of(s(2, 3, 8), s(2, 3, 16)), s(8, 16), 0, 2).flops();
        assertEquals(2L * 6 * 8 * 16, forward);
        assertEquals(forward, dx);
        assertEquals(forward, dw);
    }

    /**
     * The cross-entropy's statistics read the logits a rank holds (the max compares each, the sum
     * of exponentials subtracts, exponentiates and adds), the label's logit one logit and one token
     * per row; the loss itself reads only its three statistics, so a vocabulary split over t ranks
     * divides all but the per-token work by t.
     */
    @Test
    void theCrossEntropyReadsTheLogitsItHoldsOnce() {
        Shape logits = s(2, 3, 16), rows = s(2, 3);
        List<Shape> two = List.of(logits, rows);
        assertEquals(new OpCost(96, 192, 12), OpCost.of(new Op.LogitStat(Op.LogitStat.Stat.MAX, 64), List.of(logits), rows, 0, 2));
        assertEquals(new OpCost(288, 204, 12), OpCost.of(new Op.LogitStat(Op.LogitStat.Stat.SUM_EXP, 64), two, rows, 0, 2));
        assertEquals(new OpCost(6, 24, 12), OpCost.of(new Op.LogitStat(Op.LogitStat.Stat.LABEL, 64), two, rows, 0, 2));
        assertEquals(new OpCost(18, 36, 12), OpCost.of(new Op.Loss(64, 6), List.of(logits, rows, rows, rows, rows), rows, 0, 2));
    }

    /** A dropout mask writes one byte per element and reads nothing; the dropout reads its input and that mask and multiplies once per element. */
    @Test
    void aDropoutMaskIsBytesAndTheDropoutOneMultiply() {
        Shape x = s(2, 3, 8);
        OpCost mask = OpCost.of(new Op.DropoutMask(0.1), List.of(x), x, 0, pdagc.ir.DType.BF16, new int[] {2});
        assertEquals(new OpCost(0, 0, 48), mask);
        OpCost drop = OpCost.of(new Op.Dropout(0.1), List.of(x, x), x, 0, pdagc.ir.DType.BF16, new int[] {2, 1});
        assertEquals(new OpCost(48, 48 * 2 + 48, 48 * 2), drop);
    }

    private static long flops(Op.Grad g, List<Shape> in, Shape out) {
        return OpCost.of(g, in, out, 0, 2).flops();
    }

    /**
     * The gradients the mixture of experts, the tied head and latent attention added count their
     * products as the forwards do: the router's each a product by the gate weight or the input
     * (2·T·H·E) and the softmax over the chosen experts; the dispatch's adds the top-k copies of a
     * token, the combine's multiplies each copy by its gate (to the experts) or dots it with the
     * token's gradient (to the gates); a tied head's, the forward's 2·M·K·N; latent attention's,
     * the two products of the absorbed form each runs.
     */
    @Test
    void theGradientsOfRoutingTiedHeadsAndLatentAttentionCountTheirProducts() {
        Op.Router router = new Op.Router(4, 2, 8);
        long routerFlops = 2L * 6 * 8 * 4 + OpCost.SOFTMAX * 6 * 2;
        assertEquals(routerFlops, flops(new Op.Grad(router, 0, 0, List.of(-1)), List.of(s(2, 3, 2), s(2, 3, 2)), s(2, 3, 8)));
        assertEquals(routerFlops, flops(new Op.Grad(router, 0, Op.Grad.WEIGHT, List.of(0, -1)), List.of(s(2, 3, 8), s(2, 3, 2), s(2, 3, 2)), s(8, 4)));
        assertEquals(2L * 48, flops(new Op.Grad(new Op.Dispatch(4, 2), 0, 0, List.of()), List.of(s(4, 3, 8)), s(2, 3, 8)));
        Op.Combine combine = new Op.Combine(4, 2);
        assertEquals(4L * 3 * 8, flops(new Op.Grad(combine, 0, 0, List.of(1)), List.of(s(2, 3, 2), s(2, 3, 8)), s(4, 3, 8)));
        assertEquals(2L * 2 * 48, flops(new Op.Grad(combine, 0, 1, List.of(0)), List.of(s(4, 3, 8), s(2, 3, 8)), s(2, 3, 2)));
        Op.TiedHead tied = new Op.TiedHead(8, 16);
        long forward = OpCost.of(tied, List.of(s(2, 3, 8)), s(2, 3, 16), 0, 2).flops();
        assertEquals(forward, flops(new Op.Grad(tied, 0, 0, List.of()), List.of(s(2, 3, 16)), s(2, 3, 8)));
        assertEquals(forward, flops(new Op.Grad(tied, 0, Op.Grad.WEIGHT, List.of(0)), List.of(s(2, 3, 8), s(2, 3, 16)), s(16, 8)));
        // Latent scores: b 2, 2 local heads, q = t = 3, nope 4, rope 2, rank 6.
        Op.MlaScores scores = new Op.MlaScores(2, 4, 2, 6);
        Shape dS = s(2, 2, 3, 3);
        long throughLatent = 2L * 36 * 6 + 2L * 12 * 4 * 6;
        assertEquals(throughLatent, flops(new Op.Grad(scores, 0, 0, List.of(2)), List.of(s(2, 3, 6), dS), s(2, 3, 8)));
        assertEquals(2L * 36 * 2, flops(new Op.Grad(scores, 0, 1, List.of(3)), List.of(s(2, 3, 2), dS), s(2, 3, 4)));
        assertEquals(throughLatent, flops(new Op.Grad(scores, 0, Op.Grad.WEIGHT, List.of(0, 2)), List.of(s(2, 3, 8), s(2, 3, 6), dS), s(6, 8)));
        // Latent context: probabilities [2, 2, 3, 3], rank 6, v 4.
        Op.MlaContext context = new Op.MlaContext(2, 6, 4);
        long both = 2L * 36 * 6 + 2L * 12 * 6 * 4;
        assertEquals(both, flops(new Op.Grad(context, 0, 0, List.of(1)), List.of(s(2, 3, 6), s(2, 3, 8)), s(2, 2, 3, 3)));
        assertEquals(both, flops(new Op.Grad(context, 0, 1, List.of(0)), List.of(s(2, 2, 3, 3), s(2, 3, 8)), s(2, 3, 6)));
    }

    private static void put(Map<Class<?>, Runnable> m, Op op, List<Shape> in, Shape out) {
        m.put(op.getClass(), () -> OpCost.of(op, in, out, 10, 2));
    }

    @Test
    void everyOpOfTheIrHasACostRule() {
        Map<Class<?>, Runnable> ops = everyOp();
        Set<Class<?>> permitted = Arrays.stream(Op.class.getPermittedSubclasses()).collect(Collectors.toSet());
        assertEquals(permitted, ops.keySet(), "add the new op to OpCost.of and to this test");
        ops.values().forEach(Runnable::run);
    }

    @Test
    void aDefinedContractionIsCostedFromItsSpec() {
        Op op = new Op.Einsum(new pdagc.ir.ContractionDef("linear_t", "bsk,nk->bsn", List.of("out", "in"), Set.of()), s(5, 4));
        assertEquals(OpCost.of(new Op.Linear(4, 5, 0), List.of(s(2, 3, 4)), s(2, 3, 5), 20, 2), OpCost.of(op, List.of(s(2, 3, 4)), s(2, 3, 5), 20, 2));
    }

    @Test
    void aMatrixProductIsTwoMknAndReadsInputAndWeight() {
        OpCost c = OpCost.of(new Op.Linear(4, 5, 0), List.of(s(2, 3, 4)), s(2, 3, 5), 20, 2);
        assertEquals(2 * 6 * 4 * 5, c.flops());
        assertEquals((24 + 20) * 2, c.bytesRead());
        assertEquals(30 * 2, c.bytesWritten());
        OpCost e = OpCost.of(new Op.ExpertLinear(8, 4, 5), List.of(s(2, 7, 4)), s(2, 7, 5), 2 * 4 * 5, 2);
        assertEquals(2 * 14 * 4 * 5, e.flops(), "2 local experts x capacity 7");
    }

    @Test
    void attentionCountsTheFullSquareAndReadsTheCacheOverTheContext() {
        // prefill: B 2, 2 local heads of d 4, S = T = 3
        OpCost scores = OpCost.of(new Op.AttnScores(4, 4, 4), List.of(s(2, 3, 8), s(2, 3, 8)), s(2, 2, 3, 3), 0, 2);
        assertEquals(2L * 2 * 2 * 3 * 3 * 4, scores.flops());
        assertEquals((48 + 48) * 2, scores.bytesRead());
        OpCost context = OpCost.of(new Op.AttnContext(4, 4, 4), List.of(s(2, 2, 3, 3), s(2, 3, 8)), s(2, 3, 8), 0, 2);
        assertEquals(2L * 2 * 2 * 3 * 3 * 4, context.flops());
        // decode: one query against a cache of 10 positions
        OpCost decode = OpCost.of(new Op.AttnScores(4, 4, 4), List.of(s(2, 1, 8), s(2, 1, 8)), s(2, 2, 1, 10), 0, 2);
        assertEquals(2L * 2 * 2 * 1 * 10 * 4, decode.flops());
        assertEquals((16 + 2 * 10 * 8) * 2, decode.bytesRead());
    }

    @Test
    void elementwiseOpsCountTheirStatedConstants() {
        Shape x = s(2, 3, 8);
        assertEquals(48 * OpCost.GELU, OpCost.of(new Op.Unary(pdagc.ir.UnaryFn.of("gelu")), List.of(x), x, 0, 2).flops());
        assertEquals(48 * OpCost.SILU, OpCost.of(new Op.Unary(pdagc.ir.UnaryFn.of("silu")), List.of(x), x, 0, 2).flops());
        assertEquals(48 * OpCost.RELU, OpCost.of(new Op.Unary(pdagc.ir.UnaryFn.of("relu")), List.of(x), x, 0, 2).flops());
        assertEquals(48 * OpCost.SOFTMAX, OpCost.of(new Op.Softmax(), List.of(x), x, 0, 2).flops());
        assertEquals(48 * OpCost.RMSNORM, OpCost.of(new Op.Norm(pdagc.ir.NormType.of("rmsnorm"), 8), List.of(x), x, 8, 2).flops());
        assertEquals(48 * OpCost.LAYERNORM, OpCost.of(new Op.Norm(pdagc.ir.NormType.of("layernorm"), 8), List.of(x), x, 8, 2).flops());
        assertEquals(48, OpCost.of(new Op.Binary(pdagc.ir.BinaryFn.of("mul")), List.of(x, x), x, 0, 2).flops());
        assertEquals((48 + 8) * 2, OpCost.of(new Op.Norm(pdagc.ir.NormType.of("rmsnorm"), 8), List.of(x), x, 8, 2).bytesRead(), "input and scale");
    }

    @Test
    void routingAndLookupsMoveWhatTheyTouch() {
        OpCost router = OpCost.of(new Op.Router(4, 2, 8), List.of(s(2, 3, 8)), s(2, 3, 2), 32, 2);
        assertEquals(2 * 6 * 8 * 4 + OpCost.SOFTMAX * 6 * 4, router.flops());
        OpCost combine = OpCost.of(new Op.Combine(4, 2), List.of(s(4, 3, 8), s(2, 3, 2)), s(2, 3, 8), 0, 2);
        assertEquals(OpCost.COMBINE_PER_EXPERT * 2 * 48, combine.flops());
        OpCost embed = OpCost.of(new Op.Embed(1000, 8), List.of(s(2, 3)), s(2, 3, 8), 8000, 2);
        assertEquals(0, embed.flops());
        assertEquals((6 + 48) * 2, embed.bytesRead(), "the gathered rows, not the table");
        assertEquals(new OpCost(0, 16 * 2, 16 * 2), OpCost.of(new Op.LastToken(), List.of(s(2, 3, 8)), s(2, 1, 8), 0, 2));
        assertEquals(OpCost.NONE, OpCost.of(new Op.Output(), List.of(s(2, 1, 8)), s(2, 1, 8), 0, 2));
    }
}
