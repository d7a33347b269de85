package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.dag.Materialize;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * Training steps over the parallel forms, dense and mixture-of-experts, and over the standard
 * library's models: each plan (forward, loss, the backward pass the gradient rules derive, the
 * optimizer steps) is shrunk, validated and proven equal to the unpartitioned model: every
 * gradient and every updated weight. Breaking a plan's backward pass (a dropped weight-gradient
 * reduction, a dropped input-gradient reduction, the combine's gradient left where the experts
 * do not hold it) is reported with its GPU and node.
 */
class TrainingMatrixTest {
    static final String TRAIN = "batch 16 seq 32 phase train";

    private static String deploy(String model, int gpus, String strategy) {
        return StrategyMatrixTest.deploy(model, gpus, strategy, TRAIN);
    }

    private static String dense(String kv) {
        return StrategyMatrixTest.dense(kv);
    }

    private static String moe() {
        return String.format(StrategyMatrixTest.MOE, "0");
    }

    static Stream<Arguments> strategies() {
        String gelu = String.format(StrategyMatrixTest.DENSE, "8", "layernorm", "gelu", "dense_layer");
        String gatedMoe = "model M { vocab 256 hidden 64 heads 8 kv_heads 4 layers 4 ffn 128 experts 8 top 2 norm rmsnorm act silu layer gated_moe_layer }";
        return Stream.of(
                Arguments.of("dense dp2 tp2", deploy(dense("8"), 4, "mesh [dp 2, tp 2]")),
                Arguments.of("dense dp2 tp2 zero 1", deploy(dense("8"), 4, "mesh [dp 2, tp 2] zero 1")),
                Arguments.of("dense GQA kv 2 tp4 sequence parallel", deploy(dense("2"), 4, "mesh [tp 4] sequence_parallel true")),
                Arguments.of("dense layernorm gelu mlp tp4", deploy(gelu, 4, "mesh [tp 4]")),
                Arguments.of("dense dp2 cp2 zero 2", deploy(dense("4"), 4, "mesh [dp 2, cp 2] zero 2")),
                Arguments.of("dense cp2 tp2 sequence parallel", deploy(dense("8"), 4, "mesh [cp 2, tp 2] sequence_parallel true")),
                Arguments.of("moe dp2 ep4", deploy(moe(), 8, "mesh [dp 2, ep 4]")),
                Arguments.of("moe ep4 tp2", deploy(moe(), 8, "mesh [ep 4, tp 2]")),
                Arguments.of("moe tp2 (experts split by etp only)", deploy(moe(), 2, "mesh [tp 2]")),
                Arguments.of("moe dp2 ep2 tp2 zero 1", deploy(moe(), 8, "mesh [dp 2, ep 2, tp 2] zero 1")),
                Arguments.of("moe ep2 tp2 sequence parallel", deploy(moe(), 4, "mesh [ep 2, tp 2] sequence_parallel true")),
                Arguments.of("moe ep2 cp2", deploy(moe(), 4, "mesh [ep 2, cp 2]")),
                Arguments.of("moe attention dp2 tp2, experts ep4", deploy(moe(), 4, "mesh [dp 2, tp 2] expert_mesh [ep 4]")),
                Arguments.of("moe attention dp2 tp4, experts ep2 etp4, sequence parallel", deploy(moe(), 8,
                        "mesh [dp 2, tp 4] expert_mesh [ep 2, etp 4] sequence_parallel true")),
                Arguments.of("moe attention tp4, experts ep2 etp2", deploy(moe(), 4, "mesh [tp 4] expert_mesh [ep 2, etp 2]")),
                Arguments.of("moe attention dp2 tp2, experts edp2 ep2, zero 1", deploy(moe(), 4, "mesh [dp 2, tp 2] expert_mesh [edp 2, ep 2] zero 1")),
                Arguments.of("gated moe GQA dp2 ep4 zero 2", deploy(gatedMoe, 8, "mesh [dp 2, ep 4] zero 2")),
                Arguments.of("moe dp2 ep2 tp2 zero 3", deploy(moe(), 8, "mesh [dp 2, ep 2, tp 2] zero 3")),
                Arguments.of("moe attention dp2 tp2, experts edp2 ep2, zero 3", deploy(moe(), 4, "mesh [dp 2, tp 2] expert_mesh [edp 2, ep 2] zero 3")),
                Arguments.of("gated moe GQA attention dp2 tp4, experts ep4 etp2", deploy(gatedMoe, 8, "mesh [dp 2, tp 4] expert_mesh [ep 4, etp 2]")),
                Arguments.of("moe pp2 ep2 m2", deploy(moe(), 4, "mesh [pp 2, ep 2] micro_batches 2")),
                Arguments.of("moe dp2 pp2 tp2, experts ep4, 1f1b m4", deploy(moe(), 8, "mesh [dp 2, pp 2, tp 2] expert_mesh [ep 4] micro_batches 4 schedule 1f1b")),
                Arguments.of("moe dp2 pp2 ep2 tp2 interleaved zero 1", deploy(moe(), 16,
                        "mesh [dp 2, pp 2, ep 2, tp 2] micro_batches 2 schedule interleaved virtual_stages 2 zero 1")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void everyTrainingStrategyComputesTheModelsGradientsAndUpdates(String name, String source) {
        Verify.Report r = StrategyMatrixTest.verify(SourceFile.of(name.replace(' ', '_') + ".pdag", null, source));
        assertTrue(r.ok(), name + ": " + r.summary());
        assertTrue(r.nodes() > 0);
    }

    /** The standard library's models, each under two strategies, at their real sizes first (on GPUs large enough to hold a training step). */
    static Stream<Arguments> standardModels() {
        return Stream.of(
                Arguments.of("llama_3_8b", "Llama_3_8b", "mesh [dp 2, tp 4] zero 1"),
                Arguments.of("llama_3_8b", "Llama_3_8b", "mesh [cp 2, tp 4] sequence_parallel true"),
                Arguments.of("llama_2_70b", "Llama_2_70b", "mesh [dp 2, tp 4] sequence_parallel true"),
                Arguments.of("llama_2_70b", "Llama_2_70b", "mesh [tp 8]"),
                Arguments.of("mixtral_8x7b", "Mixtral_8x7b", "mesh [dp 2, ep 4] zero 1"),
                Arguments.of("mixtral_8x7b", "Mixtral_8x7b", "mesh [dp 4, tp 2] expert_mesh [edp 2, ep 4] zero 3"),
                Arguments.of("mixtral_8x7b", "Mixtral_8x7b", "mesh [dp 2, tp 4] expert_mesh [ep 4, etp 2] sequence_parallel true"),
                Arguments.of("olmoe_1b_7b", "Olmoe_1b_7b", "mesh [dp 2, ep 4]"),
                Arguments.of("olmoe_1b_7b", "Olmoe_1b_7b", "mesh [ep 4, tp 2]"));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("standardModels")
    void theStandardModelsTrainAndVerify(String file, String model, String strategy) {
        String source = "import std.hardware\nimport std.models." + file + "\n"
                + "cluster C { gpu H100 { memory 1024 GB }  count 8  per_node 8 }\n"
                + "workload W { batch 16 seq 64 phase train }\n"
                + "strategy S { " + strategy + " }\n"
                + "deploy D = " + model + " on C with S for W\n";
        Verify.Report r = StrategyMatrixTest.verify(SourceFile.of(file + ".pdag", null, source));
        assertTrue(r.ok(), file + " " + strategy + ": " + r.summary());
    }

    private static MaterializedPlan shrunk(String source) {
        Compiler c = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
        List<MaterializedPlan> plans = c.check(SourceFile.of("train.pdag", null, source));
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertEquals(1, plans.size());
        return plans.get(0);
    }

    /** Verifies {@code plan} with the op named {@code removed} taken out (its uses read its input). */
    private static Verify.Report without(MaterializedPlan plan, String removed) {
        SpmdProgram broken = VerifyTest.without(plan.spmd(), removed);
        return Verify.run(plan.graph(), broken, Materialize.run("broken", "broken", broken, 8), 1, false,
                (int) plan.deployment().workload().context(), Map.of());
    }

    private static void caughtAt(Verify.Report r, String layer) {
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().matches("GPU \\d+, node .*"), r.summary());
        assertTrue(r.where().contains(layer), r.summary());
    }

    /** Without the data-parallel all-reduce of a weight's gradient, each replica steps on its own share: caught at the optimizer step. */
    @Test
    void aDroppedWeightGradientReductionIsCaught() {
        MaterializedPlan plan = shrunk(deploy(dense("8"), 4, "mesh [dp 2, tp 2]"));
        assertTrue(plan.verify(1).ok());
        Verify.Report r = without(plan, "layers.0.a.q.accumulate.all_reduce");
        caughtAt(r, "layer 0");
        assertTrue(r.where().contains("adam") || r.where().contains("new_weight"), r.summary());
    }

    /** Without the tensor-parallel all-reduce of a column-parallel input's gradient, the residual stream's gradient is a partial sum: caught. */
    @Test
    void aDroppedInputGradientReductionIsCaught() {
        MaterializedPlan plan = shrunk(deploy(dense("8"), 4, "mesh [dp 2, tp 2]"));
        caughtAt(without(plan, "layers.1.gated_mlp.n.grad_sum.all_reduce"), "layer 1");
    }

    /**
     * The combine's gradient, made where the tokens are, reaches the experts by the all-to-all
     * that reverses the combine's (expert dimension split again); without it the experts' backward
     * meets every expert's gradients and is caught on the GPU that runs it.
     */
    @Test
    void aDroppedReverseAllToAllIsCaught() {
        MaterializedPlan plan = shrunk(deploy(moe(), 8, "mesh [dp 2, ep 4]"));
        SpmdNode a2a = plan.spmd().nodes().stream().filter(n -> n.name().equals("layers.1.moe.y.grad0.all_to_all")).findFirst().orElseThrow();
        Op.Collective c = (Op.Collective) a2a.op();
        assertEquals(CollectiveKind.ALL_TO_ALL, c.collective());
        assertEquals(List.of("ep"), c.axes());
        assertEquals(0, c.dim(), "splits the experts");
        caughtAt(without(plan, "layers.1.moe.y.grad0.all_to_all"), "layer 1");
    }
}
