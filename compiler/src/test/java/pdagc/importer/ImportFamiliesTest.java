package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.lower.ModelStats;
import pdagc.verify.Verify;

/**
 * Every supported model_type imports from a small config written here, uses the blocks of its
 * family, and its deployments (prefill and decode, on a mesh with tp and, for MoE models, ep)
 * agree with the unpartitioned model in the reference evaluator.
 */
class ImportFamiliesTest {
    private static final String DENSE = """
            "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu", "rms_norm_eps": 1e-06""";

    /** Whether the model text has the property line {@code name value // source...}, whatever the alignment. */
    static boolean has(String model, String name, String value, String source) {
        return model.lines().anyMatch(l -> l.matches("  " + name + " +" + java.util.regex.Pattern.quote(value) + " +// "
                + java.util.regex.Pattern.quote(source) + ".*"));
    }

    /** Imports a config, checks the blocks it chose, and verifies prefill and decode on the given mesh. */
    private static String importAndVerify(String json, String mesh, String... blocks) {
        String model = Imports.pdag(json, "M");
        for (String b : blocks) assertTrue(model.contains(b), "uses " + b + ":\n" + model);
        String deploy = model + """
                import std.hardware
                cluster C { gpu H100  count 4  per_node 4 }
                strategy S { mesh %s }
                workload P { batch 4  seq 8  phase prefill }
                workload D { batch 4  context 16  phase decode }
                deploy Prefill = M on C with S for P
                deploy Decode = M on C with S for D
                """.formatted(mesh);
        List<Verify.Report> reports = Imports.verify(deploy);
        assertEquals(2, reports.size());
        for (Verify.Report r : reports) {
            assertTrue(r.ok(), r.summary());
            assertTrue(r.nodes() > 50 && r.maxRel() < 1e-12, r.summary());
        }
        return model;
    }

    @Test
    void llama() {
        importAndVerify("{\"model_type\": \"llama\", " + DENSE + "}", "[dp 2, tp 2]", "gated_dense_layer", "lm_head");
    }

    @Test
    void mistralWithHeadDimNotHiddenOverHeads() {
        String m = importAndVerify("{\"model_type\": \"mistral\", \"head_dim\": 16, " + DENSE + "}", "[dp 2, tp 2]", "gated_dense_layer");
        assertTrue(has(m, "head_dim", "16", "head_dim"), m);
    }

    @Test
    void mixtral() {
        String m = importAndVerify("{\"model_type\": \"mixtral\", \"num_local_experts\": 4, \"num_experts_per_tok\": 2, " + DENSE + "}", "[ep 2, tp 2]",
                "gated_moe_layer");
        assertTrue(has(m, "experts", "4", "num_local_experts") && has(m, "expert_ffn", "48", "intermediate_size"), m);
    }

    @Test
    void qwen2WithTiedEmbeddings() {
        importAndVerify("{\"model_type\": \"qwen2\", \"tie_word_embeddings\": true, " + DENSE + "}", "[dp 2, tp 2]", "qwen2_layer", "tied_lm_head");
    }

    @Test
    void qwen2Moe() {
        String m = importAndVerify("""
                {"model_type": "qwen2_moe", "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
                 "shared_expert_intermediate_size": 24, "decoder_sparse_step": 1, "mlp_only_layers": [], %s}""".formatted(DENSE),
                "[ep 2, tp 2]", "qwen2_moe_layer");
        assertTrue(has(m, "shared_ffn", "24", "shared_expert_intermediate_size") && has(m, "expert_ffn", "16", "moe_intermediate_size"), m);
    }

    @Test
    void qwen3() {
        importAndVerify("{\"model_type\": \"qwen3\", \"head_dim\": 16, " + DENSE + "}", "[dp 2, tp 2]", "qwen3_layer");
    }

    @Test
    void qwen3Moe() {
        importAndVerify("""
                {"model_type": "qwen3_moe", "head_dim": 16, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16, %s}"""
                .formatted(DENSE), "[ep 2, tp 2]", "qwen3_moe_layer");
    }

