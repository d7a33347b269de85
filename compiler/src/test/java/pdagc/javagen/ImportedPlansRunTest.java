package pdagc.javagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.driver.MaterializedPlan;
import pdagc.importer.HfImport;
import pdagc.ir.Op;
import pdagc.runtime.CollectiveSemantics;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;
import pdagc.verify.Verify;

/**
 * The ops of the imported architectures have runtime calls: plans of small imported configs that
 * use biases (Qwen2, GPT-2), per-head norms (Qwen3), a gated shared expert (Qwen2-MoE), learned
 * positions and tied heads (GPT-2) and latent attention (DeepSeek-V3), in prefill and decode, are
 * generated, compiled without a warning, run on the reference runtime and agree with the
 * unpartitioned model; the interface declares these ops' methods only for plans that use them;
 * and a generated call that reads the wrong block or position is caught.
 */
class ImportedPlansRunTest {
    private static final String DENSE = """
            "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu", "rms_norm_eps": 1e-06""";

    static final String QWEN2_TIED = "{\"model_type\": \"qwen2\", \"tie_word_embeddings\": true, " + DENSE + "}";
    static final String QWEN3 = "{\"model_type\": \"qwen3\", \"head_dim\": 16, " + DENSE + "}";
    static final String QWEN2_MOE = """
            {"model_type": "qwen2_moe", "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
             "shared_expert_intermediate_size": 24, "decoder_sparse_step": 1, "mlp_only_layers": [], %s}""".formatted(DENSE);
    static final String GPT2 = """
            {"model_type": "gpt2", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64,
             "activation_function": "gelu_new"}""";
    static final String DEEPSEEK = """
            {"model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
             "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 1, "n_routed_experts": 4, "num_experts_per_tok": 2,
             "first_k_dense_replace": 1, "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4,
             "v_head_dim": 8}""";

    static final String PREFILL = "batch 4  seq 8  phase prefill";
    static final String DECODE = "batch 4  context 16  phase decode";

    /** The .pdag text of an imported config; fails the test on any diagnostic. */
    static String model(String json) {
        Diagnostics d = new Diagnostics();
        Optional<HfImport.Result> r = HfImport.run(SourceFile.of("config.json", null, json), "M", d);
        assertFalse(d.hasErrors(), () -> DiagnosticRenderer.render(d.sorted()));
        assertTrue(r.isPresent());
        return r.get().text();
    }

    /** One deploy of an imported config on {@code gpus} GPUs, shrunk and materialized. */
    static MaterializedPlan plan(String name, String json, int gpus, String mesh, String workload) {
        String source = model(json) + """
                import std.hardware
                cluster C { gpu H100  count %d  per_node %d }
                strategy S { mesh %s }
                workload W { %s }
                deploy D = M on C with S for W
                """.formatted(gpus, gpus, mesh, workload);
        return GeneratedPlans.shrunk(SourceFile.of(name.replace(' ', '_') + ".pdag", null, source));
    }

    /** Falcon-7B's layout: one LayerNorm, attention and MLP side by side, multi-query attention. */
    static final String FALCON = """
            {"model_type": "falcon", "vocab_size": 64, "hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2,
             "multi_query": true, "parallel_attn": true, "bias": false, "new_decoder_architecture": false}""";

    /** Falcon-40B's layout: a LayerNorm for each side, grouped key/value heads. */
    static final String FALCON_40B = """
            {"model_type": "falcon", "vocab_size": 64, "hidden_size": 32, "num_attention_heads": 4, "num_kv_heads": 2,
             "num_hidden_layers": 2, "new_decoder_architecture": true, "bias": false}""";

    /** DeepSeek-V2-Lite's layout: latent attention without the query low-rank projection (q_lora_rank null). */
    static final String DEEPSEEK_V2_LITE = """
            {"model_type": "deepseek_v2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
             "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 2, "n_routed_experts": 4, "num_experts_per_tok": 2,
             "first_k_dense_replace": 1, "q_lora_rank": null, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4,
             "v_head_dim": 8}""";

