package pdagc.javagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.NodeKind;
import pdagc.mesh.Pipeline;
import pdagc.verify.StrategyMatrixTest;

/**
 * Java stubs of training steps ({@code --emit java} on a {@code phase train} plan). The generated
 * sources compile under {@code -Xlint:all -Werror}; then every GPU's program runs on a recording
 * runtime (each call returns a token, collectives and transfers do not wait), and what each GPU
 * called, op by op with its micro-batch, must be exactly its nodes in the plan's DAG in their
 * order: the forward and backward units in the schedule's training order (1F1B's warm-up, steady
 * state and cool-down, GPipe's, interleaving's chunks), every gradient, every collective and send
 * of the backward pass, each accumulation over the micro-batches and each optimizer step once per
 * step. The backward and optimizer calls per GPU role are then counted against the plan's nodes
 * of those kinds, and the units the program begins against {@link Pipeline#trainingOrder}.
 */
class TrainingStubsTest {
    static final String TRAIN = "batch 16 seq 32 phase train";
    static final String DENSE = StrategyMatrixTest.dense("8").replace("layers 8", "layers 4");
    static final String GPT = "model M { vocab 256 hidden 64 heads 8 layers 4 ffn 128 norm layernorm act gelu layer dense_layer dropout 0.1 }";
    static final String MOE = "model M { vocab 256 hidden 64 heads 8 kv_heads 4 layers 2 ffn 128 experts 8 top 2 norm rmsnorm act silu"
            + " layer gated_moe_layer }";
    static final String TIED = "model M { vocab 256 hidden 64 heads 8 kv_heads 2 layers 4 ffn 128 norm rmsnorm act silu"
            + " layer gated_dense_layer head tied_lm_head }";

    static Arguments plan(String name, String model, int gpus, String strategy) {
        return Arguments.of(name, StrategyMatrixTest.deploy(model, gpus, strategy, TRAIN));
    }

    static Stream<Arguments> plans() {
        return Stream.of(
                plan("dp2 tp2", DENSE, 4, "mesh [dp 2, tp 2]"),
                plan("dp2 pp2 tp2 1f1b m4 zero 1 sequence parallel recompute selective", DENSE, 8,
                        "mesh [dp 2, pp 2, tp 2] micro_batches 4 schedule 1f1b zero 1 sequence_parallel true recompute selective"),
                plan("pp4 1f1b m8", DENSE, 4, "mesh [pp 4] micro_batches 8 schedule 1f1b"),
                plan("pp2 gpipe m4 recompute full", DENSE, 2, "mesh [pp 2] micro_batches 4 schedule gpipe recompute full"),
                plan("pp2 interleaved v2 m4 zero 2", DENSE, 4, "mesh [dp 2, pp 2] micro_batches 4 schedule interleaved virtual_stages 2 zero 2"),
                plan("cp2 tp2 sequence parallel", DENSE, 4, "mesh [cp 2, tp 2] sequence_parallel true"),
                plan("dropout, layernorm gelu tp2 pp2", GPT, 4, "mesh [pp 2, tp 2] micro_batches 2 schedule 1f1b"),
                plan("tied embeddings pp2 m2", TIED, 2, "mesh [pp 2] micro_batches 2 schedule 1f1b"),
                plan("moe dp2 tp2, experts ep4, pp2", MOE, 8, "mesh [dp 2, pp 2, tp 2] expert_mesh [ep 4] micro_batches 2 schedule 1f1b"),
                plan("dp2 pp2 tp2 zero 3 1f1b m2 recompute full", DENSE, 8, "mesh [dp 2, pp 2, tp 2] micro_batches 2 schedule 1f1b zero 3 recompute full"));
    }

    /** One call of a GPU's program: its op and the micro-batch of the unit it ran in. */
    record Call(String method, String op, int microBatch) {}