    @Test
    void qwen3VlsLanguageModelIsQwen3s() {
        String vl = Imports.pdag("""
                {"model_type": "qwen3_vl", "tie_word_embeddings": false, "vision_config": {"depth": 2},
                 "text_config": {"model_type": "qwen3_vl_text", "head_dim": 16, %s}}""".formatted(DENSE), "M");
        assertEquals(Imports.pdag("{\"model_type\": \"qwen3\", \"head_dim\": 16, " + DENSE + "}", "M").lines().filter(l -> l.startsWith("  ")).toList(),
                vl.lines().filter(l -> l.startsWith("  ")).toList(), "the same model as Qwen3's config:\n" + vl);
        importAndVerify("{\"model_type\": \"qwen3_vl_moe_text\", \"head_dim\": 16, \"num_experts\": 4, \"num_experts_per_tok\": 2, "
                + "\"moe_intermediate_size\": 16, \"decoder_sparse_step\": 1, \"mlp_only_layers\": [], " + DENSE + "}", "[ep 2, tp 2]", "qwen3_moe_layer");
    }

    @Test
    void kimiK2IsDeepSeekV3sLayout() {
        String m = importAndVerify("""
                {"model_type": "kimi_k2", "architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
                 "moe_intermediate_size": 16, "num_hidden_layers": 3, "num_nextn_predict_layers": 0, "num_attention_heads": 4,
                 "num_key_value_heads": 4, "n_shared_experts": 1, "n_routed_experts": 8, "num_experts_per_tok": 2, "first_k_dense_replace": 1,
                 "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
                 "moe_layer_freq": 1, "hidden_act": "silu", "tie_word_embeddings": false}""", "[ep 2, tp 2]",
                "deepseek_dense_layer", "deepseek_moe_layer");
        assertTrue(has(m, "experts", "8", "n_routed_experts") && !m.contains("deepseek_mtp"), m);
    }

    @Test
    void glm45HasBiasedAttentionPerHeadNormsAndDeepSeeksExperts() {
        String glm = """
                {"model_type": "glm4_moe", "head_dim": 16, "attention_bias": true, "use_qk_norm": true, "n_routed_experts": 4,
                 "n_shared_experts": 1, "num_experts_per_tok": 2, "moe_intermediate_size": 16, "first_k_dense_replace": 1,
                 "num_nextn_predict_layers": 1, "partial_rotary_factor": 0.5, "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
                 "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu"}""";
        String m = importAndVerify(glm, "[ep 2, tp 2]", "glm4_moe_qk_norm_layer", "glm4_moe_qk_norm_dense_layer");
        assertTrue(has(m, "first_dense", "1", "first_k_dense_replace") && has(m, "shared_ffn", "16", "n_shared_experts x moe_intermediate_size")
                && m.contains("num_nextn_predict_layers 1"), m);
        importAndVerify(glm.replace("\"use_qk_norm\": true", "\"use_qk_norm\": false"), "[ep 2, tp 2]", "glm4_moe_layer", "qwen2_layer");
        importAndVerify(glm.replace("\"use_qk_norm\": true", "\"use_qk_norm\": false").replace("\"attention_bias\": true", "\"attention_bias\": false"),
                "[ep 2, tp 2]", "deepseek_attention_moe_layer", "gated_dense_layer");
        assertTrue(Imports.errors(glm.replace("\"attention_bias\": true", "\"attention_bias\": false")).contains("E0606"));
    }

    @Test
    void minimaxM2NormsTheWholeQueryAndKeyOrEachHead() {
        String perLayer = """
                {"model_type": "minimax_m2", "head_dim": 16, "num_local_experts": 4, "num_experts_per_tok": 2, "use_qk_norm": true,
                 "qk_norm_type": "per_layer", "shared_intermediate_size": 0, "use_mtp": true, "num_mtp_modules": 3, "rotary_dim": 8,
                 "use_routing_bias": true, "scoring_func": "sigmoid", "tie_word_embeddings": false, %s}""".formatted(DENSE);
        String m = importAndVerify(perLayer, "[ep 2, tp 2]", "olmoe_layer");
        assertTrue(has(m, "expert_ffn", "48", "intermediate_size") && m.contains("num_mtp_modules 3") && m.contains("e_score_correction_bias"), m);
        importAndVerify(perLayer.replace("per_layer", "per_head"), "[ep 2, tp 2]", "qwen3_moe_layer");
        importAndVerify(perLayer.replace("\"use_qk_norm\": true", "\"use_qk_norm\": false"), "[ep 2, tp 2]", "gated_moe_layer");
    }

