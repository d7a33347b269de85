package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.Op;
import pdagc.ir.Shape;

/**
 * Which experts an expert product touches ({@link ExpertActivity}): under balanced routing a decode
 * step reads only the experts its few tokens reach; under {@code routing identical} every token
 * goes to the same top-k experts, so a prefill reads k experts' weights instead of all and, with
 * expert parallelism, the rank holding them does the others' work too.
 */
class RoutingTest {
    // Mixtral-8x7B: 8 experts, top-2.
    static final String DEPLOY = """
            import std.hardware
            import std.models.mixtral_8x7b
            cluster C { gpu H100  count 8  per_node 8 }
            workload W { %s  dtype bf16%s }
            strategy S { mesh [tp %d]%s }
            deploy D = Mixtral_8x7b on C with S for W
            """;

    private static MaterializedPlan plan(String shape, int tp, String experts, boolean identical) {
        String text = String.format(DEPLOY, shape, identical ? "  routing identical" : "", tp, experts).replace("count 8  per_node 8",
                "count " + tp + "  per_node " + tp);
        return Compile.source(text);
    }

    /** Sums over the first GPU's expert products: FLOPs, HBM bytes and seconds. */
    private static double[] experts(MaterializedPlan p) {
        double flops = 0, bytes = 0, seconds = 0;
        for (DagNode n : p.dag().nodes()) {
            if (n.gpu() != 0 || !(n.op() instanceof Op.ExpertLinear)) continue;
            flops += p.analysis().nodes().flops(n.index());
            bytes += p.analysis().nodes().bytes(n.index());
            seconds += p.analysis().nodes().seconds(n.index());
        }
        return new double[] {flops, bytes, seconds};
    }

    @Test
    void balancedRoutingTouchesAsManyExpertsAsItHasEntries() {
        Op.ExpertLinear op = new Op.ExpertLinear(8, 4096, 14336);
        long weights = 8L * 4096 * 14336;
        // A decode step of one token, top-2: two entries as rows, two experts read.
        ExpertActivity one = ExpertActivity.of(op, new Shape(2, 1, 4096), new Shape(2, 1, 14336), weights, 2, false);
        assertEquals(2, one.active());
        assertEquals(0.25, one.weightShare(), 1e-12);
        assertEquals(1, one.work(), 1e-12);
        // Twelve entries as rows over eight experts: every expert, two tokens at most each.
        ExpertActivity twelve = ExpertActivity.of(op, new Shape(12, 1, 4096), new Shape(12, 1, 14336), weights, 2, false);
        assertEquals(8, twelve.active());
        assertEquals(2, twelve.rowsPerExpert());
        assertEquals(1, twelve.weightShare(), 1e-12);
        // A prefill's grid: every expert, its capacity each.
        ExpertActivity grid = ExpertActivity.of(op, new Shape(8, 32, 4096), new Shape(8, 32, 14336), weights, 2, false);
        assertEquals(8, grid.active());
        assertEquals(32, grid.rowsPerExpert());
        assertEquals(1, grid.weightShare(), 1e-12);
    }

    @Test
    void identicalRoutingSendsEveryTokenToTheSameExperts() {
        Op.ExpertLinear op = new Op.ExpertLinear(8, 4096, 14336);
        // 128 tokens, top-2, all experts on the rank: 2 experts of 128 tokens each, the same FLOPs, a quarter of the weights.
        ExpertActivity all = ExpertActivity.of(op, new Shape(8, 32, 4096), new Shape(8, 32, 14336), 8L * 4096 * 14336, 2, true);
        assertEquals(2, all.active());
        assertEquals(128, all.rowsPerExpert());
        assertEquals(1, all.work(), 1e-12);
        assertEquals(0.25, all.weightShare(), 1e-12);
        // One expert per rank over 8 ranks (ep 8): the busiest rank's expert gets all 128 tokens, 4 times its balanced 32.
        ExpertActivity ep = ExpertActivity.of(op, new Shape(1, 32, 4096), new Shape(1, 32, 14336), 4096L * 14336, 2, true);
        assertEquals(1, ep.active());
        assertEquals(128, ep.rowsPerExpert());
        assertEquals(4, ep.work(), 1e-12);
        assertEquals(1, ep.weightShare(), 1e-12);
    }

    @Test
    void aDecodeStepOfOneTokenReadsTheTwoExpertsItReaches() {
        MaterializedPlan p = plan("batch 1  phase decode  context 512", 2, "", false);
        double[] e = experts(p);
        long expertWeightBytes = 32L * 3 * 8 * 4096 * 14336 * 2 / 2; // 32 layers, 3 products, 8 experts, bf16, over tp 2
        assertEquals(expertWeightBytes / 4.0, e[1], expertWeightBytes * 0.01, "two of eight experts' weights, and the few activations");
    }

    @Test
    void identicalRoutingReadsTopKExpertsInAPrefillWithTheSameFlops() {
        double[] balanced = experts(plan("batch 1  seq 128", 2, "", false));
        double[] identical = experts(plan("batch 1  seq 128", 2, "", true));
        assertEquals(balanced[0], identical[0], balanced[0] * 1e-9, "tensor-parallel experts: the same products, in 2 experts instead of 8");
        assertTrue(identical[1] < 0.3 * balanced[1], identical[1] + " bytes against " + balanced[1] + ": a quarter of the weights");
        assertTrue(identical[2] < 0.6 * balanced[2], identical[2] + " s against " + balanced[2] + " s: weight-bound products read less");
    }

    @Test
    void identicalRoutingLoadsTheRankThatHoldsTheChosenExperts() {
        String ep = "  expert_mesh [ep 8]";
        double[] balanced = experts(plan("batch 1  seq 1024", 8, ep, false));
        double[] identical = experts(plan("batch 1  seq 1024", 8, ep, true));
        assertEquals(4 * balanced[0], identical[0], balanced[0] * 1e-6, "one expert a rank: the chosen one gets every token, 4x its share");
        assertTrue(identical[2] > 2 * balanced[2], identical[2] + " s against " + balanced[2] + " s");
    }
}