    /** What one GPU's program called, and the units it began ({@code F mb chunk}, {@code B mb chunk}, {@code step}). */
    record Recording(List<Call> calls, List<String> units) {}

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void everyGpuCallsItsPlansNodesInScheduleOrder(String name, String source) throws Exception {
        MaterializedPlan plan = Compile.source(source);
        assertTrue(plan.spmd().training());
        InMemoryJavac.Result compiled = GeneratedPlans.compile(GeneratedPlans.sources(plan));
        GeneratedTypes types = GeneratedTypes.of(plan.deployment().name(), plan.spmd().pipeline().stages());
        Class<?> main = compiled.load(types.plan().canonicalName());
        Class<?> runtime = compiled.load(types.runtime().canonicalName());
        Method program = main.getMethod("program", int.class, runtime);
        List<List<DagNode>> byGpu = new ArrayList<>();
        for (int g = 0; g < plan.dag().gpus().size(); g++) byGpu.add(new ArrayList<>());
        for (DagNode n : plan.dag().nodes()) byGpu.get(n.gpu()).add(n);
        Pipeline pipeline = plan.spmd().pipeline();
        for (int g = 0; g < byGpu.size(); g++) {
            Recording r = record(program, runtime, g);
            List<DagNode> planned = byGpu.get(g);
            assertEquals(planned.size(), r.calls().size(), "GPU " + g + "'s calls");
            Map<NodeKind, Integer> plannedKinds = new EnumMap<>(NodeKind.class);
            Map<NodeKind, Integer> calledKinds = new EnumMap<>(NodeKind.class);
            for (int i = 0; i < planned.size(); i++) {
                DagNode n = planned.get(i);
                Call c = r.calls().get(i);
                assertEquals(n.name() + " @" + n.microBatch(), c.op() + " @" + c.microBatch(), "GPU " + g + "'s call " + i + " (" + c.method() + ")");
                plannedKinds.merge(n.kind(), 1, Integer::sum);
                calledKinds.merge(kindOf(c.method(), n.kind()), 1, Integer::sum);
            }
            // Backward and optimizer calls per role, by the runtime method called, against the plan's nodes of those kinds.
            assertTrue(plannedKinds.getOrDefault(NodeKind.BACKWARD, 0) > 0 && plannedKinds.getOrDefault(NodeKind.OPTIMIZER, 0) > 0, plannedKinds.toString());
            assertEquals(plannedKinds.get(NodeKind.BACKWARD), calledKinds.get(NodeKind.BACKWARD), "GPU " + g + "'s backward calls");
            assertEquals(plannedKinds.get(NodeKind.OPTIMIZER), calledKinds.get(NodeKind.OPTIMIZER), "GPU " + g + "'s optimizer calls");
            // The units it began are the schedule's training order, then the step.
            int stage = pipeline.stageOf(plan.spmd().nodes().get(planned.get(0).program()).chunk());
            List<String> expected = new ArrayList<>();
            for (Pipeline.Unit u : pipeline.trainingOrder(stage)) expected.add((u.backward() ? "B " : "F ") + u.microBatch() + " " + u.chunk());
            expected.add("step");
            assertEquals(expected, r.units(), "GPU " + g + " (stage " + stage + ")'s units");
        }
    }

    /**
     * The node kind a runtime method's call stands for: the gradients and the accumulation are
     * backward, the optimizer step optimizer; other methods are the node's own kind when it is
     * neither (a collective of the backward pass is a collective).
     */
    private static NodeKind kindOf(String method, NodeKind planned) {
        return switch (method) {
            case "gradient", "gradientThroughWeight", "weightGradient", "lossGradient", "accumulate" -> NodeKind.BACKWARD;
            case "adamW" -> NodeKind.OPTIMIZER;
            default -> planned == NodeKind.BACKWARD || planned == NodeKind.OPTIMIZER ? NodeKind.COMPUTE : planned;
        };
    }

    /** Runs GPU {@code gpu}'s program on a runtime that records every call and returns a fresh token for every tensor. */
    private static Recording record(Method program, Class<?> runtime, int gpu) throws Exception {
        List<Call> calls = new ArrayList<>();
        List<String> units = new ArrayList<>();
        int[] microBatch = {0};
        Object rt = Proxy.newProxyInstance(runtime.getClassLoader(), new Class<?>[] {runtime}, (proxy, m, args) -> {
            switch (m.getName()) {
                case "beginUnit", "beginBackwardUnit" -> {
                    microBatch[0] = (Integer) args[0];
                    units.add((m.getName().equals("beginUnit") ? "F " : "B ") + args[0] + " " + args[1]);
                    return null;
                }
                case "beginStep" -> {
                    microBatch[0] = 0;
                    units.add("step");
                    return null;
                }
                case "useWeight" -> {
                    // ZeRO-3: a gathered weight handed to the next call, not a node of the plan (its gather is)
                    return null;
                }
                case "toString" -> {
                    return "recording runtime of GPU " + gpu;
                }
                default -> {
                    calls.add(new Call(m.getName(), (String) args[0], microBatch[0]));
                    return m.getReturnType() == void.class ? null : new Object();
                }
            }
        });
        ((Runnable) program.invoke(null, gpu, rt)).run();
        return new Recording(calls, units);
    }

