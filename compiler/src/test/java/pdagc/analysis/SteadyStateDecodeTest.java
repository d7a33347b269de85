package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * Decode over pipeline stages in its steady state: the micro-batches stay in flight from step to
 * step, so the time per output token is max(the loop of one micro-batch through every stage,
 * m x the busiest stage's work per micro-batch), and the throughput is the batch over it.
 */
class SteadyStateDecodeTest {

    private static String tiny(int gpus, String strategy, String workload) {
        return """
                import std.hardware
                import std.blocks
                model M { vocab 1024  hidden 256  heads 8  kv_heads 2  layers 4  ffn 1024  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count %d  per_node 8 }
                workload W { %s }
                strategy S { %s }
                deploy D = M on C with S for W
                """.formatted(gpus, workload, strategy);
    }

    /** Qwen2.5-72B's sizes (Qwen/Qwen2.5-72B config.json) on 16 H100s, tp 8 x pp 2, 64 sequences at context 4096. */
    private static MaterializedPlan qwen72b(String pipeline) {
        return Compile.source("""
                import std.hardware
                import std.blocks
                model Qwen2_5_72b {
                  vocab 152064  hidden 8192  heads 64  kv_heads 8  layers 80  ffn 29568
                  norm rmsnorm  act silu  layer qwen2_layer
                }
                cluster H100x16 { gpu H100  count 16  per_node 8 }
                workload Decode { batch 64  phase decode  context 4096 }
                strategy Tp8Pp2 { mesh [pp 2, tp 8] %s }
                deploy Q = Qwen2_5_72b on H100x16 with Tp8Pp2 for Decode
                """.formatted(pipeline));
    }

    /** Per GPU and micro-batch: the sum of its nodes' times (computation and communication). */
    private static double[][] busy(MaterializedPlan p, int microBatches) {
        double[][] busy = new double[p.dag().gpus().size()][microBatches];
        for (DagNode n : p.dag().nodes()) busy[n.gpu()][n.microBatch()] += p.analysis().nodes().seconds(n.index());
        return busy;
    }

    private static double relative(double expected) {
        return 1e-12 * expected;
    }

    /**
     * Two stages of one GPU each, two micro-batches of two sequences. By hand from the node costs:
     * a micro-batch runs all its nodes on GPU 0, ending with the send, then all its nodes on GPU 1,
     * starting with the recv that waits for that send, so its loop is the sum of its node times on
     * both GPUs; each GPU's busy time per micro-batch is the sum of its own; the time per output
     * token is the larger of the loop and twice the busier GPU's time.
     */
    @Test
    void theExactSmallCaseFromNodeCosts() {
        MaterializedPlan p = Compile.source(tiny(2, "mesh [pp 2]  micro_batches 2", "batch 4  phase decode  context 512"));
        for (int mb = 0; mb < 2; mb++) {
            final int m = mb;
            List<DagNode> first = p.dag().nodes().stream().filter(n -> n.gpu() == 0 && n.microBatch() == m).toList();
            List<DagNode> second = p.dag().nodes().stream().filter(n -> n.gpu() == 1 && n.microBatch() == m).toList();
            assertTrue(first.get(first.size() - 1).op() instanceof Op.Transfer t && t.send(), "stage 0 ends its micro-batch with the send");
            assertTrue(second.get(0).op() instanceof Op.Transfer t && !t.send(), "stage 1 starts its micro-batch with the recv");
        }
        double[][] busy = busy(p, 2);
        assertEquals(busy[0][0], busy[0][1], relative(busy[0][0]), "micro-batches of one size cost the same");
        double loop = Math.max(busy[0][0] + busy[1][0], busy[0][1] + busy[1][1]);
        double stage = Math.max(Math.max(busy[0][0], busy[0][1]), Math.max(busy[1][0], busy[1][1]));
        double tpot = Math.max(loop, 2 * stage);

        Analysis.Step s = p.analysis().step();
        Analysis.SteadyState st = s.steady();
        assertNotNull(st);
        assertEquals(2, st.microBatches());
        assertEquals(2, st.stages());
        assertEquals(loop, st.loopSeconds(), relative(loop));
        assertEquals(stage, st.stageBusySeconds(), relative(stage));
        assertEquals(busy[1][0] >= busy[0][0] ? 1 : 0, st.busiestGpu());
        assertEquals(tpot, s.seconds(), relative(tpot));
        assertEquals(tpot, s.tpot());
        assertEquals(4 / tpot, s.throughput(), relative(4 / tpot));
        assertEquals(loop >= 2 * stage, st.latencyBound());
        // Each GPU idles for what the cycle leaves it.
        for (int g = 0; g < 2; g++) {
            double idle = tpot - busy[g][0] - busy[g][1];
            assertEquals(idle, p.analysis().gpus().get(g).idleSeconds(), relative(tpot));
        }
        // One step on its own fills and drains the pipeline: its critical path is longer.
        assertTrue(st.stepSeconds() > s.seconds(), st.stepSeconds() + " vs " + s.seconds());
    }

    /** One micro-batch: the loop is the whole step, the figure of a step on its own, and it sets the time per output token. */
    @Test
    void oneMicroBatchIsTheLoopAndTheCriticalPath() {
        MaterializedPlan p = Compile.source(tiny(2, "mesh [pp 2]", "batch 4  phase decode  context 512"));
        Analysis.SteadyState st = p.analysis().step().steady();
        double[][] busy = busy(p, 1);
        assertEquals(busy[0][0] + busy[1][0], st.loopSeconds(), relative(st.loopSeconds()));
        assertEquals(st.stepSeconds(), st.loopSeconds(), relative(st.loopSeconds()));
        assertEquals(st.loopSeconds(), p.analysis().step().seconds());
        assertTrue(st.latencyBound());
    }

    /**
     * Fewer micro-batches than stages (m 2 < pp 4) cannot keep every stage busy: the loop of one
     * micro-batch sets the time per output token, and the busiest stage waits for most of it.
     */
    @Test
    void fewerMicroBatchesThanStagesIsLatencyBound() {
        MaterializedPlan p = Compile.source(tiny(4, "mesh [pp 4]  micro_batches 2", "batch 4  phase decode  context 512"));
        Analysis.Step s = p.analysis().step();
        Analysis.SteadyState st = s.steady();
        assertTrue(st.latencyBound());
        assertEquals(st.loopSeconds(), s.seconds());
        assertTrue(st.loopSeconds() > 2 * st.stageBusySeconds());
        double[][] busy = busy(p, 2);
        double loop = 0;
        for (double[] gpu : busy) loop += gpu[0];
        assertEquals(loop, st.loopSeconds(), relative(loop), "one micro-batch through four stages, one after another");
        // The busiest stage works 2 x its time per micro-batch of each cycle and waits the rest.
        assertEquals(1 - 2 * st.stageBusySeconds() / st.loopSeconds(), s.pipelineBubble().getAsDouble(), 1e-12);
        // Its path is the loop of one micro-batch: every node on it belongs to that micro-batch.
        int mb = p.dag().nodes().get(s.path().get(0)).microBatch();
        for (int i : s.path()) assertEquals(mb, p.dag().nodes().get(i).microBatch());
    }

    /** Prefill is one step on its own: the pipeline fills and drains, as before. */
    @Test
    void prefillKeepsTheCriticalPathOfOneStep() {
        MaterializedPlan p = Compile.source(tiny(2, "mesh [pp 2]  micro_batches 2", "batch 4  seq 16  phase prefill"));
        assertNull(p.analysis().step().steady());
        assertEquals(1.0 / 3, p.analysis().step().pipelineBubble().getAsDouble(), 1e-12);
    }

    /**
     * The Qwen2.5-72B-sized case (the figures of docs/cost-model.md: 11.775 ms per token with one micro-batch,
     * 9.225 ms with 2, 15.760 ms with 4; 19.588 ms for a step of 4 on its own): as many
     * micro-batches as stages keep both stages busy, so the time per token falls and the
     * throughput rises. Each step on its own would fill and drain the pipeline (the figure before
     * the steady state). More micro-batches than stages cost more here: this decode is bound by
     * reading the weights, and every micro-batch reads its stage's weights again.
     */
    @Test
    void asManyMicroBatchesAsStagesLowerTheTimePerTokenAndRaiseTheThroughput() {
        Analysis.Step one = qwen72b("").analysis().step();
        Analysis.Step two = qwen72b("micro_batches 2").analysis().step();
        Analysis.Step four = qwen72b("micro_batches 4").analysis().step();
        assertEquals(one.steady().stepSeconds(), one.seconds(), relative(one.seconds()));
        assertTrue(two.seconds() < one.seconds(), two.seconds() + " vs " + one.seconds());
        assertTrue(two.throughput() > one.throughput(), two.throughput() + " vs " + one.throughput());
        assertFalse(two.steady().latencyBound());
        assertTrue(four.steady().stepSeconds() > one.seconds(), "one step on its own with fill and drain (the figure before the steady state) is slower");
        assertEquals(4 * four.steady().stageBusySeconds(), four.seconds(), relative(four.seconds()));
        assertTrue(four.seconds() < four.steady().stepSeconds());
        assertTrue(four.seconds() > two.seconds(), "every micro-batch reads the weights again");
    }
}