    @Test
    void llama4ScoutsLayersAreExpertsBesideASharedExpert() {
        String m = importAndVerify("""
                {"model_type": "llama4_text", "head_dim": 16, "intermediate_size_mlp": 64, "num_local_experts": 4, "num_experts_per_tok": 1,
                 "interleave_moe_layer_step": 1, "use_qk_norm": true, "attention_chunk_size": null, %s}""".formatted(DENSE), "[ep 2, tp 2]",
                "llama4_moe_layer", "lm_head");
        assertTrue(has(m, "shared_ffn", "48", "intermediate_size") && has(m, "expert_ffn", "48", "intermediate_size")
                && has(m, "ffn", "64", "intermediate_size_mlp"), m);
    }

    @Test
    void llama4MavericksMoeLayersAlternateWithDenseOnes() {
        String m = importAndVerify("""
                {"model_type": "llama4_text", "head_dim": 16, "intermediate_size_mlp": 64, "num_local_experts": 4, "num_experts_per_tok": 1,
                 "interleave_moe_layer_step": 2, "use_qk_norm": true, "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
                 "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu"}""", "[ep 2, tp 2]",
                "llama4_moe_layer", "gated_dense_layer");
        assertTrue(has(m, "moe_every", "2", "interleave_moe_layer_step") && has(m, "dense_layer", "gated_dense_layer", "the layers between"), m);
        // Layers 1 and 3 route (transformers' moe_layers: range(step - 1, layers, step)); 0 and 2 are dense MLPs of intermediate_size_mlp.
        ModelStats s = Imports.stats(m);
        long h = 32, attention = 4 * h * 16 + 2 * 2 * h * 16 + 4 * 16 * h;
        long dense = attention + 2 * h + 3 * h * 64, moe = attention + 2 * h + h * 4 + 3 * h * 48 + 4 * 3 * h * 48;
        assertEquals(2 * dense + 2 * moe + 2 * 64 * h + h, s.totalParams());
    }

    @Test
    void qwenMoeWithASparseStepHasDenseLayersBetween() {
        String m = importAndVerify("""
                {"model_type": "qwen3_moe", "head_dim": 16, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
                 "decoder_sparse_step": 2, "mlp_only_layers": [], %s}""".formatted(DENSE), "[ep 2, tp 2]", "qwen3_moe_layer", "qwen3_layer");
        assertTrue(has(m, "moe_every", "2", "decoder_sparse_step") && has(m, "dense_layer", "qwen3_layer", "the layers between"), m);
    }

    @Test
    void olmoe() {
        importAndVerify("{\"model_type\": \"olmoe\", \"num_experts\": 4, \"num_experts_per_tok\": 2, " + DENSE + "}", "[ep 2, tp 2]", "olmoe_layer");
    }

    @Test
    void deepseekV3() {
        String m = importAndVerify("""
                {"model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                 "num_hidden_layers": 3, "num_nextn_predict_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4,
                 "n_shared_experts": 2, "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1,
                 "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
                 "moe_layer_freq": 1, "hidden_act": "silu"}""", "[ep 2, tp 2]",
                "deepseek_dense_layer", "deepseek_moe_layer", "deepseek_mtp");
        assertTrue(has(m, "shared_ffn", "32", "n_shared_experts x moe_intermediate_size"), m);
        ModelStats s = Imports.stats(m);
        long h = 32, nh = 4, qr = 24, kvr = 16, nope = 8, rope = 4, v = 8, e = 4, fe = 16, f = 48;
        long mla = h * qr + qr + qr * nh * (nope + rope) + h * (kvr + rope) + kvr + kvr * nh * (nope + v) + nh * v * h;
        long moe = mla + 2 * h + h * e + 3 * h * (2 * fe) + e * 3 * h * fe;
        assertEquals(mla + 2 * h + 3 * h * f + 2 * moe + 2 * 64 * h + h, s.totalParams());
        assertEquals(2 * h + 2 * h * h + moe + h, s.mtpParams());
        assertEquals(3 * (kvr + rope) * 2, s.kvCacheBytesPerToken());
    }