    static Stream<Arguments> numericPlans() {
        return Stream.of(
                plan("dp2 tp2 zero 1", DENSE, 4, "mesh [dp 2, tp 2] zero 1"),
                plan("dp2 tp2 zero 3", DENSE, 4, "mesh [dp 2, tp 2] zero 3"),
                plan("dp2 pp2 tp2 zero 3 1f1b m2 recompute full", DENSE, 8, "mesh [dp 2, pp 2, tp 2] micro_batches 2 schedule 1f1b zero 3 recompute full"),
                plan("moe dp2 tp2, experts ep4, zero 3", MOE, 4, "mesh [dp 2, tp 2] expert_mesh [ep 4] zero 3"),
                plan("dp2 pp2 tp2 1f1b m4 sequence parallel recompute selective", DENSE, 8,
                        "mesh [dp 2, pp 2, tp 2] micro_batches 4 schedule 1f1b sequence_parallel true recompute selective"),
                plan("pp2 interleaved v2 m4 zero 2 recompute full", DENSE, 4,
                        "mesh [dp 2, pp 2] micro_batches 4 schedule interleaved virtual_stages 2 zero 2 recompute full"),
                plan("cp2 tp2 sequence parallel", DENSE, 4, "mesh [cp 2, tp 2] sequence_parallel true"),
                plan("dropout, layernorm gelu tp2 pp2", GPT, 4, "mesh [pp 2, tp 2] micro_batches 2 schedule gpipe"),
                plan("tied embeddings pp2 m2", TIED, 2, "mesh [pp 2] micro_batches 2 schedule 1f1b"),
                plan("moe attention dp2 tp2, experts ep4, zero 1", MOE, 4, "mesh [dp 2, tp 2] expert_mesh [ep 4] zero 1"),
                plan("moe dp2 pp2 tp2, experts ep4, 1f1b m2", MOE, 8, "mesh [dp 2, pp 2, tp 2] expert_mesh [ep 4] micro_batches 2 schedule 1f1b"),
                plan("moe GQA attention dp2 tp4, experts ep4 etp2, sequence parallel", MOE, 8,
                        "mesh [dp 2, tp 4] expert_mesh [ep 4, etp 2] sequence_parallel true"),
                plan("imported DeepSeek-V3 (latent attention, shared and routed experts) dp2 tp2, experts ep4, zero 1", deepSeekV3(), 4,
                        "mesh [dp 2, tp 2] expert_mesh [ep 4] zero 1"));
    }

    /** A tiny DeepSeek-V3 config imported as a model named M: latent attention, a dense first layer, shared and routed experts. */
    static String deepSeekV3() {
        String json = """
                {"model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                 "num_hidden_layers": 3, "num_nextn_predict_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4,
                 "n_shared_experts": 2, "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1,
                 "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
                 "moe_layer_freq": 1, "hidden_act": "silu"}""";
        pdagc.diag.Diagnostics d = new pdagc.diag.Diagnostics();
        var r = pdagc.importer.HfImport.run(pdagc.source.SourceFile.of("config.json", null, json), "M", d);
        assertTrue(r.isPresent() && !d.hasErrors(), () -> pdagc.diag.DiagnosticRenderer.render(d.sorted()));
        // The stdlib's blocks are imported by the imported model's text; drop its import line, which deploy() writes again.
        return r.get().text().replace("import std.blocks\n", "");
    }

    /**
     * Dense and mixture-of-experts training steps, shrunk as {@code pdagc verify} shrinks them, run on the reference
     * runtime (a thread per GPU, the evaluator's forward and backward kernels, collectives and sends
     * between the threads): every value every GPU holds in full, activations, gradients, accumulated
     * gradients and updated weights, equals the unpartitioned model's step.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("numericPlans")
    void stepsComputeWhatTheModelComputes(String name, String source) throws ReflectiveOperationException {
        MaterializedPlan plan = GeneratedPlans.shrunk(pdagc.source.SourceFile.of(name.replace(' ', '_') + ".pdag", null, source));
        Class<?> main = GeneratedPlans.compile(GeneratedPlans.sources(plan)).load(GeneratedPlans.planClass(plan));
        pdagc.verify.Verify.Report r = GeneratedPlans.runAndCompareCompiled(plan, main, pdagc.runtime.CollectiveSemantics.REFERENCE);
        assertTrue(r.ok(), name + ": " + r.summary());
        int updates = 0;
        for (DagNode n : plan.dag().nodes()) if (n.kind() == NodeKind.OPTIMIZER) updates++;
        assertTrue(updates > 0 && r.nodes() > updates, r.summary());
    }

    /** The full-size training example's stubs compile (one method per layer and pass keeps each under the JVM's limit). */
    @Test
    void theFullSizeTrainingExampleCompilesWithoutWarnings() {
        MaterializedPlan plan = Compile.file("examples/llama3_8b_train.pdag");
        InMemoryJavac.Result r = GeneratedPlans.compile(GeneratedPlans.sources(plan));
        assertEquals(3 + plan.spmd().pipeline().stages(), r.classes().size(), r.classes().toString());
    }
}
