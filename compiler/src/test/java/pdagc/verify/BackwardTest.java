package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import pdagc.ir.NormType;
import pdagc.ir.UnaryFn;

/**
 * The backward kernels are the derivatives of the forward kernels: each is held against central
 * differences of a scalar {@code L = Σ dy · forward(...)} in every input and weight element it
 * differentiates. {@code verify} cannot show this (the unpartitioned model runs the same backward
 * kernels as the plan); this does, for the ops whose gradients the mixture of experts, tied heads,
 * learned positions, per-head norms, row gates and latent attention added.
 */
class BackwardTest {
    private static final double H = 1e-6;

    private static Tensor random(long seed, int... shape) {
        return Random.tensor(shape, seed, 1.0, 0.0);
    }

    private static double dot(Tensor a, Tensor b) {
        assertEquals(a.data.length, b.data.length);
        double s = 0;
        for (int i = 0; i < a.data.length; i++) if (!Double.isInfinite(a.data[i])) s += a.data[i] * b.data[i];
        return s;
    }

    /** Central differences of {@code loss} in every element of {@code x}, compared with {@code analytic}. */
    private static void check(String what, double[] x, DoubleSupplier loss, double[] analytic) {
        assertEquals(x.length, analytic.length, what);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + H;
            double up = loss.getAsDouble();
            x[i] = keep - H;
            double down = loss.getAsDouble();
            x[i] = keep;
            double numeric = (up - down) / (2 * H);
            worst = Math.max(worst, Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric)));
        }
        double w = worst;
        assertTrue(w < 1e-6, () -> what + ": analytic and numeric gradients differ by " + w);
    }

    /**
     * The vocabulary-parallel cross-entropy: with the vocabulary split in two blocks, the max
     * reduced by max and the sum of exponentials and the label's logit by sum give the loss of
     * the whole logits, and each block's gradient, from the whole statistics, is its block of the
     * derivative of the mean loss. A shift other than the max gives the same loss (it is there
     * for range only), so the sum must be taken with one max on both blocks.
     */
    @Test
    void theVocabularyParallelCrossEntropyIsTheWholeOnesLossAndGradient() {
        int v = 8, half = v / 2;
        long total = 6;
        Tensor z = random(11, 2, 3, v);
        Tensor tokens = Tensor.zeros(2, 3);
        for (int i = 0; i < tokens.data.length; i++) tokens.data[i] = (3 * i + 1) % v;
        Tensor seed = random(12, 2, 3);
        DoubleSupplier mean = () -> {
            Tensor a = z.slice(2, 0, half), b = z.slice(2, half, half);
            Tensor max = Backward.logitMax(a);
            Tensor mb = Backward.logitMax(b);
            for (int i = 0; i < max.data.length; i++) max.data[i] = Math.max(max.data[i], mb.data[i]);
            Tensor sum = Backward.sumExp(a, max).plus(Backward.sumExp(b, max));
            Tensor label = Backward.labelLogit(a, tokens, v, 0).plus(Backward.labelLogit(b, tokens, v, half));
            return dot(seed, Backward.loss(max, sum, label)) / total;
        };
        // The whole row's loss, against the textbook logsumexp(z) - z[label].
        Tensor whole = Backward.loss(Backward.logitMax(z), Backward.sumExp(z, Backward.logitMax(z)), Backward.labelLogit(z, tokens, v, 0));
        for (int r = 0; r < 6; r++) {
            double lse = 0;
            for (int i = 0; i < v; i++) lse += Math.exp(z.data[r * v + i]);
            assertEquals(Math.log(lse) - z.data[r * v + Backward.label(tokens.data[r], v)], whole.data[r], 1e-12);
        }
        Tensor max = Backward.logitMax(z);
        Tensor sum = Backward.sumExp(z, max);
        // Each block's gradient from the whole statistics, scaled by the seed per row: the dual of the loss's rows.
        double[] analytic = new double[z.data.length];
        for (int blockStart : new int[] {0, half}) {
            Tensor g = Backward.lossInput(z.slice(2, blockStart, half), tokens, max, sum, v, blockStart, total);
            for (int r = 0; r < 6; r++) for (int i = 0; i < half; i++) analytic[r * v + blockStart + i] = g.data[r * half + i] * seed.data[r];
        }
        check("cross-entropy logits", z.data, mean, analytic);
    }

    @Test
    void routerGradientsFlowThroughTheGateWeightsOfTheChosenExperts() {
        Tensor x = random(1, 2, 3, 4);
        Tensor w = random(2, 4, 6);
        Tensor dg = random(3, 2, 3, 2);
        DoubleSupplier loss = () -> dot(dg, Kernels.router(x, w, 2));
        Tensor route = Kernels.router(x, w, 2);
        check("router input", x.data, loss, Backward.routerInput(route, w, dg).data);
        check("router weight", w.data, loss, Backward.routerWeight(x, route, dg, 6).data);
    }

    @Test
    void dispatchAndCombineGradientsAreEachOthersGathers() {
        Tensor x = random(4, 2, 3, 4);
        Tensor route = Kernels.router(random(5, 2, 3, 4), random(6, 4, 4), 2);
        long[] ids = Evaluator.tokenIds(2, 3, 0, 0, 3);
        // Dispatch: L = Σ c · buckets; its input gradient gathers each token's copies of c.
        Buckets c = Backward.combineOutputs(route, random(7, 2, 3, 4), 4, ids);
        DoubleSupplier dispatched = () -> {
            Buckets b = Kernels.dispatch(x, route, 4, 0, ids);
            return bucketDot(b, c);
        };
        check("dispatch input", x.data, dispatched, Backward.dispatchInput(c, x.shape, ids, 2).data);
        // Combine: L = Σ dy · combine(y, route), in the expert outputs and in the gate weights.
        Buckets y = distinct(Kernels.dispatch(random(8, 2, 3, 4), route, 4, 0, ids));
        Tensor dy = random(9, 2, 3, 4);
        DoubleSupplier combined = () -> dot(dy, Kernels.combine(y, route, ids, 4));
        Buckets dY = Backward.combineOutputs(route, dy, 4, ids);
        for (int e = 0; e < 4; e++) {
            for (Buckets.Entry entry : y.experts.get(e)) {
                double[] analytic = find(dY, entry).vector();
                check("combine expert output", entry.vector(), combined, analytic);
            }
        }
        check("combine gates", route.data, combined, Backward.combineGates(y, dy, ids, 2).data);
    }

    @Test
    void expertLinearGradientsRunOnBuckets() {
        Tensor route = Kernels.router(random(10, 2, 3, 4), random(11, 4, 4), 2);
        long[] ids = Evaluator.tokenIds(2, 3, 0, 0, 3);
        Buckets x = distinct(Kernels.dispatch(random(12, 2, 3, 4), route, 4, 0, ids));
        Tensor w = random(13, 4, 4, 5);
        Buckets dy = Kernels.expertLinear(x, random(14, 4, 4, 5), 0);
        DoubleSupplier loss = () -> bucketDot(Kernels.expertLinear(x, w, 0), dy);
        check("expert weight", w.data, loss, Backward.expertWeight(x, dy, w.shape, 0).data);
        Buckets dx = Backward.expertInput(dy, w, 0);
        for (List<Buckets.Entry> bucket : x.experts) for (Buckets.Entry e : bucket) check("expert input", e.vector(), loss, find(dx, e).vector());
        // An activation between experts, on bucketed values.
        Buckets g = widthOf(dy, x);
        DoubleSupplier act = () -> bucketDot(Kernels.unary(UnaryFn.SILU, x), g);
        Buckets da = Backward.unary(UnaryFn.SILU, x, g);
        for (List<Buckets.Entry> bucket : x.experts) for (Buckets.Entry e : bucket) check("expert activation", e.vector(), act, find(da, e).vector());
    }

    @Test
    void rowGateTiedHeadPositionsHeadNormAndLastToken() {
        Tensor x = random(20, 2, 3, 4);
        Tensor gate = random(21, 2, 3, 1);
        Tensor dy = random(22, 2, 3, 4);
        DoubleSupplier scaled = () -> dot(dy, Kernels.scale(x, gate));
        check("scale rows", x.data, scaled, Kernels.scale(dy, gate).data);
        check("scale gate", gate.data, scaled, Backward.scaleGate(x, dy).data);

        Tensor table = random(23, 6, 4);
        Tensor dl = random(24, 2, 3, 6);
        DoubleSupplier tied = () -> dot(dl, Kernels.linearTransposed(x, table));
        check("tied head input", x.data, tied, Kernels.linear(dl, table).data);
        check("tied head table", table.data, tied, Backward.tiedTable(x, dl).data);

        Tensor positions = random(25, 5, 4);
        Tensor tokens = Tensor.zeros(2, 3);
        DoubleSupplier pos = () -> dot(dy, Kernels.posEmbed(tokens, positions, 1));
        check("position table", positions.data, pos, Backward.positions(dy, positions.shape, 1).data);

        Tensor q = random(26, 2, 3, 8);
        Tensor gamma = Random.tensor(new int[] {4}, 27, 0.1, 1.0);
        Tensor dq = random(28, 2, 3, 8);
        for (NormType type : NormType.values()) {
            DoubleSupplier normed = () -> dot(dq, Kernels.headNorm(type, 4, q, gamma));
            check(type + " per-head input", q.data, normed, Backward.headNormInput(type, 4, q, gamma, dq).data);
            check(type + " per-head scale", gamma.data, normed, Backward.headNormWeight(type, 4, q, dq).data);
        }

        Tensor last = random(29, 2, 1, 4);
        DoubleSupplier picked = () -> dot(last, Kernels.lastToken(x));
        check("last token", x.data, picked, Backward.lastToken(last, x.shape).data);
    }

    @Test
    void latentAttentionGradientsInEveryInputAndBothUpProjections() {
        int b = 2, s = 3, heads = 2, nope = 3, rope = 2, rank = 4, v = 3;
        Tensor qNope = random(30, b, s, heads * nope);
        Tensor qRope = random(31, b, s, heads * rope);
        Tensor latent = random(32, b, s, rank);
        Tensor kRope = random(33, b, s, rope);
        Tensor wuk = random(34, rank, heads * nope);
        Mla.Where at = new Mla.Where(1, 0, 0, 0, 0, s, false);
        Tensor dS = random(35, b, heads, s, s);
        DoubleSupplier scores = () -> dot(Mla.scores(qNope, qRope, latent, kRope, wuk, nope, rope, at), dS);
        check("q_nope", qNope.data, scores, Backward.mlaQueryNope(dS, latent, wuk, nope, rope, 0).data);
        check("q_rope", qRope.data, scores, Backward.mlaQueryRope(dS, kRope, nope, rope, 0).data);
        check("latent (scores)", latent.data, scores, Backward.mlaScoresLatent(qNope, wuk, dS, nope, rope, 0, latent.shape).data);
        check("k_rope", kRope.data, scores, Backward.mlaKeyRope(dS, qRope, nope, rope, 0).data);
        check("W_UK", wuk.data, scores, Backward.mlaKeyUp(qNope, latent, dS, nope, rope, 0).data);

        Tensor probs = Kernels.softmax(Mla.scores(qNope, qRope, latent, kRope, wuk, nope, rope, at));
        Tensor wuv = random(36, rank, heads * v);
        Tensor dctx = random(37, b, s, heads * v);
        DoubleSupplier context = () -> dot(dctx, Mla.context(probs, latent, wuv, at));
        check("probabilities", probs.data, context, Backward.mlaContextProbs(latent, wuv, dctx, heads).data);
        check("latent (context)", latent.data, context, Backward.mlaContextLatent(probs, wuv, dctx, latent.shape).data);
        check("W_UV", wuv.data, context, Backward.mlaValueUp(probs, latent, dctx).data);
    }

    private static double bucketDot(Buckets a, Buckets b) {
        double s = 0;
        for (List<Buckets.Entry> bucket : a.experts) {
            for (Buckets.Entry e : bucket) {
                double[] o = find(b, e).vector();
                for (int i = 0; i < o.length; i++) s += e.vector()[i] * o[i];
            }
        }
        return s;
    }

    private static Buckets.Entry find(Buckets b, Buckets.Entry like) {
        for (List<Buckets.Entry> bucket : b.experts) for (Buckets.Entry e : bucket) if (e.token() == like.token() && e.slot() == like.slot()) return e;
        throw new AssertionError("no entry for token " + like.token() + " slot " + like.slot());
    }

    /** The same entries, each with a vector of its own (a dispatch's copies of one token share theirs: perturbing one would move both). */
    private static Buckets distinct(Buckets b) {
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (List<Buckets.Entry> bucket : b.experts) {
            List<Buckets.Entry> copy = new ArrayList<>();
            for (Buckets.Entry e : bucket) copy.add(e.with(e.vector().clone()));
            out.add(copy);
        }
        return new Buckets(b.firstExpert, out);
    }

    /** {@code dy}'s entries cut to {@code x}'s width (a gradient for an activation of x). */
    private static Buckets widthOf(Buckets dy, Buckets x) {
        List<List<Buckets.Entry>> out = new ArrayList<>();
        for (List<Buckets.Entry> bucket : dy.experts) {
            List<Buckets.Entry> b = new ArrayList<>();
            for (Buckets.Entry e : bucket) b.add(e.with(java.util.Arrays.copyOf(e.vector(), x.width())));
            out.add(b);
        }
        return new Buckets(dy.firstExpert, out);
    }
}
