package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;
import pdagc.verify.Verify;

/**
 * Every model family that {@code pdagc import hf} reads trains: a training step of each, imported
 * from a tiny config, is proven equal to the unpartitioned model (every gradient and updated
 * weight) under at least one strategy, and the families whose ops the backward pass added rules
 * for under several: Mixtral's experts under data x expert parallelism and under an expert mesh
 * with expert tensor parallelism, DeepSeek-V3's latent attention, shared and routed experts,
 * Qwen2's biased q, k, v, Qwen3's per-head norms, Qwen2-MoE's gated shared expert, GPT-2's
 * learned positions and tied head, Gemma's tied head with one key/value head.
 */
class TrainingArchitecturesTest {
    private static final String DENSE = """
            "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu", "rms_norm_eps": 1e-06""";

    static final String MIXTRAL = "{\"model_type\": \"mixtral\", \"num_local_experts\": 4, \"num_experts_per_tok\": 2, " + DENSE + "}";
    static final String DEEPSEEK_V3 = """
            {"model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
             "num_hidden_layers": 3, "num_nextn_predict_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4,
             "n_shared_experts": 2, "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1,
             "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
             "moe_layer_freq": 1, "hidden_act": "silu"}""";
    static final String GPT2 = """
            {"model_type": "gpt2", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64,
             "activation_function": "gelu_new"}""";

