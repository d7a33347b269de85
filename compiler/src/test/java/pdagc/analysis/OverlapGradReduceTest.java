package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.Op;

/**
 * {@code overlap_grad_reduce}: the weight gradients' reduction over the data-parallel ranks runs
 * on a second stream, beside the backward pass, and the optimizer step waits for it. The step
 * with the option off is the step on one stream; with it on, it is shorter by what the second
 * stream hides, never by more than the second stream holds.
 */
class OverlapGradReduceTest {

    private static MaterializedPlan plan(String model, int gpus, int perNode, String strategy, boolean overlap) {
        return Compile.source("import std.hardware\nimport std.blocks\n" + model + "\n"
                + "cluster C { gpu H100  count " + gpus + "  per_node " + perNode + " }\n"
                + "workload W { batch 32  seq 512  phase train }\n"
                + "strategy S { " + strategy + "  overlap_grad_reduce " + overlap + " }\n"
                + "deploy D = M on C with S for W\n");
    }

    private static final String GPT = "model M { vocab 8192 hidden 1024 heads 16 layers 4 ffn 4096 norm layernorm act gelu layer gpt2_layer head layernorm_lm_head }";
    private static final String TINY = "model M { vocab 256 hidden 64 heads 8 layers 4 ffn 128 norm rmsnorm act silu layer gated_dense_layer }";

    /** The seconds of GPU 0's nodes that are a weight gradient's accumulation or its reduction (the second stream's, when it overlaps). */
    private static double reductions(MaterializedPlan p) {
        double s = 0;
        for (DagNode n : p.dag().nodes()) {
            if (n.gpu() != 0) continue;
            boolean accumulation = n.op() instanceof Op.Accumulate;
            boolean reduction = n.op() instanceof Op.Collective && n.name().contains(".accumulate.");
            if (accumulation || reduction) s += p.analysis().nodes().seconds(n.index());
        }
        return s;
    }

    @Test
    void aDataParallelStepHidesItsGradientReductionBehindTheBackwardPass() {
        MaterializedPlan off = plan(GPT, 8, 8, "mesh [dp 8]  zero 1  micro_batches 2", false);
        MaterializedPlan on = plan(GPT, 8, 8, "mesh [dp 8]  zero 1  micro_batches 2", true);
        double tOff = off.analysis().step().seconds(), tOn = on.analysis().step().seconds();
        assertNull(off.analysis().training().overlap(), "off: one stream");
        Analysis.Overlap o = on.analysis().training().overlap();
        assertNotNull(o);
        // The one-stream figure is exactly the plan without the option, and on one stream of data parallelism alone nothing waits.
        assertEquals(tOff, o.oneStreamSeconds(), 0.0);
        Analysis.GpuFigures g = off.analysis().gpus().get(0);
        assertEquals(tOff, g.computeSeconds() + g.communicationSeconds(), 1e-12 * tOff);
        double side = reductions(on);
        assertEquals(side, o.secondStreamSeconds(), 1e-12 * side, "the second stream holds the accumulations and their dp reductions");
        assertEquals(reductions(off), side, 1e-15, "the same nodes at the same costs");
        assertTrue(side > 0.05 * tOff, "a plan whose reductions matter: " + side + " of " + tOff);
        // Shorter, by at most what the second stream holds (the backward pass hides the reductions but the last ones).
        assertTrue(tOn < tOff - 0.5 * side, tOn + " vs " + tOff + " with " + side + " on the second stream");
        assertTrue(tOn >= tOff - side - 1e-12 * tOff, tOn + " vs " + tOff + " - " + side);
        // The first stream's own work still bounds the step, and its idle time is what it waits.
        Analysis.GpuFigures h = on.analysis().gpus().get(0);
        double firstStream = h.computeSeconds() + h.communicationSeconds() - side;
        assertTrue(tOn >= firstStream - 1e-12 * tOn, tOn + " < " + firstStream);
        assertEquals(tOn - firstStream, h.idleSeconds(), 1e-9 * tOn);
    }