    static Stream<Arguments> plans() {
        return Stream.of(
                Arguments.of("qwen2 tied dp2 tp2", QWEN2_TIED, 4, "[dp 2, tp 2]", PREFILL, List.of(Op.Bias.class, Op.TiedHead.class)),
                Arguments.of("qwen2 tied tp2 decode", QWEN2_TIED, 2, "[tp 2]", DECODE, List.of(Op.Bias.class, Op.TiedHead.class)),
                Arguments.of("qwen3 tp2", QWEN3, 2, "[tp 2]", PREFILL, List.of(Op.HeadNorm.class)),
                Arguments.of("qwen3 dp2 tp2 decode", QWEN3, 4, "[dp 2, tp 2]", DECODE, List.of(Op.HeadNorm.class)),
                Arguments.of("qwen2_moe ep2 tp2", QWEN2_MOE, 4, "[ep 2, tp 2]", PREFILL, List.of(Op.Bias.class, Op.Scale.class)),
                Arguments.of("qwen2_moe ep2 decode", QWEN2_MOE, 2, "[ep 2]", DECODE, List.of(Op.Scale.class)),
                Arguments.of("gpt2 dp2 tp2", GPT2, 4, "[dp 2, tp 2]", PREFILL, List.of(Op.Bias.class, Op.PosEmbed.class, Op.TiedHead.class)),
                Arguments.of("gpt2 tp2 decode", GPT2, 2, "[tp 2]", DECODE, List.of(Op.PosEmbed.class, Op.TiedHead.class)),
                Arguments.of("gpt2 cp2", GPT2, 2, "[cp 2]", PREFILL, List.of(Op.PosEmbed.class)),
                Arguments.of("deepseek_v3 ep2 tp2", DEEPSEEK, 4, "[ep 2, tp 2]", PREFILL, List.of(Op.MlaScores.class, Op.MlaContext.class)),
                Arguments.of("deepseek_v3 dp2 tp2 decode", DEEPSEEK, 4, "[dp 2, tp 2]", DECODE, List.of(Op.MlaScores.class, Op.MlaContext.class)),
                Arguments.of("deepseek_v2 lite ep2 tp2", DEEPSEEK_V2_LITE, 4, "[ep 2, tp 2]", PREFILL, List.of(Op.MlaScores.class, Op.MlaContext.class)),
                Arguments.of("deepseek_v2 lite tp2 decode", DEEPSEEK_V2_LITE, 2, "[tp 2]", DECODE, List.of(Op.MlaScores.class, Op.MlaContext.class)),
                Arguments.of("falcon dp2 tp2", FALCON, 4, "[dp 2, tp 2]", PREFILL, List.of(Op.Bias.class, Op.TiedHead.class)),
                Arguments.of("falcon 40b tp2 decode", FALCON_40B, 2, "[tp 2]", DECODE, List.of(Op.Bias.class, Op.TiedHead.class)));
    }