    /** (family, config, strategy): every supported model_type at least once. */
    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of("llama", "{\"model_type\": \"llama\", " + DENSE + "}", "mesh [dp 2, tp 2] zero 1"),
                Arguments.of("mistral", "{\"model_type\": \"mistral\", " + DENSE + "}", "mesh [cp 2, tp 2]"),
                Arguments.of("mixtral", MIXTRAL, "mesh [dp 2, ep 4]"),
                Arguments.of("mixtral", MIXTRAL, "mesh [dp 2, tp 4] expert_mesh [ep 4, etp 2]"),
                Arguments.of("mixtral", MIXTRAL, "mesh [ep 2, tp 2] sequence_parallel true zero 1"),
                Arguments.of("phi3", """
                        {"model_type": "phi3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu", "tie_word_embeddings": false}""",
                        "mesh [tp 4] sequence_parallel true"),
                Arguments.of("gemma", """
                        {"model_type": "gemma", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16, "hidden_act": "gelu"}""", "mesh [dp 2, tp 2]"),
                Arguments.of("gemma", """
                        {"model_type": "gemma", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16, "hidden_act": "gelu"}""",
                        "mesh [dp 2, tp 4] sequence_parallel true zero 2"),
                Arguments.of("gemma2", """
                        {"model_type": "gemma2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "hidden_activation": "gelu_pytorch_tanh",
                         "sliding_window": null}""", "mesh [dp 2, tp 2]"),
                Arguments.of("gemma3_text", """
                        {"model_type": "gemma3_text", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "sliding_window": null}""",
                        "mesh [tp 4] sequence_parallel true"),
                Arguments.of("qwen2", "{\"model_type\": \"qwen2\", " + DENSE + "}", "mesh [dp 2, tp 2] zero 1"),
                Arguments.of("qwen2", "{\"model_type\": \"qwen2\", " + DENSE + "}", "mesh [tp 4] sequence_parallel true"),
                Arguments.of("qwen2", "{\"model_type\": \"qwen2\", \"tie_word_embeddings\": true, " + DENSE + "}", "mesh [dp 2, cp 2]"),
                Arguments.of("qwen2_moe", """
                        {"model_type": "qwen2_moe", "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
                         "shared_expert_intermediate_size": 24, "decoder_sparse_step": 1, "mlp_only_layers": [], %s}""".formatted(DENSE),
                        "mesh [ep 2, tp 2]"),
                Arguments.of("qwen2_moe", """
                        {"model_type": "qwen2_moe", "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
                         "shared_expert_intermediate_size": 24, "decoder_sparse_step": 1, "mlp_only_layers": [], %s}""".formatted(DENSE),
                        "mesh [dp 2, tp 2] expert_mesh [ep 2, etp 2] sequence_parallel true"),
                Arguments.of("qwen3", "{\"model_type\": \"qwen3\", \"head_dim\": 16, " + DENSE + "}", "mesh [dp 2, tp 2]"),
                Arguments.of("qwen3", "{\"model_type\": \"qwen3\", \"head_dim\": 16, " + DENSE + "}", "mesh [cp 2, tp 2] sequence_parallel true"),
                Arguments.of("qwen3_moe", """
                        {"model_type": "qwen3_moe", "head_dim": 16, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16, %s}"""
                        .formatted(DENSE), "mesh [dp 2, ep 2] zero 1"),
                Arguments.of("olmoe", "{\"model_type\": \"olmoe\", \"num_experts\": 4, \"num_experts_per_tok\": 2, " + DENSE + "}", "mesh [ep 2, tp 2]"),
                Arguments.of("qwen3_vl_text", "{\"model_type\": \"qwen3_vl_text\", \"head_dim\": 16, " + DENSE + "}", "mesh [dp 2, tp 2]"),
                Arguments.of("qwen3_vl_moe_text", """
                        {"model_type": "qwen3_vl_moe_text", "head_dim": 16, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16, %s}"""
                        .formatted(DENSE), "mesh [ep 2, tp 2]"),
                Arguments.of("kimi_k2", DEEPSEEK_V3.replace("deepseek_v3", "kimi_k2"), "mesh [dp 2, tp 2] expert_mesh [ep 4]"),
                Arguments.of("glm4_moe", """
                        {"model_type": "glm4_moe", "head_dim": 16, "attention_bias": true, "use_qk_norm": true, "n_routed_experts": 4,
                         "n_shared_experts": 1, "num_experts_per_tok": 2, "moe_intermediate_size": 16, "first_k_dense_replace": 1,
                         %s}""".formatted(DENSE.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3")), "mesh [dp 2, tp 2] expert_mesh [ep 4]"),
                Arguments.of("minimax_m2", """
                        {"model_type": "minimax_m2", "head_dim": 16, "num_local_experts": 4, "num_experts_per_tok": 2, "use_qk_norm": true,
                         "qk_norm_type": "per_layer", %s}""".formatted(DENSE), "mesh [ep 2, tp 2]"),
                Arguments.of("llama4_text", """
                        {"model_type": "llama4_text", "head_dim": 16, "intermediate_size_mlp": 64, "num_local_experts": 4, "num_experts_per_tok": 1,
                         "interleave_moe_layer_step": 2, %s}""".formatted(DENSE.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 4")),
                        "mesh [dp 2, pp 2, tp 2] expert_mesh [ep 4] micro_batches 2 schedule 1f1b"),
                Arguments.of("llama4_text", """
                        {"model_type": "llama4_text", "head_dim": 16, "intermediate_size_mlp": 64, "num_local_experts": 4, "num_experts_per_tok": 1,
                         %s}""".formatted(DENSE), "mesh [dp 2, tp 2] expert_mesh [ep 4]"),
                Arguments.of("deepseek", """
                        {"model_type": "deepseek", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                         "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4, "n_shared_experts": 2,
                         "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1}""", "mesh [dp 2, tp 2] expert_mesh [ep 4]"),
                Arguments.of("deepseek_v2", """
                        {"model_type": "deepseek_v2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                         "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4, "n_shared_experts": 2,
                         "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1, "q_lora_rank": null, "kv_lora_rank": 16,
                         "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "moe_layer_freq": 1}""", "mesh [dp 2, ep 2]"),
                Arguments.of("deepseek_v3", DEEPSEEK_V3, "mesh [ep 2, tp 2]"),
                Arguments.of("deepseek_v3", DEEPSEEK_V3, "mesh [dp 2, tp 2] expert_mesh [ep 4] zero 1"),
                Arguments.of("deepseek_v3", DEEPSEEK_V3, "mesh [tp 4] expert_mesh [ep 2, etp 2] sequence_parallel true"),
                Arguments.of("deepseek_v3", DEEPSEEK_V3, "mesh [ep 2, cp 2]"),
                Arguments.of("falcon", """
                        {"model_type": "falcon", "vocab_size": 64, "hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2,
                         "multi_query": true, "parallel_attn": true, "bias": false}""", "mesh [dp 2, tp 2]"),
                Arguments.of("falcon", """
                        {"model_type": "falcon", "vocab_size": 64, "hidden_size": 32, "num_attention_heads": 4, "num_kv_heads": 2,
                         "num_hidden_layers": 2, "new_decoder_architecture": true}""", "mesh [tp 4] sequence_parallel true"),
                Arguments.of("starcoder2", """
                        {"model_type": "starcoder2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "num_key_value_heads": 2, "use_bias": true}""", "mesh [dp 2, tp 2]"),
                Arguments.of("gpt_neox", """
                        {"model_type": "gpt_neox", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                         "num_attention_heads": 4}""", "mesh [dp 2, tp 2] zero 1"),
                Arguments.of("gpt2", GPT2, "mesh [dp 2, tp 2]"),
                Arguments.of("gpt2", GPT2, "mesh [cp 2, tp 2]"),
                Arguments.of("gpt2", GPT2, "mesh [tp 4] sequence_parallel true"),
                Arguments.of("gpt2", GPT2, "mesh [dp 2, pp 2] micro_batches 4 schedule 1f1b zero 1"),
                Arguments.of("gptj", """
                        {"model_type": "gptj", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64, "rotary_dim": 4,
                         "n_inner": null, "activation_function": "gelu_new", "tie_word_embeddings": false}""", "mesh [pp 2, tp 2] micro_batches 2"),
                Arguments.of("deepseek_v3", DEEPSEEK_V3, "mesh [dp 2, pp 2, tp 2] expert_mesh [ep 4] micro_batches 2 schedule 1f1b"),
                Arguments.of("mixtral", MIXTRAL, "mesh [pp 2, ep 2] micro_batches 2"),
                Arguments.of("mixtral", MIXTRAL, "mesh [ep 2, tp 2] recompute selective"),
                Arguments.of("deepseek_v3", DEEPSEEK_V3, "mesh [dp 2, tp 2] expert_mesh [ep 4] recompute full zero 1"),
                Arguments.of("gpt2", GPT2, "mesh [pp 2, tp 2] micro_batches 2 recompute full"),
                // ZeRO-3: latent attention, per-head norms and a tied head, their weights gathered from shards at rest for each pass.
                Arguments.of("deepseek_v3", DEEPSEEK_V3, "mesh [dp 2, tp 2] expert_mesh [ep 4] recompute full zero 3"),
                Arguments.of("qwen3", "{\"model_type\": \"qwen3\", \"head_dim\": 16, " + DENSE + "}", "mesh [dp 2, cp 2] zero 3"),
                Arguments.of("qwen2", "{\"model_type\": \"qwen2\", \"tie_word_embeddings\": true, " + DENSE + "}", "mesh [dp 2, pp 2] micro_batches 2 zero 3"),
                Arguments.of("gpt2", GPT2, "mesh [dp 2, tp 2] sequence_parallel true zero 3"));
    }

    /** A training step of the imported model on as many GPUs as the strategy's mesh has. */
    static String deploy(String config, String strategy) {
        String mesh = strategy.replaceAll("^mesh \\[([^]]*)\\].*", "$1");
        int gpus = 1;
        for (String axis : mesh.split(",")) gpus *= Integer.parseInt(axis.trim().split(" ")[1]);
        return Imports.pdag(config, "M") + """
                import std.hardware
                cluster C { gpu H100  count %d  per_node 8 }
                strategy S { %s }
                workload T { batch 8  seq 16  phase train }
                deploy Train = M on C with S for T
                """.formatted(gpus, strategy);
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("families")
    void everyFamilyTrainsAndVerifies(String family, String config, String strategy) {
        for (Verify.Report r : Imports.verify(deploy(config, strategy))) assertTrue(r.ok(), family + " " + strategy + ": " + r.summary());
    }

    @Test
    void everySupportedTypeIsTrainedHere() {
        Set<String> trained = new LinkedHashSet<>();
        families().forEach(a -> trained.add((String) a.get()[0]));
        assertEquals(List.of(), Families.SUPPORTED.stream().filter(t -> !trained.contains(t)).toList(), "families without a training case");
    }

    private static MaterializedPlan plan(String source) {
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of("train.pdag", null, source));
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        return plans.get(0);
    }

    /**
     * A tied head and the embedding read one table: the head's gradient of it is summed into the
     * embedding's before the data-parallel reduction, so the table has one reduced gradient and one
     * optimizer step.
     */
    @Test
    void aTiedTableHasOneGradientAndOneOptimizerStep() {
        MaterializedPlan p = plan(deploy(GPT2, "mesh [dp 2, tp 2]"));
        List<SpmdNode> nodes = p.spmd().nodes();
        List<SpmdNode> steps = new ArrayList<>();
        for (SpmdNode n : nodes) if (n.op() instanceof Op.Update u && u.forward() instanceof Op.Embed) steps.add(n);
        assertEquals(1, steps.size(), "one optimizer step on the token table");
        assertTrue(nodes.stream().noneMatch(n -> n.op() instanceof Op.Update u && u.forward() instanceof Op.TiedHead));
        SpmdNode reduce = nodes.get(steps.get(0).inputs().get(0));
        assertEquals(CollectiveKind.ALL_REDUCE, ((Op.Collective) reduce.op()).collective());
        assertEquals(List.of("dp"), ((Op.Collective) reduce.op()).axes());
        SpmdNode sum = nodes.get(reduce.inputs().get(0));
        assertEquals("embed.tok.wgrad_sum", sum.name());
        List<Op> parts = sum.inputs().stream().map(i -> nodes.get(i).op()).toList();
        assertTrue(parts.stream().anyMatch(o -> o instanceof Op.Accumulate a && a.forward() instanceof Op.TiedHead), parts.toString());
        assertTrue(parts.stream().anyMatch(o -> o instanceof Op.Accumulate a && a.forward() instanceof Op.Embed), parts.toString());
    }

    /**
     * Under a pipeline the tied head is on the last stage and the embedding on the first: the
     * head's gradient of the table is accumulated over the micro-batches on its stage and sent to
     * the embedding's once per step, where the two are summed and stepped.
     */
    @Test
    void aTiedTablesGradientCrossesThePipelineOncePerStep() {
        MaterializedPlan p = plan(deploy(GPT2, "mesh [pp 2, tp 2] micro_batches 4"));
        List<SpmdNode> nodes = p.spmd().nodes();
        boolean[] perStep = p.spmd().perStep();
        SpmdNode sum = nodes.stream().filter(n -> n.name().equals("embed.tok.wgrad_sum")).findFirst().orElseThrow();
        assertTrue(perStep[sum.id()]);
        SpmdNode recv = nodes.get(sum.inputs().get(0));
        assertTrue(recv.op() instanceof Op.Transfer t && !t.send() && t.fromChunk() == 1 && t.toChunk() == 0, recv.toString());
        assertTrue(perStep[recv.id()], "sent once per step, after the accumulation");
        assertEquals(1, nodes.stream().filter(n -> n.op() instanceof Op.Update u && u.forward() instanceof Op.Embed).count());
        for (Verify.Report r : Imports.verify(deploy(GPT2, "mesh [pp 2, tp 2] micro_batches 4"))) assertTrue(r.ok(), r.summary());
    }

    /**
     * The dual of the dispatch all-to-all is the reverse all-to-all, and the buckets' gradients
     * take the buckets' local shapes: with DeepSeek-V3's experts under [dp 2, tp 2] and an expert
     * mesh [ep 4], the backward pass's all-to-alls are the forward pass's in the opposite order,
     * each moving what its counterpart moves in the other direction (so each conserves data).
     */
    @Test
    void theBackwardAllToAllsReverseTheForwardOnes() {
        MaterializedPlan p = plan(deploy(DEEPSEEK_V3, "mesh [dp 2, tp 2] expert_mesh [ep 4]"));
        List<String> forward = new ArrayList<>();
        List<String> backward = new ArrayList<>();
        boolean pastLoss = false;
        for (SpmdNode n : p.spmd().nodes()) {
            pastLoss |= n.op() instanceof Op.Loss;
            if (!(n.op() instanceof Op.Collective c) || c.collective() != CollectiveKind.ALL_TO_ALL) continue;
            SpmdNode in = p.spmd().nodes().get(n.inputs().get(0));
            String move = c.axes() + " " + in.local() + " -> " + n.local();
            String reversed = c.axes() + " " + n.local() + " -> " + in.local();
            (pastLoss ? backward : forward).add(pastLoss ? reversed : move);
        }
        assertEquals(4, forward.size(), "a dispatch and a combine in each of two MoE layers: " + forward);
        // The backward pass runs the forward's all-to-alls in the opposite order, each in the opposite direction.
        List<String> expected = new ArrayList<>(forward);
        java.util.Collections.reverse(expected);
        assertEquals(expected, backward);
    }
}
