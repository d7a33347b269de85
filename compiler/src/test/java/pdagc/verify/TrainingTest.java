package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.dag.DagNode;
import pdagc.dag.Materialize;
import pdagc.dag.PlanDag;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * Training steps: the backward pass, the gradients' reduction, the optimizer step, gradient
 * accumulation, pipeline schedules with backward passes and recomputation. Every plan of the
 * matrix is shrunk, validated and proven: each gradient and each updated weight equal the
 * unpartitioned model's in doubles. Plans broken in the backward pass are caught with the GPU and
 * node named.
 */
public class TrainingTest {
    static final String TRAIN = "batch 16 seq 32 phase train";

    static String dense(String kv) {
        return StrategyMatrixTest.dense(kv);
    }

    static String gpt() {
        return String.format(StrategyMatrixTest.DENSE, "8", "layernorm", "gelu", "dense_layer");
    }

    static Arguments plan(String name, String model, int gpus, String strategy) {
        return Arguments.of(name, StrategyMatrixTest.deploy(model, gpus, strategy, TRAIN));
    }

    static Stream<Arguments> strategies() {
        return Stream.of(
                plan("dp2", dense("8"), 2, "mesh [dp 2]"),
                plan("tp4", dense("8"), 4, "mesh [tp 4]"),
                plan("dp2 tp2", dense("8"), 4, "mesh [dp 2, tp 2]"),
                plan("tp4 sequence parallel", dense("8"), 4, "mesh [tp 4] sequence_parallel true"),
                plan("dp2 tp4 sequence parallel zero 1", dense("4"), 8, "mesh [dp 2, tp 4] sequence_parallel true zero 1"),
                plan("GQA kv 2 tp4", dense("2"), 4, "mesh [tp 4]"),
                plan("MQA tp2", dense("1"), 2, "mesh [tp 2]"),
                plan("layernorm gelu dp2 tp2", gpt(), 4, "mesh [dp 2, tp 2]"),
                plan("cp2", dense("8"), 2, "mesh [cp 2]"),
                plan("dp2 cp2 tp2", dense("4"), 8, "mesh [dp 2, cp 2, tp 2]"),
                plan("cp2 tp2 sequence parallel zero 2", dense("8"), 4, "mesh [cp 2, tp 2] sequence_parallel true zero 2"),
                plan("dp4 zero 1", dense("8"), 4, "mesh [dp 4] zero 1"),
                plan("dp4 zero 2", dense("8"), 4, "mesh [dp 4] zero 2"),
                plan("dp4 zero 1 overlap_grad_reduce", dense("8"), 4, "mesh [dp 4] zero 1 overlap_grad_reduce true"),
                plan("dp4 zero 3", dense("8"), 4, "mesh [dp 4] zero 3"),
                plan("dp2 tp2 sequence parallel zero 3", dense("4"), 4, "mesh [dp 2, tp 2] sequence_parallel true zero 3"),
                plan("dp2 cp2 zero 3 micro-batches 2", dense("8"), 4, "mesh [dp 2, cp 2] micro_batches 2 zero 3"),
                plan("dp2 pp2 tp2 1f1b recompute full zero 3", dense("8"), 8, "mesh [dp 2, pp 2, tp 2] micro_batches 2 schedule 1f1b recompute full zero 3"),
                plan("layernorm gelu dp2 pp2 interleaved zero 3", gpt(), 4,
                        "mesh [dp 2, pp 2] micro_batches 4 schedule interleaved virtual_stages 2 recompute selective zero 3"),
                plan("dp2 micro-batches 2", dense("8"), 2, "mesh [dp 2] micro_batches 2"),
                plan("pp2 gpipe m2", dense("8"), 2, "mesh [pp 2] micro_batches 2 schedule gpipe"),
                plan("pp2 1f1b m4", dense("8"), 2, "mesh [pp 2] micro_batches 4 schedule 1f1b"),
                plan("pp4 1f1b m4", dense("8"), 4, "mesh [pp 4] micro_batches 4 schedule 1f1b"),
                plan("pp2 interleaved v2 m4", dense("8"), 2, "mesh [pp 2] micro_batches 4 schedule interleaved virtual_stages 2"),
                plan("pp4 interleaved v2 m4", dense("8"), 4, "mesh [pp 4] micro_batches 4 schedule interleaved virtual_stages 2"),
                plan("pp2 stage_layers [3, 5]", dense("8"), 2, "mesh [pp 2] micro_batches 2 stage_layers [3, 5]"),
                plan("dp2 pp2 tp2 1f1b zero 1", dense("8"), 8, "mesh [dp 2, pp 2, tp 2] micro_batches 2 schedule 1f1b zero 1"),
                plan("dp2 pp2 tp2 interleaved sequence parallel", dense("4"), 8,
                        "mesh [dp 2, pp 2, tp 2] micro_batches 2 schedule interleaved virtual_stages 2 sequence_parallel true"),
                plan("tp2 recompute selective", dense("8"), 2, "mesh [tp 2] recompute selective"),
                plan("dp2 tp2 recompute full", dense("8"), 4, "mesh [dp 2, tp 2] recompute full"),
                plan("pp2 tp2 1f1b m4 recompute full", dense("8"), 4, "mesh [pp 2, tp 2] micro_batches 4 schedule 1f1b recompute full"),
                plan("cp2 tp2 sequence parallel recompute selective zero 1", dense("2"), 8,
                        "mesh [dp 2, cp 2, tp 2] sequence_parallel true recompute selective zero 1"),
                plan("layernorm gelu pp2 tp2 sequence parallel recompute full zero 2", gpt(), 8,
                        "mesh [dp 2, pp 2, tp 2] micro_batches 4 schedule 1f1b sequence_parallel true recompute full zero 2"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void everyTrainingPlanComputesTheModelsGradientsAndStep(String name, String source) {
        Verify.Report r = StrategyMatrixTest.verify(SourceFile.of(name.replace(' ', '_') + ".pdag", null, source));
        assertTrue(r.ok(), name + ": " + r.summary());
        assertTrue(r.nodes() > 0);
    }

    static MaterializedPlan shrunk(String strategy, int gpus) {
        Compiler c = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
        List<MaterializedPlan> plans = c.check(SourceFile.of("t.pdag", null, StrategyMatrixTest.deploy(dense("8"), gpus, strategy, TRAIN)));
        assertFalse(c.diagnostics().hasErrors(), () -> pdagc.diag.DiagnosticRenderer.render(c.diagnostics().sorted()));
        return plans.get(0);
    }

    static List<SpmdNode> named(SpmdProgram p, String suffix) {
        return p.nodes().stream().filter(n -> n.name().endsWith(suffix)).toList();
    }

    /**
     * The collectives of the backward pass come from the rules: every weight's accumulated
     * gradient is all-reduced over dp (ZeRO 0) or reduce-scattered and its update all-gathered
     * (ZeRO 1); a column-parallel linear's input gradient is a partial sum over tp, all-reduced,
     * or reduce-scattered along the sequence under sequence parallelism.
     */
    @Test
    void theBackwardPassesCollectivesAreDerived() {
        SpmdProgram zero0 = Compile("mesh [dp 2, tp 2]", 4).spmd();
        long weights = zero0.nodes().stream().filter(n -> n.op() instanceof Op.Update).count();
        assertTrue(weights > 10);
        assertEquals(weights, named(zero0, ".accumulate.all_reduce").size(), "one dp all-reduce per weight");
        for (SpmdNode n : named(zero0, ".accumulate.all_reduce")) {
            Op.Collective c = (Op.Collective) n.op();
            assertTrue(c.axes().contains("dp"), n.name() + " " + c.axes());
        }
        assertTrue(zero0.nodes().stream().anyMatch(n -> n.name().endsWith(".grad0.all_reduce") || n.name().endsWith(".grad.all_reduce")
                || n.name().endsWith(".grad_sum.all_reduce")), "an input gradient all-reduced over tp");

        SpmdProgram zero1 = Compile("mesh [dp 2, tp 2] sequence_parallel true zero 1", 4).spmd();
        List<SpmdNode> scatters = zero1.nodes().stream().filter(n -> n.op() instanceof Op.Collective c && c.collective() == CollectiveKind.REDUCE_SCATTER
                && n.name().contains(".accumulate.")).toList();
        List<SpmdNode> gathers = zero1.nodes().stream().filter(n -> n.op() instanceof Op.Collective c && c.collective() == CollectiveKind.ALL_GATHER
                && n.name().contains(".adam.")).toList();
        assertFalse(scatters.isEmpty(), "ZeRO 1 reduce-scatters gradients");
        assertFalse(gathers.isEmpty(), "ZeRO 1 all-gathers updated weights");
        assertTrue(zero1.nodes().stream().anyMatch(n -> n.op() instanceof Op.Collective c && c.collective() == CollectiveKind.REDUCE_SCATTER
                && n.layer() >= 0 && zero1.backward()[n.id()] && !n.name().contains("accumulate")), "sequence parallelism's backward reduce-scatters");
    }

    /**
     * Megatron's vocabulary-parallel cross-entropy, from the rules: the logits stay split over the
     * vocabulary across tp (no collective reads them or their gradient), the loss's collectives are
     * three all-reduces over tp of one number per token (the max by max, the sum of exponentials
     * and the label's logit by sum), and the logits' gradient comes out split as the logits are,
     * not a partial sum, so the head's input and weight gradients need no gather of it.
     */
    @Test
    void theLossIsVocabularyParallel() {
        SpmdProgram p = Compile("mesh [dp 2, tp 2]", 4).spmd();
        SpmdNode loss = p.nodes().stream().filter(n -> n.op() instanceof Op.Loss).findFirst().orElseThrow();
        SpmdNode grad = p.nodes().stream().filter(n -> n.op() instanceof Op.Grad g && g.forward() instanceof Op.Loss).findFirst().orElseThrow();
        int logits = loss.inputs().get(Op.Loss.LOGITS);
        assertEquals(List.of("tp"), p.nodes().get(logits).sharding().axes(2), "the head's logits split over the vocabulary");
        assertEquals(logits, grad.inputs().get(0), "the gradient reads the logits as they are");
        assertEquals(p.nodes().get(logits).sharding(), grad.sharding(), "the logits' gradient is split as they are, not partial");
        for (SpmdNode n : p.nodes()) {
            if (!(n.op() instanceof Op.Collective)) continue;
            assertFalse(n.inputs().contains(logits) || n.inputs().contains(grad.id()), n.name() + " moves logits or their gradient");
        }
        List<SpmdNode> reductions = p.nodes().stream().filter(n -> n.op() instanceof Op.Collective && n.name().startsWith("loss.")).toList();
        assertEquals(3, reductions.size(), reductions.toString());
        long maxima = 0;
        for (SpmdNode n : reductions) {
            Op.Collective c = (Op.Collective) n.op();
            assertEquals(CollectiveKind.ALL_REDUCE, c.collective(), n.name());
            assertEquals(List.of("tp"), c.axes(), n.name());
            assertEquals(loss.local(), n.local(), n.name() + ": one number per token");
            if (c.reduction() == pdagc.ir.Reduction.MAX) maxima++;
        }
        assertEquals(1, maxima, "the max is all-reduced by max");
    }

    /** Each of the loss's three all-reduces, dropped, changes the loss: verify names the GPU and node. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"loss.max.all_reduce", "loss.sum_exp.all_reduce", "loss.label_logit.all_reduce"})
    void aDroppedLossAllReduceIsCaught(String name) {
        MaterializedPlan p = shrunk("mesh [dp 2, tp 2]", 4);
        assertTrue(p.verify(1).ok());
        assertEquals(1, named(p.spmd(), name).size(), name);
        SpmdProgram broken = VerifyTest.without(p.spmd(), name);
        Verify.Report r = verify(p, broken, Materialize.run("broken", "broken", broken, 8));
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU ") && r.where().contains("node"), r.summary());
    }

    /**
     * ZeRO-3's gathers come from the shardings too: each weight rests as its optimizer's shard
     * (the update leaves it there: no gather after the step), and every forward use gathers it
     * over dp to the layout the op reads, and the backward pass gathers it again for the
     * gradients that read it (a linear's input gradient), one gather for the recomputation and
     * the gradients of a layer.
     */
    @Test
    void zeroThreeGathersEachWeightBeforeEachPass() {
        SpmdProgram p = Compile("mesh [dp 2, tp 2] zero 3 recompute full", 4).spmd();
        List<SpmdNode> rest = p.nodes().stream().filter(n -> n.op() instanceof Op.Param).toList();
        long weights = p.nodes().stream().filter(n -> n.op() instanceof Op.Update).count();
        assertEquals(weights, rest.size(), "one shard at rest per weight");
        assertTrue(named(p, ".adam.all_gather").isEmpty(), "the updated weight stays sharded");
        boolean[] backward = p.backward();
        int forward = 0, again = 0;
        for (SpmdNode n : p.nodes()) {
            if (!(n.op() instanceof Op.Collective c) || !(p.nodes().get(n.inputs().get(0)).op() instanceof Op.Param)) continue;
            assertEquals(CollectiveKind.ALL_GATHER, c.collective(), n.name());
            assertEquals(List.of("dp"), c.axes(), n.name());
            if (n.name().contains("backward") || p.nodes().stream().anyMatch(m -> backward[m.id()] && m.inputs().contains(n.id()))) again++;
            else forward++;
        }
        assertEquals(weights, forward, "every weight gathered once for the forward pass");
        assertTrue(again > 0 && again < 2 * weights, "the backward pass gathers the weights its gradients read: " + again);
    }

    static MaterializedPlan Compile(String strategy, int gpus) {
        return pdagc.driver.Compile.source(StrategyMatrixTest.deploy(dense("8"), gpus, strategy, TRAIN));
    }

    /** Per GPU: ZeRO 1 keeps 1/dp of the optimizer states and all the gradients, ZeRO 2 1/dp of both, ZeRO 3 1/dp of the weights too. */
    @Test
    void zeroStagesShardTheModelStates() {
        pdagc.analysis.Memory.PerGpu z0 = Compile("mesh [dp 4]", 4).analysis().gpus().get(0).memory();
        pdagc.analysis.Memory.PerGpu z1 = Compile("mesh [dp 4] zero 1", 4).analysis().gpus().get(0).memory();
        pdagc.analysis.Memory.PerGpu z2 = Compile("mesh [dp 4] zero 2", 4).analysis().gpus().get(0).memory();
        pdagc.analysis.Memory.PerGpu z3 = Compile("mesh [dp 4] zero 3", 4).analysis().gpus().get(0).memory();
        assertEquals(z0.weightBytes() / 4, z3.weightBytes());
        assertEquals(z2.gradientBytes(), z3.gradientBytes());
        assertEquals(z2.optimizerBytes(), z3.optimizerBytes());
        assertEquals(z0.weightBytes(), z0.gradientBytes());
        assertEquals(6 * z0.weightBytes(), z0.optimizerBytes(), "bf16 weights: 12 bytes of optimizer state per 2 bytes of weight");
        assertEquals(z0.optimizerBytes() / 4, z1.optimizerBytes());
        assertEquals(z0.gradientBytes(), z1.gradientBytes());
        assertEquals(z0.gradientBytes() / 4, z2.gradientBytes());
        assertEquals(z1.optimizerBytes(), z2.optimizerBytes());
    }

    /** Full recomputation keeps only each layer's input: the peak of stored activations falls; selective recomputation lies between. */
    @Test
    void recomputationTradesActivationsForFlops() {
        pdagc.analysis.Analysis none = Compile("mesh [tp 2]", 2).analysis();
        pdagc.analysis.Analysis selective = Compile("mesh [tp 2] recompute selective", 2).analysis();
        pdagc.analysis.Analysis full = Compile("mesh [tp 2] recompute full", 2).analysis();
        long a0 = none.gpus().get(0).memory().activationBytes(), a1 = selective.gpus().get(0).memory().activationBytes(),
                a2 = full.gpus().get(0).memory().activationBytes();
        assertTrue(a1 < a0 && a2 < a1, a0 + " " + a1 + " " + a2);
        double f0 = none.gpus().get(0).flops(), f1 = selective.gpus().get(0).flops(), f2 = full.gpus().get(0).flops();
        assertTrue(f0 < f1 && f1 < f2, f0 + " " + f1 + " " + f2);
    }

    // ---- broken plans are caught ----

    private static Verify.Report verify(MaterializedPlan p, SpmdProgram program, PlanDag dag) {
        return Verify.run(p.graph(), program, dag, 1, false, 32, Map.of());
    }

    private static PlanDag listed(PlanDag d, List<DagNode> nodes) {
        assertFalse(nodes.equals(d.nodes()), "the mutation found its node");
        return new PlanDag.Listed(d.deployment(), d.source(), d.mesh(), d.gpusPerNode(), d.dtype(), d.gpus(), nodes, d.edges(), d.roles());
    }

    @Test
    void aDroppedGradientAllReduceIsCaught() {
        MaterializedPlan p = shrunk("mesh [dp 2, tp 2]", 4);
        assertTrue(p.verify(1).ok());
        SpmdNode victim = named(p.spmd(), ".accumulate.all_reduce").get(3);
        SpmdProgram broken = VerifyTest.without(p.spmd(), victim.name());
        Verify.Report r = verify(p, broken, Materialize.run("broken", "broken", broken, 8));
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU ") && r.where().contains("node"), r.summary());
    }

    @Test
    void aMissedZeroThreeGatherIsCaught() {
        MaterializedPlan p = shrunk("mesh [dp 2, tp 2] zero 3", 4);
        assertTrue(p.verify(1).ok(), p.verify(1).summary());
        SpmdNode victim = p.spmd().nodes().stream().filter(n -> n.op() instanceof Op.Collective && p.spmd().backward()[n.id()]
                && p.spmd().nodes().get(n.inputs().get(0)).op() instanceof Op.Param).findFirst().orElseThrow();
        SpmdProgram broken = VerifyTest.without(p.spmd(), victim.name());
        Verify.Report r = verify(p, broken, Materialize.run("broken", "broken", broken, 8));
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU ") && r.where().contains("node"), r.summary());
        assertTrue(r.problem().contains("weight"), r.summary());
    }

    @Test
    void aGradientReduceScatteredToTheWrongShardIsCaught() {
        MaterializedPlan p = shrunk("mesh [dp 2, tp 2] zero 1", 4);
        assertTrue(p.verify(1).ok());
        String name = p.spmd().nodes().stream().filter(n -> n.op() instanceof Op.Collective c && c.collective() == CollectiveKind.REDUCE_SCATTER
                && n.name().contains(".accumulate.")).findFirst().orElseThrow().name();
        // GPU 0 takes the shard of its peer: its group listed the other way round.
        List<DagNode> nodes = new ArrayList<>(p.dag().nodes());
        for (int i = 0; i < nodes.size(); i++) {
            DagNode n = nodes.get(i);
            if (n.gpu() == 0 && n.name().equals(name)) {
                List<Integer> reversed = new ArrayList<>(n.group());
                java.util.Collections.reverse(reversed);
                nodes.set(i, new DagNode(n.index(), n.id(), n.gpu(), n.name(), n.op(), n.kind(), n.layer(), n.inputs(), n.output(), n.collective(),
                        reversed, n.program(), n.microBatch()));
            }
        }
        Verify.Report r = verify(p, p.spmd(), listed(p.dag(), nodes));
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU 0"), r.summary());
    }

    @Test
    void aGradientSentToTheWrongStageIsCaught() {
        MaterializedPlan p = shrunk("mesh [pp 4] micro_batches 4 schedule 1f1b", 4);
        assertTrue(p.verify(1).ok());
        // A backward recv on GPU 1 that takes its gradient from stage 3 instead of stage 2.
        List<DagNode> nodes = new ArrayList<>(p.dag().nodes());
        boolean changed = false;
        for (int i = 0; i < nodes.size() && !changed; i++) {
            DagNode n = nodes.get(i);
            if (n.gpu() != 1 || !(n.op() instanceof Op.Transfer t) || t.send() || !p.spmd().backward()[n.program()]) continue;
            nodes.set(i, new DagNode(n.index(), n.id(), n.gpu(), n.name(), n.op(), n.kind(), n.layer(), n.inputs(), n.output(), n.collective(),
                    List.of(1, 3), n.program(), n.microBatch()));
            changed = true;
        }
        assertTrue(changed);
        Verify.Report r = verify(p, p.spmd(), listed(p.dag(), nodes));
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU 1"), r.summary());
    }
}