    /**
     * Falcon's attention and MLP outputs are both partial sums over tp, added before the residual:
     * one all-reduce a layer serves the two (a sum of partial sums is a partial sum).
     */
    @Test
    void falconsParallelLayerHasOneAllReduce() {
        for (String json : List.of(FALCON, FALCON_40B)) {
            MaterializedPlan plan = plan("falcon tp2", json, 2, "[tp 2]", PREFILL);
            java.util.Map<Integer, Long> perLayer = new java.util.TreeMap<>();
            for (SpmdNode n : plan.spmd().nodes()) {
                if (n.layer() >= 0 && n.op() instanceof Op.Collective c && c.collective() == pdagc.ir.CollectiveKind.ALL_REDUCE) {
                    perLayer.merge(n.layer(), 1L, Long::sum);
                }
            }
            assertEquals(java.util.Map.of(0, 1L, 1, 1L), perLayer, plan.spmd().nodes().stream().map(SpmdNode::name).toList().toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void theGeneratedProgramsComputeWhatTheModelComputes(String name, String json, int gpus, String mesh, String workload,
            List<Class<? extends Op>> uses) throws ReflectiveOperationException {
        MaterializedPlan plan = plan(name, json, gpus, mesh, workload);
        for (Class<? extends Op> op : uses) {
            assertTrue(plan.spmd().nodes().stream().map(SpmdNode::op).anyMatch(op::isInstance), name + " uses " + op.getSimpleName());
        }
        Class<?> main = GeneratedPlans.compile(GeneratedPlans.sources(plan)).load(GeneratedPlans.planClass(plan));
        Verify.Report r = GeneratedPlans.runAndCompareCompiled(plan, main, CollectiveSemantics.REFERENCE);
        assertTrue(r.ok(), name + ": " + r.summary());
        assertTrue(r.nodes() > plan.dag().gpus().size(), r.summary());
        GeneratedPlansRunTest.theEntryPointNamesEveryGpusProgramAndGroups(plan, main);
    }

    /** The runtime interface of a plan declares the new ops' methods exactly where the plan has them. */
    @Test
    void theInterfaceDeclaresTheNewOpsMethodsOnlyForPlansThatUseThem() {
        Map<String, String> gpt2 = GeneratedPlans.sources(plan("gpt2", GPT2, 2, "[tp 2]", PREFILL));
        String api = runtimeInterface(gpt2);
        for (String m : List.of(" bias(", " positionEmbedding(", " tiedHead(")) assertTrue(api.contains(m), m + " in\n" + api);
        for (String m : List.of(" headNorm(", " scale(", " mlaScores(", " mlaContext(")) assertFalse(api.contains(m), m + " in\n" + api);
        String dense = runtimeInterface(GeneratedPlans.sources(DeadlockTest.small()));
        for (String m : List.of(" bias(", " headNorm(", " scale(", " tiedHead(", " positionEmbedding(", " mlaScores(", " mlaContext(")) {
            assertFalse(dense.contains(m), m + " in\n" + dense);
        }
    }

    private static String runtimeInterface(Map<String, String> sources) {
        List<String> found = sources.entrySet().stream().filter(e -> e.getKey().endsWith("Runtime.java")).map(Map.Entry::getValue).toList();
        assertEquals(1, found.size(), sources.keySet().toString());
        return found.get(0);
    }

    /**
     * Generated calls that take another rank's block are caught: on GPU 1 (tp rank 1) the tied
     * head reads rank 0's vocabulary rows, the position embedding of a cp 2 plan starts at
     * position 0, and the latent attention reads rank 0's heads of W_UK.
     */
    @Test
    void aCallThatReadsTheWrongBlockIsCaught() throws ClassNotFoundException {
        assertCaught(plan("gpt2 tp2 decode", GPT2, 2, "[tp 2]", DECODE), "rt.tiedHead(");
        assertCaught(plan("gpt2 cp2", GPT2, 2, "[cp 2]", PREFILL), "rt.positionEmbedding(");
        assertCaught(plan("deepseek_v3 tp2", DEEPSEEK, 2, "[tp 2]", PREFILL), "rt.mlaScores(");
    }

    /**
     * Replaces, in every call to {@code call} (a statement, perhaps wrapped over lines), the mesh
     * field of the plan's only non-pipeline axis by 0, then runs and compares.
     */
    private static void assertCaught(MaterializedPlan plan, String call) throws ClassNotFoundException {
        List<String> axes = plan.spmd().mesh().axes().stream().map(a -> a.name()).filter(a -> !a.equals("pp")).toList();
        assertEquals(1, axes.size(), axes.toString());
        String axis = axes.get(0);
        Map<String, String> sources = new java.util.LinkedHashMap<>(GeneratedPlans.sources(plan));
        int changed = 0;
        for (Map.Entry<String, String> e : sources.entrySet()) {
            String text = e.getValue();
            StringBuilder out = new StringBuilder();
            int from = 0;
            for (int at = text.indexOf(call); at >= 0; at = text.indexOf(call, from)) {
                int end = text.indexOf(';', at);
                String statement = text.substring(at, end);
                String broken = statement.replaceAll("(?<![\\w\"])" + axis + "(?![\\w\"])", "0");
                if (!broken.equals(statement)) changed++;
                out.append(text, from, at).append(broken);
                from = end;
            }
            out.append(text.substring(from));
            e.setValue(out.toString());
        }
        assertTrue(changed > 0, "no call to " + call + " depends on " + axis);
        Verify.Report r = GeneratedPlans.runAndCompareCompiled(plan, GeneratedPlans.compile(sources).load(GeneratedPlans.planClass(plan)),
                CollectiveSemantics.REFERENCE);
        assertFalse(r.ok(), call + " with the wrong block: " + r.summary());
        assertTrue(r.where().startsWith("GPU 1"), r.summary());
    }
}
