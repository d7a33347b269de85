package pdagc.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import pdagc.Repo;
import pdagc.lower.ModelStats;

/**
 * Real configs beyond the reference four, counted from their imported IR and compared with an
 * expected number derived in the test, from the same config fields, by a formula written out by
 * hand for that architecture (not by the code under test). Each config lists the fields that
 * matter, as published in the named Hugging Face repository (or paper); each test also checks
 * the rounded figure its authors publish.
 */
class PublicConfigCountsTest {
    private static final long BF16 = 2;

    /** Attention of a llama-style layer: q, k, v, o projections without biases. */
    private static long attention(long h, long nh, long nkv, long hd) {
        return h * nh * hd + 2 * h * nkv * hd + nh * hd * h;
    }

    /** A SwiGLU MLP: gate, up and down. */
    private static long swiglu(long h, long f) {
        return 3 * h * f;
    }

    /** Rounds to the given number of decimals of billions, as model cards print them. */
    private static double billions(long n, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(n / 1e9 * scale) / scale;
    }

    // Qwen/Qwen2-7B, config.json. Qwen2 has biases on q, k and v (not o). Published: 7.6B.
    @Test
    void qwen2_7b() {
        long v = 152064, h = 3584, f = 18944, l = 28, nh = 28, nkv = 4, hd = h / nh;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 152064, "hidden_size": 3584,
                 "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4,
                 "hidden_act": "silu", "rms_norm_eps": 1e-06, "tie_word_embeddings": false}""");
        long layer = attention(h, nh, nkv, hd) + (nh * hd + 2 * nkv * hd) + swiglu(h, f) + 2 * h;
        long total = l * layer + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(7_615_616_512L, total, "the formula's value, for the record");
        assertEquals(total, s.activeParams());
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
        assertEquals(7.6, billions(total, 1));
    }

    // Qwen/Qwen3-8B, config.json. Qwen3: head_dim 128 given, q_norm and k_norm over head_dim.
    // Published (model card): 8.2B parameters, 6.95B non-embedding.
    @Test
    void qwen3_8b() {
        long v = 151936, h = 4096, f = 12288, l = 36, nh = 32, nkv = 8, hd = 128;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": 151936, "hidden_size": 4096,
                 "intermediate_size": 12288, "num_hidden_layers": 36, "num_attention_heads": 32, "num_key_value_heads": 8,
                 "head_dim": 128, "attention_bias": false, "hidden_act": "silu", "rms_norm_eps": 1e-06, "tie_word_embeddings": false}""");
        long layer = attention(h, nh, nkv, hd) + 2 * hd + swiglu(h, f) + 2 * h;
        long total = l * layer + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(8_190_735_360L, total);
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
        assertEquals(8.2, billions(total, 1));
        assertEquals(6.95, billions(total - 2 * v * h, 2));
    }

    // Qwen/Qwen3-0.6B, config.json: tied embeddings. Published: 0.6B, 0.44B non-embedding.
    @Test
    void qwen3_0_6bTiesItsEmbeddings() {
        long v = 151936, h = 1024, f = 3072, l = 28, nh = 16, nkv = 8, hd = 128;
        ModelStats s = Imports.importAndCount("""
                {"model_type": "qwen3", "vocab_size": 151936, "hidden_size": 1024, "intermediate_size": 3072,
                 "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
                 "hidden_act": "silu", "tie_word_embeddings": true}""");
        long total = l * (attention(h, nh, nkv, hd) + 2 * hd + swiglu(h, f) + 2 * h) + v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(0.6, billions(total, 1));
        assertEquals(0.44, billions(total - v * h, 2));
    }

    // mistralai/Mistral-7B-v0.1, config.json. Published: 7.24B (Mistral AI's model card: "7.3B"; 7,241,732,096 counted).
    @Test
    void mistral_7b() {
        long v = 32000, h = 4096, f = 14336, l = 32, nh = 32, nkv = 8, hd = h / nh;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "vocab_size": 32000, "hidden_size": 4096,
                 "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                 "sliding_window": 4096, "hidden_act": "silu", "rms_norm_eps": 1e-05, "tie_word_embeddings": false}""");
        long total = l * (attention(h, nh, nkv, hd) + swiglu(h, f) + 2 * h) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(7_241_732_096L, total);
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // mistral-community/Mixtral-8x22B-v0.1, config.json (vocab 32000). Published: 141B total, 39B active.
    @Test
    void mixtral_8x22b() {
        long v = 32000, h = 6144, f = 16384, l = 56, nh = 48, nkv = 8, hd = h / nh, e = 8, k = 2;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "vocab_size": 32000, "hidden_size": 6144,
                 "intermediate_size": 16384, "num_hidden_layers": 56, "num_attention_heads": 48, "num_key_value_heads": 8,
                 "num_local_experts": 8, "num_experts_per_tok": 2, "hidden_act": "silu", "tie_word_embeddings": false}""");
        long shared = attention(h, nh, nkv, hd) + 2 * h + h * e;
        long total = l * (shared + e * swiglu(h, f)) + 2 * v * h + h;
        long active = l * (shared + k * swiglu(h, f)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(140_620_634_112L, total);
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
        assertEquals(141, billions(total, 0));
        assertEquals(39, billions(active, 0));
    }

    // Qwen/Qwen1.5-MoE-A2.7B, config.json: 60 experts (top 4) of 1408, one shared expert of 5632 with a
    // sigmoid gate (hidden x 1), q/k/v biases. Published: 14.3B total, 2.7B activated.
    @Test
    void qwen15MoeA27b() {
        long v = 151936, h = 2048, l = 24, nh = 16, nkv = 16, hd = h / nh, e = 60, k = 4, fe = 1408, fs = 5632;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Qwen2MoeForCausalLM"], "model_type": "qwen2_moe", "vocab_size": 151936, "hidden_size": 2048,
                 "intermediate_size": 5632, "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
                 "num_experts": 60, "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_attention_heads": 16,
                 "num_key_value_heads": 16, "decoder_sparse_step": 1, "mlp_only_layers": [], "norm_topk_prob": false,
                 "hidden_act": "silu", "tie_word_embeddings": false}""");
        long common = attention(h, nh, nkv, hd) + (nh * hd + 2 * nkv * hd) + 2 * h + h * e + swiglu(h, fs) + h;
        long total = l * (common + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = l * (common + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(14.3, billions(total, 1));
        assertEquals(2.7, billions(active, 1));
    }

    // Qwen/Qwen3-30B-A3B, config.json: 128 experts (top 8) of 768, per-head q/k norms. Published: 30.5B total, 3.3B activated.
    @Test
    void qwen3_30bA3b() {
        long v = 151936, h = 2048, l = 48, nh = 32, nkv = 4, hd = 128, e = 128, k = 8, fe = 768;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "vocab_size": 151936, "hidden_size": 2048,
                 "intermediate_size": 6144, "moe_intermediate_size": 768, "num_experts": 128, "num_experts_per_tok": 8,
                 "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
                 "decoder_sparse_step": 1, "mlp_only_layers": [], "norm_topk_prob": true, "hidden_act": "silu",
                 "tie_word_embeddings": false}""");
        long common = attention(h, nh, nkv, hd) + 2 * hd + 2 * h + h * e;
        long total = l * (common + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = l * (common + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(30.5, billions(total, 1));
        assertEquals(3_353_032_704L, active);
        assertEquals(3.3, Math.floor(active / 1e8) / 10, "3.35B, which the model card truncates to 3.3B");
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // deepseek-ai/DeepSeek-V3, config.json. Published (technical report): 671B total, 37B activated per token;
    // the MTP module is "11.5B unique parameters, excluding the shared embedding and head" (README_WEIGHTS.md).
    @Test
    void deepseekV3() {
        long v = 129280, h = 7168, f = 18432, fe = 2048, l = 61, dense = 3, nh = 128, e = 256, k = 8, shared = 1;
        long qr = 1536, kvr = 512, nope = 128, rope = 64, vd = 128;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "vocab_size": 129280, "hidden_size": 7168,
                 "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_nextn_predict_layers": 1,
                 "num_attention_heads": 128, "num_key_value_heads": 128, "n_shared_experts": 1, "n_routed_experts": 256,
                 "routed_scaling_factor": 2.5, "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128,
                 "qk_nope_head_dim": 128, "topk_method": "noaux_tc", "n_group": 8, "topk_group": 4, "num_experts_per_tok": 8,
                 "moe_layer_freq": 1, "first_k_dense_replace": 3, "norm_topk_prob": true, "scoring_func": "sigmoid",
                 "hidden_act": "silu", "rms_norm_eps": 1e-06, "tie_word_embeddings": false}""");
        // q_a_proj, q_a_layernorm, q_b_proj; kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj (keys and values); o_proj.
        long mla = h * qr + qr + qr * nh * (nope + rope) + h * (kvr + rope) + kvr + kvr * nh * (nope + vd) + nh * vd * h;
        long denseLayer = mla + 2 * h + swiglu(h, f);
        long moeCommon = mla + 2 * h + h * e + shared * swiglu(h, fe);
        long moeLayer = moeCommon + e * swiglu(h, fe);
        long total = dense * denseLayer + (l - dense) * moeLayer + 2 * v * h + h;
        long active = dense * denseLayer + (l - dense) * (moeCommon + k * swiglu(h, fe)) + 2 * v * h + h;
        // One MTP module: enorm, hnorm, eh_proj (2h -> h), one MoE layer, shared_head.norm.
        long mtp = 2 * h + 2 * h * h + moeLayer + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(mtp, s.mtpParams());
        assertEquals(1, s.mtpModules());
        assertEquals(671_026_404_352L, total);
        assertEquals(37_552_282_624L, active);
        assertEquals(11_610_067_968L, mtp);
        assertEquals(671, billions(total, 0));
        // 37.55B counted with the input embedding, as the reference README counts active parameters; DeepSeek's
        // "36.6B activated (including the output head)" is the same count without the input embedding.
        assertEquals(37, (long) (active / 1e9), "37.55B, which the report truncates to 37B");
        assertEquals(36.6, billions(active - v * h, 1));
        // The compressed KV cache: kv_lora_rank + qk_rope_head_dim per token per layer.
        assertEquals(l * (kvr + rope) * BF16, s.kvCacheBytesPerToken());
    }

    // moonshotai/Kimi-K2-Instruct, config.json (model_type kimi_k2, DeepseekV3ForCausalLM): DeepSeek-V3's layout with 384
    // routed experts, 64 heads, one dense layer. Published (model card): "32 billion activated parameters and 1 trillion total".
    @Test
    void kimiK2() {
        long v = 163840, h = 7168, f = 18432, fe = 2048, l = 61, dense = 1, nh = 64, e = 384, k = 8, shared = 1;
        long qr = 1536, kvr = 512, nope = 128, rope = 64, vd = 128;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "kimi_k2", "vocab_size": 163840, "hidden_size": 7168,
                 "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_nextn_predict_layers": 0,
                 "num_attention_heads": 64, "num_key_value_heads": 64, "n_shared_experts": 1, "n_routed_experts": 384,
                 "routed_scaling_factor": 2.827, "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128,
                 "qk_nope_head_dim": 128, "topk_method": "noaux_tc", "n_group": 1, "topk_group": 1, "num_experts_per_tok": 8,
                 "moe_layer_freq": 1, "first_k_dense_replace": 1, "norm_topk_prob": true, "scoring_func": "sigmoid",
                 "hidden_act": "silu", "rms_norm_eps": 1e-06, "tie_word_embeddings": false}""");
        long mla = h * qr + qr + qr * nh * (nope + rope) + h * (kvr + rope) + kvr + kvr * nh * (nope + vd) + nh * vd * h;
        long moeCommon = mla + 2 * h + h * e + shared * swiglu(h, fe);
        long total = dense * (mla + 2 * h + swiglu(h, f)) + (l - dense) * (moeCommon + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = dense * (mla + 2 * h + swiglu(h, f)) + (l - dense) * (moeCommon + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(0, s.mtpModules());
        assertEquals(1_026_408_209_408L, total);
        assertEquals(1.0e12, total, 0.03e12, "the card's 1 trillion");
        assertEquals(32, (long) (active / 1e9), "32.9B, which the card calls 32 billion");
        assertEquals(l * (kvr + rope) * BF16, s.kvCacheBytesPerToken());
    }

    // zai-org/GLM-4.5-Air, config.json (model_type glm4_moe): GQA 96/8 heads of 128 with q, k, v biases, one dense layer of 10944,
    // then 128 experts (top 8) of 1408 beside one shared expert. Published (model card): 106B total parameters, 12B active.
    @Test
    void glm45Air() {
        long v = 151552, h = 4096, l = 46, dense = 1, nh = 96, nkv = 8, hd = 128, e = 128, k = 8, fe = 1408, f = 10944;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Glm4MoeForCausalLM"], "model_type": "glm4_moe", "attention_bias": true, "first_k_dense_replace": 1,
                 "head_dim": 128, "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 10944, "moe_intermediate_size": 1408,
                 "n_group": 1, "n_routed_experts": 128, "n_shared_experts": 1, "norm_topk_prob": true, "num_attention_heads": 96,
                 "num_experts_per_tok": 8, "num_hidden_layers": 46, "num_key_value_heads": 8, "num_nextn_predict_layers": 1,
                 "partial_rotary_factor": 0.5, "rms_norm_eps": 1e-05, "routed_scaling_factor": 1.0, "tie_word_embeddings": false,
                 "topk_group": 1, "use_qk_norm": false, "vocab_size": 151552}""");
        long attention = attention(h, nh, nkv, hd) + nh * hd + 2 * nkv * hd;
        long common = attention + 2 * h + h * e + swiglu(h, fe);
        long total = dense * (attention + 2 * h + swiglu(h, f)) + (l - dense) * (common + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = dense * (attention + 2 * h + swiglu(h, f)) + (l - dense) * (common + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(106_852_245_504L, total);
        assertEquals(106, (long) (total / 1e9), "106.9B, which the card calls 106B");
        assertEquals(12.2, billions(active - 2 * v * h, 1), "active without the embedding and head, which the card calls 12B");
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // MiniMaxAI/MiniMax-M2.5, config.json (model_type minimax_m2): head_dim 128 (48 heads x 128 = 6144, not hidden 3072), q_norm and
    // k_norm over the whole query (6144) and key (1024) width, 256 experts (top 8) of 1536, no shared expert, no dense layer.
    // Published (model card): 230B total parameters, 10B activated (the embeddings apart: 9.8B).
    @Test
    void minimaxM2() {
        long v = 200064, h = 3072, l = 62, nh = 48, nkv = 8, hd = 128, e = 256, k = 8, fe = 1536;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["MiniMaxM2ForCausalLM"], "model_type": "minimax_m2", "num_hidden_layers": 62, "hidden_size": 3072,
                 "num_attention_heads": 48, "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 1536, "vocab_size": 200064,
                 "num_experts_per_tok": 8, "num_local_experts": 256, "rotary_dim": 64, "hidden_act": "silu", "rms_norm_eps": 1e-06,
                 "tie_word_embeddings": false, "use_qk_norm": true, "qk_norm_type": "per_layer", "use_routing_bias": true,
                 "use_mtp": true, "mtp_transformer_layers": 1, "num_mtp_modules": 3, "shared_intermediate_size": 0, "scoring_func": "sigmoid"}""");
        long common = attention(h, nh, nkv, hd) + nh * hd + nkv * hd + 2 * h + h * e;
        long total = l * (common + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = l * (common + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(228_689_748_992L, total);
        assertEquals(230e9, total, 0.01 * 230e9, "the card's 230B");
        assertEquals(9.8, billions(active - 2 * v * h, 1));
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // meta-llama/Llama-4-Scout-17B-16E-Instruct, config.json's text_config (model_type llama4_text): every layer 16 experts (top 1)
    // of 8192 beside a shared expert of 8192, GQA 40/8 heads of 128. Published (model card): 17B active, 109B total with the
    // vision encoder, which the import leaves out (the language model counts 107.8B).
    @Test
    void llama4Scout() {
        long v = 202048, h = 5120, l = 48, nh = 40, nkv = 8, hd = 128, e = 16, k = 1, fe = 8192;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4", "vision_config": {"hidden_size": 1408},
                 "text_config": {"model_type": "llama4_text", "attention_bias": false, "attention_chunk_size": 8192, "head_dim": 128,
                 "hidden_act": "silu", "hidden_size": 5120, "interleave_moe_layer_step": 1, "intermediate_size": 8192,
                 "intermediate_size_mlp": 16384, "num_attention_heads": 40, "num_experts_per_tok": 1, "num_hidden_layers": 48,
                 "num_key_value_heads": 8, "num_local_experts": 16, "rms_norm_eps": 1e-05, "use_qk_norm": true, "vocab_size": 202048}}""");
        long common = attention(h, nh, nkv, hd) + 2 * h + h * e + swiglu(h, fe);
        long total = l * (common + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = l * (common + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(107.8, billions(total, 1));
        assertEquals(17, (long) (active / 1e9), "17.2B: " + active);
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // meta-llama/Llama-4-Maverick-17B-128E-Instruct, config.json's text_config: 128 experts (top 1) of 8192 beside a shared expert on
    // every other layer (interleave_moe_layer_step 2: layers 1, 3, ..., 47), dense SwiGLU MLPs of 16384 (intermediate_size_mlp) on
    // the others. Published (model card): 17B active, 400B total.
    @Test
    void llama4Maverick() {
        long v = 202048, h = 5120, l = 48, nh = 40, nkv = 8, hd = 128, e = 128, k = 1, fe = 8192, fd = 16384;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4",
                 "text_config": {"model_type": "llama4_text", "attention_chunk_size": 8192, "head_dim": 128, "hidden_act": "silu",
                 "hidden_size": 5120, "interleave_moe_layer_step": 2, "intermediate_size": 8192, "intermediate_size_mlp": 16384,
                 "num_attention_heads": 40, "num_experts_per_tok": 1, "num_hidden_layers": 48, "num_key_value_heads": 8,
                 "num_local_experts": 128, "rms_norm_eps": 1e-05, "use_qk_norm": true, "vocab_size": 202048}}""");
        long dense = attention(h, nh, nkv, hd) + 2 * h + swiglu(h, fd);
        long common = attention(h, nh, nkv, hd) + 2 * h + h * e + swiglu(h, fe);
        long total = l / 2 * dense + l / 2 * (common + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = l / 2 * dense + l / 2 * (common + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(400.7, billions(total, 1));
        assertEquals(17, (long) (active / 1e9), "17.2B: " + active);
    }

    // google/gemma-7b, config.json: head_dim 256 (16 heads x 256 = 4096, not hidden 3072), GeGLU, the head
    // tied to the embedding. Published (model card, technical report): 8.54B.
    @Test
    void gemma7b() {
        long v = 256000, h = 3072, f = 24576, l = 28, nh = 16, nkv = 16, hd = 256;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["GemmaForCausalLM"], "model_type": "gemma", "vocab_size": 256000, "hidden_size": 3072,
                 "intermediate_size": 24576, "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 16,
                 "head_dim": 256, "hidden_act": "gelu", "hidden_activation": null, "rms_norm_eps": 1e-06}""");
        long total = l * (attention(h, nh, nkv, hd) + swiglu(h, f) + 2 * h) + v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(8_537_680_896L, total, "the formula's value, for the record");
        assertEquals(8.54, billions(total, 2));
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // google/gemma-2-9b, config.json: Gemma 2 norms the attention's and the MLP's outputs too (four norms a
    // layer). Published (technical report, Table 1 and model card): 9.24B.
    @Test
    void gemma2_9b() {
        long v = 256000, h = 3584, f = 14336, l = 42, nh = 16, nkv = 8, hd = 256;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "vocab_size": 256000, "hidden_size": 3584,
                 "intermediate_size": 14336, "num_hidden_layers": 42, "num_attention_heads": 16, "num_key_value_heads": 8,
                 "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "sliding_window": 4096, "attn_logit_softcapping": 50.0,
                 "final_logit_softcapping": 30.0, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06}""");
        long total = l * (attention(h, nh, nkv, hd) + swiglu(h, f) + 4 * h) + v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(9_241_705_984L, total, "the formula's value, for the record");
        assertEquals(9.24, billions(total, 2));
    }

    // microsoft/Phi-3-mini-4k-instruct, config.json: a llama layout whose q, k, v and gate, up are fused
    // (qkv_proj, gate_up_proj: the same weights). Published (technical report): 3.8B.
    @Test
    void phi3Mini() {
        long v = 32064, h = 3072, f = 8192, l = 32, nh = 32;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "vocab_size": 32064, "hidden_size": 3072,
                 "intermediate_size": 8192, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
                 "hidden_act": "silu", "rms_norm_eps": 1e-05, "sliding_window": 2047, "tie_word_embeddings": false}""");
        long total = l * (attention(h, nh, nh, h / nh) + swiglu(h, f) + 2 * h) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(3_821_079_552L, total, "the formula's value, for the record");
        assertEquals(3.8, billions(total, 1));
    }

    // tiiuae/falcon-7b, config.json: multi-query attention (one key/value head), attention and MLP side by
    // side on one LayerNorm (weight and bias), a 4h GELU MLP, no linear biases, the head tied. Published: 7B.
    @Test
    void falcon7b() {
        long v = 65024, h = 4544, l = 32, nh = 71, hd = 64;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["FalconForCausalLM"], "model_type": "falcon", "vocab_size": 65024, "hidden_size": 4544,
                 "num_attention_heads": 71, "num_hidden_layers": 32, "multi_query": true, "parallel_attn": true, "bias": false,
                 "new_decoder_architecture": false, "alibi": false, "layer_norm_epsilon": 1e-05}""");
        long layer = attention(h, nh, 1, hd) + 2 * h * 4 * h + 2 * h;
        long total = l * layer + v * h + 2 * h;
        assertEquals(total, s.totalParams());
        assertEquals(6_921_720_704L, total, "the formula's value, for the record");
        assertEquals(7, billions(total, 0));
        assertEquals(2 * l * hd * BF16, s.kvCacheBytesPerToken());
    }

    // tiiuae/falcon-180B, config.json: new_decoder_architecture (8 key/value heads, a LayerNorm for each
    // side). Published: 180B.
    @Test
    void falcon180b() {
        long v = 65024, h = 14848, l = 80, nh = 232, nkv = 8, hd = 64;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["FalconForCausalLM"], "model_type": "falcon", "vocab_size": 65024, "hidden_size": 14848,
                 "num_attention_heads": 232, "num_kv_heads": 8, "num_hidden_layers": 80, "new_decoder_architecture": true,
                 "multi_query": true, "parallel_attn": true, "bias": false, "alibi": false, "layer_norm_epsilon": 1e-05}""");
        long layer = attention(h, nh, nkv, hd) + 2 * h * 4 * h + 4 * h;
        long total = l * layer + v * h + 2 * h;
        assertEquals(total, s.totalParams());
        assertEquals(178_557_088_768L, total, "the formula's value, for the record");
        assertEquals(180, Math.round(total / 1e10) * 10);
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // bigcode/starcoder2-3b, config.json: GPT-2's layer (LayerNorms with biases, a bias on every linear, a
    // GELU MLP) with 2 key/value heads and rotary positions; the head tied. Published (model card): 3B
    // (3.03B on the Hugging Face page).
    @Test
    void starcoder2_3b() {
        long v = 49152, h = 3072, f = 12288, l = 30, nh = 24, nkv = 2, hd = 128;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Starcoder2ForCausalLM"], "model_type": "starcoder2", "vocab_size": 49152, "hidden_size": 3072,
                 "intermediate_size": 12288, "num_hidden_layers": 30, "num_attention_heads": 24, "num_key_value_heads": 2,
                 "hidden_act": "gelu_pytorch_tanh", "norm_epsilon": 1e-05, "norm_type": "layer_norm", "use_bias": true,
                 "sliding_window": 4096}""");
        long attentionBiases = nh * hd + 2 * nkv * hd + h;
        long layer = attention(h, nh, nkv, hd) + attentionBiases + 2 * h * f + f + h + 4 * h;
        long total = l * layer + v * h + 2 * h;
        assertEquals(total, s.totalParams());
        assertEquals(3_030_371_328L, total, "the formula's value, for the record");
        assertEquals(3.03, billions(total, 2));
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // EleutherAI/pythia-6.9b, config.json (model_type gpt_neox): attention and MLP side by side on their own
    // LayerNorms, a bias on every linear, untied embed_in and embed_out. Published (Pythia paper, Table 1):
    // 6,857,302,016 parameters.
    @Test
    void pythia6_9b() {
        long v = 50432, h = 4096, f = 16384, l = 32, nh = 32;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "vocab_size": 50432, "hidden_size": 4096,
                 "intermediate_size": 16384, "num_hidden_layers": 32, "num_attention_heads": 32, "hidden_act": "gelu",
                 "layer_norm_eps": 1e-05, "rotary_pct": 0.25, "use_parallel_residual": true, "tie_word_embeddings": false}""");
        long layer = attention(h, nh, nh, h / nh) + 4 * h + 2 * h * f + f + h + 4 * h;
        long total = l * layer + 2 * v * h + 2 * h;
        assertEquals(total, s.totalParams());
        assertEquals(6_857_302_016L, total);
    }

    // google/gemma-3-1b-pt, config.json (model_type gemma3_text): Gemma 2's four norms a layer plus per-head
    // q and k norms over head_dim; one key/value head; the head tied. Published (model card): 1B.
    @Test
    void gemma3_1b() {
        long v = 262144, h = 1152, f = 6912, l = 26, nh = 4, nkv = 1, hd = 256;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "vocab_size": 262144, "hidden_size": 1152,
                 "intermediate_size": 6912, "num_hidden_layers": 26, "num_attention_heads": 4, "num_key_value_heads": 1,
                 "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "sliding_window": 512, "sliding_window_pattern": 6,
                 "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06}""");
        long total = l * (attention(h, nh, nkv, hd) + 2 * hd + swiglu(h, f) + 4 * h) + v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(999_885_952L, total, "the formula's value, for the record");
        assertEquals(1.0, billions(total, 1));
    }

    // google/gemma-3-4b-it, config.json: a multimodal config whose text_config gives only what differs from
    // Gemma3TextConfig's defaults (heads 8, key/value heads 4, head_dim 256, vocab 262208). Only the language
    // model is imported (W0609). Published (Gemma 3 technical report, Table 1): 3,209M non-embedding parameters.
    @Test
    void gemma3_4bMultimodal() {
        long v = 262208, h = 2560, f = 10240, l = 34, nh = 8, nkv = 4, hd = 256;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "mm_tokens_per_image": 256,
                 "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                                 "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024},
                 "vision_config": {"hidden_size": 1152, "model_type": "siglip_vision_model", "num_hidden_layers": 27}}""");
        long total = l * (attention(h, nh, nkv, hd) + 2 * hd + swiglu(h, f) + 4 * h) + v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(3209, Math.round((total - v * h) / 1e6));
    }

    // deepseek-ai/DeepSeek-V2, config.json: latent attention with q_lora_rank 1536, 160 routed experts.
    // Published (technical report): 236B total, 21B activated per token.
    @Test
    void deepseekV2() {
        long v = 102400, h = 5120, f = 12288, fe = 1536, l = 60, dense = 1, nh = 128, e = 160, k = 6, shared = 2;
        long qr = 1536, kvr = 512, nope = 128, rope = 64, vd = 128;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "vocab_size": 102400, "hidden_size": 5120,
                 "intermediate_size": 12288, "moe_intermediate_size": 1536, "num_hidden_layers": 60, "num_attention_heads": 128,
                 "num_key_value_heads": 128, "n_shared_experts": 2, "n_routed_experts": 160, "routed_scaling_factor": 16.0,
                 "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128,
                 "topk_method": "group_limited_greedy", "n_group": 8, "topk_group": 3, "num_experts_per_tok": 6, "moe_layer_freq": 1,
                 "first_k_dense_replace": 1, "norm_topk_prob": false, "scoring_func": "softmax", "hidden_act": "silu",
                 "rms_norm_eps": 1e-06, "tie_word_embeddings": false}""");
        long mla = h * qr + qr + qr * nh * (nope + rope) + h * (kvr + rope) + kvr + kvr * nh * (nope + vd) + nh * vd * h;
        long denseLayer = mla + 2 * h + swiglu(h, f);
        long moeCommon = mla + 2 * h + h * e + shared * swiglu(h, fe);
        long total = dense * denseLayer + (l - dense) * (moeCommon + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = dense * denseLayer + (l - dense) * (moeCommon + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(0, s.mtpParams());
        assertEquals(235_741_434_880L, total, "the formula's value, for the record");
        assertEquals(236, billions(total, 0));
        assertEquals(21, billions(active, 0));
        assertEquals(l * (kvr + rope) * BF16, s.kvCacheBytesPerToken());
    }

    // deepseek-ai/DeepSeek-V2-Lite, config.json: q_lora_rank null, so the queries come from one q_proj.
    // Published (model card): 15.7B total, 2.4B activated.
    @Test
    void deepseekV2Lite() {
        long v = 102400, h = 2048, f = 10944, fe = 1408, l = 27, dense = 1, nh = 16, e = 64, k = 6, shared = 2;
        long kvr = 512, nope = 128, rope = 64, vd = 128;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "vocab_size": 102400, "hidden_size": 2048,
                 "intermediate_size": 10944, "moe_intermediate_size": 1408, "num_hidden_layers": 27, "num_attention_heads": 16,
                 "num_key_value_heads": 16, "n_shared_experts": 2, "n_routed_experts": 64, "kv_lora_rank": 512, "q_lora_rank": null,
                 "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128, "topk_method": "greedy", "num_experts_per_tok": 6,
                 "moe_layer_freq": 1, "first_k_dense_replace": 1, "scoring_func": "softmax", "hidden_act": "silu",
                 "rms_norm_eps": 1e-06, "tie_word_embeddings": false}""");
        // q_proj; kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj (keys and values); o_proj.
        long mla = h * nh * (nope + rope) + h * (kvr + rope) + kvr + kvr * nh * (nope + vd) + nh * vd * h;
        long denseLayer = mla + 2 * h + swiglu(h, f);
        long moeCommon = mla + 2 * h + h * e + shared * swiglu(h, fe);
        long total = dense * denseLayer + (l - dense) * (moeCommon + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = dense * denseLayer + (l - dense) * (moeCommon + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(15_706_484_224L, total, "the formula's value, for the record");
        assertEquals(15.7, billions(total, 1));
        assertEquals(24, (long) ((active - v * h) / 1e8), "2.45B without the input embedding, which the model card truncates to 2.4B");
        assertEquals(l * (kvr + rope) * BF16, s.kvCacheBytesPerToken());
    }

    // deepseek-ai/deepseek-moe-16b-base, config.json (model_type deepseek): multi-head attention, one dense
    // layer, then 64 routed experts (top 6) beside 2 shared ones. Published (paper and model card): 16.4B
    // total, 2.8B activated.
    @Test
    void deepseekMoe16b() {
        long v = 102400, h = 2048, f = 10944, fe = 1408, l = 28, dense = 1, nh = 16, e = 64, k = 6, shared = 2;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["DeepseekForCausalLM"], "model_type": "deepseek", "vocab_size": 102400, "hidden_size": 2048,
                 "intermediate_size": 10944, "moe_intermediate_size": 1408, "num_hidden_layers": 28, "num_attention_heads": 16,
                 "num_key_value_heads": 16, "n_shared_experts": 2, "n_routed_experts": 64, "num_experts_per_tok": 6,
                 "first_k_dense_replace": 1, "moe_layer_freq": 1, "scoring_func": "softmax", "attention_bias": false,
                 "hidden_act": "silu", "rms_norm_eps": 1e-06, "tie_word_embeddings": false}""");
        long attention = attention(h, nh, nh, h / nh);
        long moeCommon = attention + 2 * h + h * e + shared * swiglu(h, fe);
        long total = dense * (attention + 2 * h + swiglu(h, f)) + (l - dense) * (moeCommon + e * swiglu(h, fe)) + 2 * v * h + h;
        long active = dense * (attention + 2 * h + swiglu(h, f)) + (l - dense) * (moeCommon + k * swiglu(h, fe)) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(active, s.activeParams());
        assertEquals(16.4, billions(total, 1));
        assertEquals(2.8, billions(active, 1));
        assertEquals(2 * l * h * BF16, s.kvCacheBytesPerToken());
    }

    // GPT-3 175B (Brown et al. 2020, Table 2.1: 96 layers, d_model 12288, 96 heads, context 2048; GPT-2's
    // vocabulary of 50257) written as a gpt2-style config. Published: 175.0B. Narayanan et al. 2021, eq. 2
    // (in ../shared/reference/README.md): P = 12lh^2 (1 + 13/(12h) + (V+s)/(12lh)), which leaves out the final
    // LayerNorm's 2h.
    @Test
    void gpt3_175b() {
        long v = 50257, h = 12288, l = 96, s = 2048;
        ModelStats stats = Imports.importAndCount("""
                {"model_type": "gpt2", "vocab_size": 50257, "n_embd": 12288, "n_layer": 96, "n_head": 96, "n_positions": 2048,
                 "n_inner": null, "activation_function": "gelu_new"}""");
        long eq2 = 12 * l * h * h + 13 * l * h + (v + s) * h;
        assertEquals(eq2 + 2 * h, stats.totalParams());
        assertEquals(174_604_259_328L, stats.totalParams());
        assertEquals(175, billions(stats.totalParams(), 0));
        assertEquals(2 * l * h * BF16, stats.kvCacheBytesPerToken());
    }

    // openai-community/gpt2, config.json: 124,439,808 parameters (what transformers' num_parameters() reports).
    @Test
    void gpt2Small() {
        long v = 50257, h = 768, l = 12, p = 1024;
        ModelStats s = Imports.importAndCount("""
                {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257, "n_embd": 768, "n_layer": 12,
                 "n_head": 12, "n_positions": 1024, "n_ctx": 1024, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05}""");
        // Per layer: ln_1 (2h), c_attn (h x 3h + 3h), c_proj (h x h + h), ln_2 (2h), c_fc (h x 4h + 4h), c_proj (4h x h + h).
        long layer = 2 * h + (3 * h * h + 3 * h) + (h * h + h) + 2 * h + (4 * h * h + 4 * h) + (4 * h * h + h);
        long total = l * layer + v * h + p * h + 2 * h;
        assertEquals(total, s.totalParams());
        assertEquals(124_439_808L, total);
    }

    /** A config the fidelity table deploys, read from {@code bench/fidelity/configs/} as stored. */
    private static ModelStats stored(String name) throws Exception {
        return Imports.importAndCount(Files.readString(Repo.file("bench/fidelity/configs/" + name + ".config.json")));
    }

    // EleutherAI/gpt-j-6b, config.json as stored for the fidelity table (model_type gptj): attention and MLP
    // side by side on one LayerNorm (ln_1), q/k/v/out_proj without biases, fc_in and fc_out with theirs,
    // n_inner null (4h), rotary positions (no weights), an untied lm_head with a bias. transformers'
    // GPTJForCausalLM has 6,050,882,784 parameters. The model card's 6,053,381,344 counts the checkpoint
    // as mesh-transformer-jax trained it, on 8 shards (configs/6B_roto_256.json: cores_per_replica 8):
    // each shard holds its own copy of every LayerNorm (ReplicatedLayerNorm: scale and offset) and of
    // each layer's dense_proj_o bias (hk.Linear(d_model) on every shard), and the embedding is an
    // hk.Linear with a bias of d_model on every shard (mesh_transformer/layers.py): 7 extra copies of
    // (28 x (2h + h) + 2h) and 8 x h, 2,498,560 in all.
    @Test
    void gptj6b() throws Exception {
        long v = 50400, h = 4096, f = 4 * h, l = 28;
        ModelStats s = stored("gpt-j-6b");
        long layer = 2 * h + 4 * h * h + (h * f + f) + (f * h + h);
        long total = l * layer + v * h + 2 * h + (h * v + v);
        assertEquals(total, s.totalParams());
        assertEquals(6_050_882_784L, total, "the formula's value, for the record");
        long shards = 8;
        long shardCopies = (shards - 1) * (l * (2 * h + h) + 2 * h) + shards * h;
        assertEquals(2_498_560L, shardCopies);
        assertEquals(6_053_381_344L, total + shardCopies, "the model card's count, as mesh-transformer-jax's 8 shards hold it");
        assertEquals(2 * l * h * BF16, s.kvCacheBytesPerToken());
    }

    // mistralai/Mistral-7B-v0.1, config.json as stored for the fidelity table: Llama's layer with 8
    // key/value heads (the sliding window changes no weight). 7.24B, as its Hugging Face page counts.
    @Test
    void mistral7b() throws Exception {
        long v = 32000, h = 4096, f = 14336, l = 32, nh = 32, nkv = 8, hd = 128;
        ModelStats s = stored("mistral-7b");
        long total = l * (attention(h, nh, nkv, hd) + swiglu(h, f) + 2 * h) + 2 * v * h + h;
        assertEquals(total, s.totalParams());
        assertEquals(7_241_732_096L, total, "the formula's value, for the record");
        assertEquals(7.24, billions(total, 2));
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
    }

    // tiiuae/falcon-180B, config.json as stored for the fidelity table: the same count as falcon180b above;
    // no tie_word_embeddings field, so FalconConfig's default (PretrainedConfig's true) ties lm_head to
    // word_embeddings, and num_ln_in_parallel_attn absent gives the new architecture's two LayerNorms.
    @Test
    void falcon180bStored() throws Exception {
        long v = 65024, h = 14848, l = 80, nh = 232, nkv = 8, hd = 64;
        ModelStats s = stored("falcon-180b");
        long layer = attention(h, nh, nkv, hd) + 2 * h * 4 * h + 4 * h;
        assertEquals(l * layer + v * h + 2 * h, s.totalParams());
        assertEquals(178_557_088_768L, s.totalParams());
        assertEquals(2 * l * nkv * hd * BF16, s.kvCacheBytesPerToken());
        // Untied, the head would be a table of its own (lm_head, no bias): v x h more.
        String untied = Files.readString(Repo.file("bench/fidelity/configs/falcon-180b.config.json")).replace("\"bias\": false,",
                "\"bias\": false,\n  \"tie_word_embeddings\": false,");
        assertEquals(178_557_088_768L + v * h, Imports.importAndCount(untied).totalParams());
    }
}