    /**
     * Where the reductions outlast the backward pass (a small model's gradients over the network
     * between nodes), the second stream sets the step: its reductions run one after another, and
     * the critical path runs through a reduction into the optimizer step that waits for it.
     */
    @Test
    void theOptimizerStepWaitsForItsReduction() {
        MaterializedPlan on = plan(TINY, 32, 1, "mesh [dp 32]", true);
        MaterializedPlan off = plan(TINY, 32, 1, "mesh [dp 32]", false);
        double tOn = on.analysis().step().seconds(), tOff = off.analysis().step().seconds();
        double side = on.analysis().training().overlap().secondStreamSeconds();
        assertTrue(tOn < tOff && tOn >= tOff - side - 1e-12 * tOff, tOn + " " + tOff + " " + side);
        List<Integer> path = on.analysis().step().path();
        boolean reductionThenStep = false;
        for (int k = 0; k + 1 < path.size(); k++) {
            DagNode a = on.dag().nodes().get(path.get(k)), b = on.dag().nodes().get(path.get(k + 1));
            if (a.op() instanceof Op.Collective && a.name().contains(".accumulate.") && b.op() instanceof Op.Update) reductionThenStep = true;
        }
        StringBuilder tail = new StringBuilder();
        for (int k = Math.max(0, path.size() - 8); k < path.size(); k++) tail.append(on.dag().nodes().get(path.get(k)).name()).append(" ");
        assertTrue(reductionThenStep, "the path goes from a reduction to the optimizer step waiting for it: " + tail + tOn + " " + tOff + " " + side);
        long onPath = path.stream().filter(i -> on.dag().nodes().get(i).op() instanceof Op.Collective).count();
        assertTrue(onPath > 1, "reductions follow each other on the second stream: " + onPath + " on the path");
    }

    /**
     * Under a pipeline each stage reduces its own weights' gradients during its last backward
     * units: the two streams still make a schedule (no deadlock), the step is no longer than on one
     * stream and shorter by no more than a stage's second stream holds; with an expert mesh the
     * experts' reductions over their data-parallel ranks overlap too.
     */
    @Test
    void pipelinesAndExpertsOverlapTheirReductions() {
        String moe = "model M { vocab 4096 hidden 512 heads 8 layers 4 ffn 1024 experts 8 top 2 first_dense 0 norm rmsnorm act silu }";
        for (String[] c : new String[][] {{GPT, "mesh [dp 2, pp 2, tp 2]  micro_batches 4  schedule 1f1b  zero 1"},
                {moe, "mesh [dp 4, tp 2]  expert_mesh [edp 2, ep 4]  zero 1"}}) {
            MaterializedPlan on = plan(c[0], 8, 8, c[1], true), off = plan(c[0], 8, 8, c[1], false);
            assertNull(on.analysis().problem(), c[1]);
            double tOn = on.analysis().step().seconds(), tOff = off.analysis().step().seconds();
            Analysis.Overlap o = on.analysis().training().overlap();
            assertEquals(tOff, o.oneStreamSeconds(), 0.0, c[1]);
            assertTrue(tOn < tOff && tOn >= tOff - o.secondStreamSeconds() - 1e-12 * tOff, c[1] + ": " + tOn + " " + tOff + " " + o.secondStreamSeconds());
        }
        MaterializedPlan moe8 = plan(moe, 8, 8, "mesh [dp 4, tp 2]  expert_mesh [edp 2, ep 4]  zero 1", true);
        Streams.Stream[] s = Streams.of(moe8.spmd(), moe8.deployment().strategy().training());
        assertTrue(moe8.spmd().nodes().stream().anyMatch(n -> n.op() instanceof Op.Collective && s[n.id()] == Streams.Stream.SIDE
                && moe8.spmd().nodes().get(n.inputs().get(0)).op() instanceof Op.Accumulate a && a.forward() instanceof Op.ExpertLinear),
                "an expert weight's reduction on the second stream");
    }

    /** Tensor parallelism's collectives and a norm's reduction over tp stay on the first stream; only dp's reductions move. */
    @Test
    void onlyTheDataParallelReductionsOverlap() {
        MaterializedPlan p = plan(GPT, 8, 8, "mesh [dp 2, tp 4]  sequence_parallel true  zero 1", true);
        Streams.Stream[] s = Streams.of(p.spmd(), p.deployment().strategy().training());
        int side = 0;
        for (pdagc.spmd.SpmdNode n : p.spmd().nodes()) {
            if (s[n.id()] != Streams.Stream.SIDE) continue;
            side++;
            if (n.op() instanceof Op.Collective c) {
                assertTrue(c.axes().stream().allMatch(a -> a.startsWith("dp")), n.name() + " " + c.axes());
                assertTrue(n.name().contains(".accumulate."), n.name());
            } else {
                assertTrue(n.op() instanceof Op.Accumulate, n.name());
            }
        }
        assertTrue(side > 0);
        // A norm's gradient is partial over dp and tp under sequence parallelism: reduced in one collective over both, not overlapped.
        assertTrue(p.spmd().nodes().stream().anyMatch(n -> n.op() instanceof Op.Collective c && c.axes().containsAll(List.of("dp", "tp"))
                && s[n.id()] == Streams.Stream.MAIN));
    }
}