    @Test
    void deepseekV2LiteQueriesComeStraightFromTheInput() {
        String m = importAndVerify("""
                {"model_type": "deepseek_v2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                 "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4, "n_shared_experts": 2,
                 "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1, "q_lora_rank": null, "kv_lora_rank": 16,
                 "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "moe_layer_freq": 1}""", "[ep 2, tp 2]",
                "deepseek_direct_q_dense_layer", "deepseek_direct_q_moe_layer");
        assertFalse(m.lines().anyMatch(l -> l.startsWith("  q_lora_rank")), m);
        ModelStats s = Imports.stats(m);
        long h = 32, nh = 4, kvr = 16, nope = 8, rope = 4, v = 8, e = 4, fe = 16, f = 48;
        long mla = h * nh * (nope + rope) + h * (kvr + rope) + kvr + kvr * nh * (nope + v) + nh * v * h;
        long moe = mla + 2 * h + h * e + 3 * h * (2 * fe) + e * 3 * h * fe;
        assertEquals(mla + 2 * h + 3 * h * f + 2 * moe + 2 * 64 * h + h, s.totalParams());
        assertEquals(3 * (kvr + rope) * 2, s.kvCacheBytesPerToken());
    }

    @Test
    void deepseekV2WithQueryCompressionIsV3sLayout() {
        importAndVerify("""
                {"model_type": "deepseek_v2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 1, "n_routed_experts": 4, "num_experts_per_tok": 2,
                 "first_k_dense_replace": 1, "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4,
                 "v_head_dim": 8}""", "[dp 2, tp 2]", "deepseek_dense_layer", "deepseek_moe_layer");
    }

    @Test
    void deepseekMoeHasMultiHeadAttentionAndSharedExperts() {
        String m = importAndVerify("""
                {"model_type": "deepseek", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
                 "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4, "n_shared_experts": 2,
                 "n_routed_experts": 4, "num_experts_per_tok": 2, "first_k_dense_replace": 1}""", "[ep 2, tp 2]",
                "gated_dense_layer", "deepseek_attention_moe_layer");
        assertTrue(has(m, "shared_ffn", "32", "n_shared_experts x moe_intermediate_size"), m);
        assertTrue(has(m, "first_dense", "1", "first_k_dense_replace"), m);
    }

    @Test
    void gemmaHasWideHeadsOneKeyValueHeadAndATiedHead() {
        String m = importAndVerify("""
                {"model_type": "gemma", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16, "hidden_act": "gelu"}""", "[dp 2, tp 2]",
                "gated_dense_layer", "tied_lm_head");
        assertTrue(has(m, "head_dim", "16", "head_dim"), m);
        assertTrue(has(m, "act", "gelu", "hidden_act gelu"), m);
    }

    @Test
    void gemma2NormsTheOutputsOfAttentionAndMlp() {
        String m = importAndVerify("""
                {"model_type": "gemma2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "hidden_activation": "gelu_pytorch_tanh",
                 "sliding_window": null}""", "[dp 2, tp 2]", "gemma2_layer", "tied_lm_head");
        ModelStats s = Imports.stats(m);
        long h = 32, hd = 16, f = 48;
        long layer = h * 4 * hd + 2 * h * 2 * hd + 4 * hd * h + 3 * h * f + 4 * h;
        assertEquals(2 * layer + 64 * h + h, s.totalParams());
    }

    @Test
    void phi3IsALlamaLayout() {
        importAndVerify("""
                {"model_type": "phi3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu", "tie_word_embeddings": false}""", "[pp 2, tp 2]",
                "gated_dense_layer", "gate_up_proj fused");
    }

    @Test
    void falconRunsAttentionAndMlpSideBySide() {
        importAndVerify("""
                {"model_type": "falcon", "vocab_size": 64, "hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2,
                 "multi_query": true, "parallel_attn": true, "bias": false}""", "[dp 2, tp 2]", "falcon_layer", "gpt2_head");
        String big = importAndVerify("""
                {"model_type": "falcon", "vocab_size": 64, "hidden_size": 32, "num_attention_heads": 4, "num_kv_heads": 2,
                 "num_hidden_layers": 2, "new_decoder_architecture": true}""", "[pp 2, tp 2]", "falcon_layer_two_norms");
        assertTrue(has(big, "kv_heads", "2", "num_kv_heads (new_decoder_architecture)"), big);
        assertTrue(has(big, "ffn", "128", "4 x hidden_size (ffn_hidden_size absent)"), big);
        assertTrue(big.contains("(tie_word_embeddings absent: true, the default)"), big);
        importAndVerify("""
                {"model_type": "falcon", "vocab_size": 64, "hidden_size": 32, "num_attention_heads": 4, "num_kv_heads": 2,
                 "num_hidden_layers": 2, "new_decoder_architecture": true, "tie_word_embeddings": false}""", "[dp 2, tp 2]",
                "falcon_layer_two_norms", "layernorm_lm_head");
    }

