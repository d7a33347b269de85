package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * The step's latency is the longest path through the DAG, with each GPU running its nodes in
 * schedule order and each collective finishing at once on all its members.
 */
class CriticalPathTest {

    /** The sum of a GPU's node times, and of its collectives' times. */
    static double[] busy(MaterializedPlan p, int gpu) {
        double all = 0, comm = 0;
        for (DagNode n : p.dag().nodes()) {
            if (n.gpu() != gpu) continue;
            all += p.analysis().nodes().seconds(n.index());
            if (p.analysis().nodes().isCollective(n.index())) comm += p.analysis().nodes().seconds(n.index());
        }
        return new double[] {all, comm};
    }

    @Test
    void inTheSymmetricSeedNoGpuWaitsAndTheStepIsOneGpusWork() {
        MaterializedPlan p = Compile.file("examples/seed_moe_ep16_tp4.pdag");
        Analysis.Step s = p.analysis().step();
        double[] gpu0 = busy(p, 0);
        assertEquals(gpu0[0], s.seconds(), 1e-12 * gpu0[0]);
        assertEquals(gpu0[1], s.communicationSeconds(), 1e-12 * gpu0[1]);
        for (Analysis.GpuFigures g : p.analysis().gpus()) assertEquals(0, g.idleSeconds(), 1e-12 * s.seconds());
        assertEquals(128L * 128, s.tokens());
        assertEquals(s.tokens() / s.seconds(), s.throughput());
        assertEquals(s.seconds(), s.ttft());
        assertTrue(Double.isNaN(s.tpot()));
    }

    /**
     * Twelve GPUs in two nodes of six, mesh [ep 3, tp 4]: the tp group of GPUs 4-7 spans both nodes
     * and all-reduces over the network, the others over NVLink. Every expert all-to-all has one of
     * GPUs 4-7 in it, so the others wait for them: the step is GPU 4's work, and GPU 0 idles for
     * the difference.
     */
    @Test
    void aSlowGroupHoldsUpEveryoneItExchangesWith() {
        MaterializedPlan p = Compile.source("""
                import std.hardware
                import std.blocks
                model M { vocab 1024  hidden 64  heads 8  layers 2  ffn 128  experts 6  top 2  norm layernorm  act gelu  layer moe_layer }
                cluster C { gpu H100  count 12  per_node 6 }
                workload W { batch 6  seq 6  phase prefill  dtype bf16 }
                strategy S { mesh [ep 3, tp 4] }
                deploy D = M on C with S for W
                """);
        Analysis a = p.analysis();
        double step = a.step().seconds();
        double[] slow = busy(p, 4), fast = busy(p, 0);
        assertTrue(slow[1] > fast[1], "GPU 4's tp all-reduces cross nodes");
        assertEquals(slow[0], step, 1e-12 * step);
        assertEquals(0, a.gpus().get(4).idleSeconds(), 1e-12 * step);
        assertEquals(step - fast[0], a.gpus().get(0).idleSeconds(), 1e-12 * step);
        assertTrue(a.gpus().get(0).idleSeconds() > 0);
        assertTrue(a.step().path().stream().anyMatch(i -> p.dag().nodes().get(i).gpu() == 4), "the path runs through the slow group");
    }

    @Test
    void decodeGivesTimePerOutputTokenAndBatchOverItAsThroughput() {
        MaterializedPlan p = Compile.source("""
                import std.hardware
                import std.blocks
                model M { vocab 1024  hidden 64  heads 8  kv_heads 2  layers 2  ffn 128  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 2  per_node 8 }
                workload W { batch 4  phase decode  context 1024  dtype bf16 }
                strategy S { mesh [tp 2] }
                deploy D = M on C with S for W
                """);
        Analysis.Step s = p.analysis().step();
        assertEquals(s.seconds(), s.tpot());
        assertTrue(Double.isNaN(s.ttft()));
        assertEquals(4.0 / s.seconds(), s.throughput());
        // 2 layers x (keys + values) x 4 sequences x 1024 positions x 1 key/value head of 8 x 2 bytes, per GPU
        assertEquals(2L * 2 * 4 * 1024 * 8 * 2, p.analysis().gpus().get(0).memory().kvCacheBytes());
    }
}
