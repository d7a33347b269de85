package pdagc.analysis;

import pdagc.ir.Op;
import pdagc.ir.Shape;

/**
 * Which of a rank's experts an expert product touches, and how many routed tokens each gets, under
 * the workload's routing; the cost of the product follows ({@link #cost}).
 *
 * <ul>
 *   <li><b>Balanced</b> (the plan's assumption, {@code routing balanced}): the rank's {@code R}
 *       routed tokens (entries) spread over its {@code E_l} experts as evenly as they can, so
 *       {@code min(R, E_l)} experts are touched and only their weights are read. With at least one
 *       entry per expert (a prefill, a large decode batch) every weight is read; a decode step of
 *       one token with top-2 routing reads two experts' weights, not all. A fused MoE kernel's time
 *       grows with the experts touched in just this way (aiconfigurator's TensorRT-LLM MoE
 *       microbenchmarks, Mixtral's shape, "balanced" distribution: 1, 2 and 4 tokens take about 1, 2
 *       and 4 times as long, then flat until the products grow).
 *   <li><b>Identical</b> ({@code routing identical}): every token picks the same top-k experts, as
 *       when a benchmark feeds one token id repeated (with identical inputs every position's hidden
 *       state is the same, so the router's choice is too). The plan's shapes still hold the
 *       balanced expectation; the cost is the busiest rank's: the one holding the first
 *       {@code min(k, E_l)} chosen experts, each receiving every token of the rank's token share
 *       ({@code R·n0/k}, with {@code n0 = E/E_l} ranks over the experts). Without expert parallelism
 *       ({@code n0 = 1}) the FLOPs are the balanced ones, in k products of all the tokens instead of
 *       E products of {@code T·k/E}, and only k experts' weights are read; with it, the busiest rank
 *       does {@code min(k, E_l)·n0/k} times its balanced share. The dispatch's and combine's
 *       collectives are still costed balanced (the busiest rank's all-to-all receives more).
 * </ul>
 *
 * @param experts the experts the rank's routing spreads its tokens over: all of its own under balanced
 *     routing, the active ones under identical routing (the measured balanced layer it resembles)
 * @param active experts of the rank that receive tokens
 * @param rowsPerExpert routed tokens each active expert multiplies (rounded up)
 * @param work the busiest rank's FLOPs and activation traffic over the balanced share's
 * @param weightShare the share of the rank's expert weights read
 * @param perToken the layer's routed tokens per token on a rank: top-k over the ranks its experts are split over
 */
record ExpertActivity(long experts, long active, long rowsPerExpert, double work, double weightShare, double perToken) {

    /**
     * The activity of expert product {@code op} with local input {@code input} (entries by its
     * input width, as a grid {@code [E_l, C, in]} or as rows {@code [R, 1, in]}), local output
     * {@code output}, {@code weightElements} local weight elements and top-{@code top} routing.
     */
    static ExpertActivity of(Op.ExpertLinear op, Shape input, Shape output, long weightElements, long top, boolean identical) {
        long in = Math.max(1, input.last()), out = Math.max(1, output.last());
        long local = Math.max(1, weightElements / Math.max(1, in * out));
        long entries = Math.max(1, input.elements() / in);
        long ranks = Math.max(1, op.experts() / local);
        double perToken = (double) Math.max(1, top) / ranks;
        if (!identical || top < 1) {
            long touched = Math.min(local, entries);
            return new ExpertActivity(local, touched, (entries + touched - 1) / touched, 1, (double) touched / local, perToken);
        }
        long active = Math.min(top, local);
        double share = (double) entries * ranks / top;
        double work = active * share / entries;
        return new ExpertActivity(active, active, (long) Math.ceil(share), work, (double) active / local, perToken);
    }

    /**
     * {@code balanced}, the cost of the product under the activity: FLOPs and activation traffic
     * times {@link #work}, the weight's bytes ({@code weightBytes} of them in {@code balanced})
     * times {@link #weightShare}.
     */
    OpCost cost(OpCost balanced, long weightBytes) {
        long activations = Math.max(0, balanced.bytesRead() - weightBytes);
        return new OpCost(Math.round(balanced.flops() * work), Math.round(activations * work + weightBytes * weightShare),
                Math.round(balanced.bytesWritten() * work));
    }
}
