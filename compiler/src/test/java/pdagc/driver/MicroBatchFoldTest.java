package pdagc.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.analysis.Analysis;
import pdagc.dag.Schedules;
import pdagc.source.SourceFile;

/**
 * A training step over the per-stage node budget is analysed from three plans of fewer
 * micro-batches ({@link pdagc.analysis.MicroBatchFold}). On plans that fit the budget, folding
 * them anyway (a budget lowered under their size) must give the materialized walk's figures: the
 * step time, each GPU's computation, communication, idle time, FLOPs, bytes and memory, and the
 * step's FLOPs.
 */
class MicroBatchFoldTest {

    /** A GPT of 8 small layers on 16 GPUs, pp 4 x tp 4, {@code m} micro-batches of 2 sequences. */
    static String source(String schedule, String recompute, int m) {
        return """
                import std.hardware
                import std.blocks
                model G {
                  vocab 1024  hidden 512  heads 8  layers 8  ffn 2048  positions 256
                  norm layernorm  act gelu  dropout 0.1
                  embed gpt2_embedding  layer gpt2_layer  head gpt2_head
                }
                cluster C { gpu A100  count 16  per_node 8 }
                workload W { batch %d  seq 256  phase train  dtype fp16  optimizer adam }
                strategy S {
                  mesh [pp 4, tp 4]
                  sequence_parallel %s
                  micro_batches %d
                  %s
                  recompute %s
                }
                deploy D = G on C with S for W
                """.formatted(2 * m, recompute.equals("selective"), m, schedule, recompute);
    }

    static MaterializedPlan compile(String src, long budget) {
        Compiler c = new Compiler(Set.of()).stageNodeBudget(budget);
        List<MaterializedPlan> plans = c.check(SourceFile.of("fold.pdag", null, src));
        assertFalse(c.diagnostics().hasErrors(), c.diagnostics().sorted().toString());
        assertEquals(1, plans.size());
        return plans.get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"schedule 1f1b|full", "schedule 1f1b|selective", "schedule interleaved  virtual_stages 2|full",
            "schedule interleaved  virtual_stages 2|selective"})
    void foldingAPlanThatFitsGivesTheMaterializedWalksFigures(String setup) {
        String[] parts = setup.split("\\|");
        int m = 32;
        String src = source(parts[0], parts[1], m);
        MaterializedPlan whole = compile(src, pdagc.dag.Materialize.MAX_STAGE_NODES);
        assertNull(whole.fold());
        long nodes = Schedules.size(whole.spmd())[2];
        // A budget of 60 % of the plan's per-stage nodes: the plan is folded from fewer micro-batches.
        MaterializedPlan folded = compile(src, nodes * 6 / 10);
        assertNotNull(folded.fold(), "folded");
        assertEquals(m, folded.fold().microBatches());
        assertTrue(folded.fold().compiledAt().get(2) < m, folded.fold().toString());
        Analysis a = whole.analysis(), b = folded.analysis();
        close(a.step().seconds(), b.step().seconds(), "step");
        close(a.step().communicationSeconds(), b.step().communicationSeconds(), "communication on the path");
        assertEquals(a.step().tokens(), b.step().tokens());
        assertEquals(a.step().pipelineBubble(), b.step().pipelineBubble());
        assertEquals(a.gpus().size(), b.gpus().size());
        for (int g = 0; g < a.gpus().size(); g++) {
            Analysis.GpuFigures x = a.gpus().get(g), y = b.gpus().get(g);
            assertEquals(x.memory(), y.memory(), "memory of GPU " + g);
            assertEquals(x.flops(), y.flops(), "FLOPs of GPU " + g);
            assertEquals(x.hbmBytes(), y.hbmBytes(), "HBM bytes of GPU " + g);
            assertEquals(x.collectiveBufferBytes(), y.collectiveBufferBytes());
            assertEquals(x.collectiveTrafficBytes(), y.collectiveTrafficBytes());
            close(x.computeSeconds(), y.computeSeconds(), "computation of GPU " + g);
            close(x.overheadSeconds(), y.overheadSeconds(), "overheads of GPU " + g);
            close(x.communicationSeconds(), y.communicationSeconds(), "communication of GPU " + g);
            close(x.idleSeconds(), y.idleSeconds(), "idle of GPU " + g);
        }
        assertEquals(whole.stepTokens(), folded.stepTokens(), "the step's tokens, as the search reports them");
        assertEquals(2.0 * m * 256, folded.stepTokens());
        assertEquals(a.training().modelFlops(), b.training().modelFlops());
        assertEquals(a.training().hardwareFlops(), b.training().hardwareFlops());
        close(a.training().mfu(), b.training().mfu(), "MFU");
    }

    /** Under GPipe every micro-batch's activations are held at once: the memory grows with them, and nothing is folded. */
    @ParameterizedTest
    @ValueSource(strings = {"schedule gpipe"})
    void gpipeIsNotFolded(String schedule) {
        String src = source(schedule, "full", 32);
        long nodes = Schedules.size(compile(src, pdagc.dag.Materialize.MAX_STAGE_NODES).spmd())[2];
        Compiler c = new Compiler(Set.of()).stageNodeBudget(nodes * 6 / 10);
        c.check(SourceFile.of("fold.pdag", null, src));
        assertTrue(c.diagnostics().sorted().stream().anyMatch(d -> d.code() == pdagc.diag.Code.E0506), c.diagnostics().sorted().toString());
    }

    private static void close(double expected, double actual, String what) {
        assertEquals(expected, actual, 1e-9 * Math.max(Math.abs(expected), 1e-12), what);
    }
}