    @Test
    void starcoder2IsGpt2sLayerWithGroupedHeads() {
        importAndVerify("""
                {"model_type": "starcoder2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "use_bias": true}""", "[dp 2, tp 2]", "gpt2_layer", "gpt2_head");
        importAndVerify("""
                {"model_type": "starcoder2", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": false}""", "[pp 2, tp 2]", "layernorm_lm_head");
    }

    @Test
    void gptNeoxRunsAttentionAndMlpSideBySideOrInSequence() {
        importAndVerify("""
                {"model_type": "gpt_neox", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4}""", "[dp 2, tp 2]", "neox_layer", "layernorm_lm_head");
        importAndVerify("""
                {"model_type": "gpt_neox", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "use_parallel_residual": false, "tie_word_embeddings": true}""", "[pp 2, tp 2]",
                "gpt2_layer", "gpt2_head");
    }

    @Test
    void gptjRunsAttentionAndMlpSideBySideOnOneNorm() {
        String m = importAndVerify("""
                {"model_type": "gptj", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64, "rotary_dim": 4,
                 "n_inner": null, "activation_function": "gelu_new", "tie_word_embeddings": false}""", "[dp 2, tp 2]", "gptj_layer", "gptj_head");
        assertTrue(has(m, "ffn", "128", "4 x n_embd (n_inner null)"), m);
        assertTrue(has(m, "head_dim", "8", "n_embd / n_head"), m);
        assertFalse(m.lines().anyMatch(l -> l.trim().startsWith("positions")), "rotary positions have no table: " + m);
        assertTrue(m.contains("Rotary positions on the first 4 dimensions of each head's 8 (rotary_dim) carry no weights."), m);
        String inner = importAndVerify("""
                {"model_type": "gptj", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": 48}""", "[pp 2, tp 2]",
                "gptj_layer", "gptj_head");
        assertTrue(has(inner, "ffn", "48", "n_inner"), inner);
        assertTrue(inner.contains("tie_word_embeddings absent: false, the default"), inner);
    }

    @Test
    void gemma3NormsHeadsAndOutputs() {
        importAndVerify("""
                {"model_type": "gemma3_text", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "sliding_window": null}""", "[dp 2, tp 2]",
                "gemma3_layer", "tied_lm_head");
    }

    @Test
    void gpt2() {
        importAndVerify("""
                {"model_type": "gpt2", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64,
                 "activation_function": "gelu_new"}""", "[dp 2, tp 2]", "gpt2_embedding", "gpt2_layer", "gpt2_head", "positions");
    }

    @Test
    void everySupportedTypeIsTestedHere() {
        assertEquals(List.of("llama", "mistral", "mixtral", "phi3", "gemma", "gemma2", "gemma3_text", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe",
                "qwen3_vl_text", "qwen3_vl_moe_text", "olmoe", "deepseek", "deepseek_v2", "deepseek_v3", "kimi_k2", "glm4_moe", "minimax_m2", "llama4_text",
                "falcon", "starcoder2", "gpt_neox", "gptj", "gpt2"),
                Families.SUPPORTED);
    }

    @Test
    void importIsDeterministicAndCommentsEveryValue() {
        String json = "{\"model_type\": \"mixtral\", \"num_local_experts\": 4, \"num_experts_per_tok\": 2, " + DENSE + "}";
        String a = Imports.pdag(json, "M");
        assertEquals(a, Imports.pdag(json, "M"));
        for (String line : a.lines().toList()) {
            if (line.startsWith("  ")) assertTrue(line.contains("// "), "every property says where it came from: " + line);
        }
        assertTrue(has(a, "kv_heads", "2", "num_key_value_heads"), a);
        assertTrue(has(a, "norm", "rmsnorm", "RMSNorm (rms_norm_eps 1e-06)"), a);
    }

    @Test
    void missingKeyValueHeadsDefaultToTheQueryHeadsAndSaySo() {
        String m = Imports.pdag("""
                {"model_type": "llama", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4}""", "M");
        assertTrue(has(m, "kv_heads", "4", "num_attention_heads (num_key_value_heads absent"), m);
        assertTrue(m.contains("tie_word_embeddings absent: false, the default"), m);
    }

}
