package pdagc.importer;

import java.util.List;
import java.util.Map;

/**
 * How each supported {@code model_type} maps onto the language: which config fields give which
 * model properties, and which stdlib blocks build its layers. One method per family; the shared
 * reading (vocabulary, widths, heads, norms, activations, experts) is written once. Fields a
 * config leaves out take Hugging Face's default for that model_type, and the written comment
 * says so; a field whose value the blocks cannot express is a diagnostic, never a guess.
 */
final class Families {
    /** The model_types the importer reads, in the order they are listed to users. */
    static final List<String> SUPPORTED = List.of("llama", "mistral", "mixtral", "phi3", "gemma", "gemma2", "gemma3_text", "qwen2",
            "qwen2_moe", "qwen3", "qwen3_moe", "qwen3_vl_text", "qwen3_vl_moe_text", "olmoe", "deepseek", "deepseek_v2", "deepseek_v3",
            "kimi_k2", "glm4_moe", "minimax_m2", "llama4_text", "falcon", "starcoder2", "gpt_neox", "gptj", "gpt2");

    private final HfConfig c;
    private final PdagModel m;
    private final String type;

    private Families(HfConfig c, PdagModel m, String type) {
        this.c = c;
        this.m = m;
        this.type = type;
    }

    /** Fills {@code m} from the config of a supported model_type; problems go to the config's diagnostics. */
    static void translate(String type, HfConfig c, PdagModel m) {
        Families f = new Families(c, m, type);
        switch (type) {
            case "llama", "mistral", "phi3" -> f.llama(type);
            case "gemma", "gemma2", "gemma3_text" -> f.gemma(type);
            case "falcon" -> f.falcon();
            case "starcoder2" -> f.starcoder2();
            case "gpt_neox" -> f.gptNeox();
            case "mixtral" -> f.mixtral();
            case "qwen2" -> f.qwen2();
            case "qwen2_moe" -> f.qwen2Moe();
            case "qwen3", "qwen3_vl_text" -> f.qwen3();
            case "qwen3_moe", "qwen3_vl_moe_text" -> f.qwen3Moe();
            case "olmoe" -> f.olmoe();
            case "deepseek" -> f.deepseekMoe();
            case "deepseek_v2", "deepseek_v3", "kimi_k2" -> f.deepseekLatent(type);
            case "glm4_moe" -> f.glm4Moe();
            case "minimax_m2" -> f.minimaxM2();
            case "llama4_text" -> f.llama4();
            case "gptj" -> f.gptj();
            case "gpt2" -> f.gpt2();
            default -> throw new IllegalStateException("the supported list and the translations disagree on " + type);
        }
    }

    // ---- families ----------------------------------------------------------------------------

    private void llama(String type) {
        noBiases(type);
        attention();
        slidingWindow(false);
        m.set("ffn", c.count("intermediate_size", 1), "intermediate_size");
        rmsnorm();
        act("hidden_act", "silu");
        blocks("gated_dense_layer", "attention, then SwiGLU MLP (" + (type.equals("phi3") ? "gate_up_proj fused, down_proj" : "gate_proj, up_proj, down_proj")
                + ")", false);
    }

    /**
     * Gemma, Gemma 2 and Gemma 3's text model: a llama layout with GeGLU, head_dim given apart
     * from hidden / heads, and the head tied to the embedding by default. Gemma's RMSNorm scales by
     * (1 + weight) and its embedding output by sqrt(hidden): the same weights. Gemma 2 adds a norm
     * after attention and after the MLP (four a layer), local sliding-window attention on every
     * other layer, and soft-capped logits (no weights); Gemma 3 adds per-head q and k norms and
     * has five local layers for each global one.
     */
    private void gemma(String type) {
        boolean later = !type.equals("gemma");
        noBiases(type);
        attention();
        if (later) slidingWindow(false);
        m.set("ffn", count("intermediate_size"), from("intermediate_size"));
        rmsnorm();
        act(c.has("hidden_activation") ? "hidden_activation" : "hidden_act", "gelu_pytorch_tanh");
        switch (type) {
            case "gemma2" -> {
                m.note("Not modelled: the soft-capping of attention scores and final logits (no weights).");
                blocks("gemma2_layer", "attention, post-attention norm, then GeGLU MLP and its post-norm (four norms a layer)", true);
            }
            case "gemma3_text" -> blocks("gemma3_layer",
                    "attention with per-head q_norm and k_norm, post-attention norm, then GeGLU MLP and its post-norm", true);
            default -> blocks("gated_dense_layer", "attention, then GeGLU MLP (gate_proj, up_proj, down_proj)", true);
        }
    }

    private void mixtral() {
        attention();
        slidingWindow(false);
        mixtralExperts();
        rmsnorm();
        act("hidden_act", "silu");
        blocks("gated_moe_layer", "attention, then SwiGLU experts (block_sparse_moe)", false);
    }

    private void qwen2() {
        attention();
        slidingWindow(true);
        m.set("ffn", c.count("intermediate_size", 1), "intermediate_size");
        rmsnorm();
        act("hidden_act", "silu");
        blocks("qwen2_layer", "attention with q, k and v biases, then SwiGLU MLP", false);
    }

    private void qwen2Moe() {
        attention();
        slidingWindow(true);
        qwenExperts("qwen2_layer", "attention with q, k, v biases, then a SwiGLU MLP of intermediate_size");
        m.set("shared_ffn", c.count("shared_expert_intermediate_size", 1), "shared_expert_intermediate_size (one shared expert, sigmoid-gated)");
        rmsnorm();
        act("hidden_act", "silu");
        blocks("qwen2_moe_layer", "attention with q, k, v biases, then SwiGLU experts and a gated shared expert", false);
    }

    /** Qwen3, and the language model of Qwen3-VL (qwen3_vl_text: the same layers; its multimodal rotary positions carry no weights). */
    private void qwen3() {
        noBiases(type);
        attention();
        slidingWindow(true);
        m.set("ffn", c.count("intermediate_size", 1), "intermediate_size");
        rmsnorm();
        act("hidden_act", "silu");
        blocks("qwen3_layer", "attention with per-head q_norm and k_norm (RMSNorm over head_dim), then SwiGLU MLP", false);
    }

    /** Qwen3-MoE, and the language model of Qwen3-VL's MoE models (qwen3_vl_moe_text). */
    private void qwen3Moe() {
        noBiases(type);
        attention();
        slidingWindow(true);
        qwenExperts("qwen3_layer", "attention with per-head q_norm and k_norm, then a SwiGLU MLP of intermediate_size");
        rmsnorm();
        act("hidden_act", "silu");
        blocks("qwen3_moe_layer", "attention with per-head q_norm and k_norm, then SwiGLU experts", false);
    }

    private void olmoe() {
        noBiases("olmoe");
        attention();
        Long ffn = c.count("intermediate_size", 1);
        m.set("ffn", ffn, "intermediate_size (no dense layers: this is each expert's width)");
        experts("num_experts");
        m.set("expert_ffn", ffn, "intermediate_size");
        rmsnorm();
        act("hidden_act", "silu");
        blocks("olmoe_layer", "attention with q_norm and k_norm over the whole query and key width, then SwiGLU experts", false);
    }

    /**
     * GLM-4.5 and GLM-4.5-Air (glm4_moe): GQA attention with head_dim given, biases on q, k and v
     * (attention_bias; o_proj has none) and, with use_qk_norm, per-head q and k norms; rotary
     * positions on partial_rotary_factor of each head (no weights); the first first_k_dense_replace
     * layers a dense SwiGLU MLP of intermediate_size, the others DeepSeek-style routed experts of
     * moe_intermediate_size beside n_shared_experts shared ones, routed by sigmoid scores whose
     * correction bias is not counted (as DeepSeek's is not). The multi-token-prediction layers
     * (num_nextn_predict_layers) are in the checkpoint but not in transformers' Glm4MoeForCausalLM:
     * not imported.
     */
    private void glm4Moe() {
        if (Boolean.TRUE.equals(c.flag("mlp_bias", false))) c.unsupported("mlp_bias", "MLP biases for model_type glm4_moe", null);
        attention();
        Long layers = c.count("num_hidden_layers", 1);
        m.set("ffn", c.count("intermediate_size", 1), "intermediate_size (the dense layers' width)");
        deepseekExperts(layers);
        rmsnorm();
        act("hidden_act", "silu");
        boolean bias = !Boolean.FALSE.equals(c.flag("attention_bias", false));
        boolean qkNorm = Boolean.TRUE.equals(c.flag("use_qk_norm", false));
        if (!bias && qkNorm) {
            c.unsupported("attention_bias", "GLM-4.5 with per-head q/k norms but no attention biases (`attention_bias` false)",
                    "the stdlib's GLM-4.5 layers with q/k norms have q, k and v biases");
        }
        Long mtp = c.count("num_nextn_predict_layers", 0, 0L);
        if (mtp != null && mtp > 0) {
            m.note("Not imported: the multi-token-prediction layers (num_nextn_predict_layers " + mtp + "), which transformers' Glm4MoeForCausalLM"
                    + " does not hold.");
        }
        m.note("Not counted: each MoE layer's e_score_correction_bias (the sigmoid router's correction, one value per expert).");
        boolean tied = tied(false);
        m.word("embed", "embedding", "token embedding (embed_tokens)");
        String attention = !bias ? "attention (no biases: attention_bias false)" : "attention with q, k, v biases" + (qkNorm ? " and per-head q and k norms (use_qk_norm)" : "");
        m.word("dense_layer", !bias ? "gated_dense_layer" : qkNorm ? "glm4_moe_qk_norm_dense_layer" : "qwen2_layer", "the first layers: " + attention + ", then SwiGLU MLP");
        m.word("layer", !bias ? "deepseek_attention_moe_layer" : qkNorm ? "glm4_moe_qk_norm_layer" : "glm4_moe_layer", attention
                + ", then routed and shared SwiGLU experts");
        m.word("head", tied ? "tied_lm_head" : "lm_head", tied ? "final norm; logits from embed_tokens (tie_word_embeddings)" : "final norm and lm_head");
    }

    /**
     * MiniMax-M2 (minimax_m2): attention with head_dim given apart from hidden / heads, its query and
     * key each normed over their whole width before the heads split (qk_norm_type per_layer; per_head
     * norms each head, as Qwen3), rotary positions on rotary_dim of each head (no weights), and every
     * layer a mixture of SwiGLU experts (w1, w3, w2) of intermediate_size, routed by sigmoid scores
     * whose correction bias (e_score_correction_bias, num_local_experts values a layer) is not
     * counted, as DeepSeek's is not. The multi-token-prediction modules (use_mtp) are not in
     * transformers' MiniMaxM2ForCausalLM, and not imported. use_qk_norm and qk_norm_type must be given:
     * their defaults are the model's remote code's, not transformers'.
     */
    private void minimaxM2() {
        noBiases(type);
        attention();
        slidingWindow(false);
        mixtralExperts();
        Long shared = c.count("shared_intermediate_size", 0, 0L);
        if (shared != null && shared > 0) {
            c.unsupported("shared_intermediate_size", "a MiniMax-M2 shared expert (shared_intermediate_size " + shared + ")",
                    "the stdlib's MiniMax-M2 layers have routed experts only");
        }
        Boolean qkNorm = c.flag("use_qk_norm");
        String normType = Boolean.TRUE.equals(qkNorm) ? c.text("qk_norm_type") : null;
        if (normType != null && !normType.equals("per_layer") && !normType.equals("per_head")) c.wrong("qk_norm_type", "per_layer or per_head");
        rmsnorm();
        act("hidden_act", "silu");
        if (Boolean.TRUE.equals(c.flag("use_mtp", false))) {
            m.note("Not imported: the multi-token-prediction modules (use_mtp" + (c.has("num_mtp_modules") ? ", num_mtp_modules " + c.raw("num_mtp_modules") : "")
                    + "), which transformers' MiniMaxM2ForCausalLM does not hold.");
        }
        m.note("Not counted: each layer's e_score_correction_bias (the sigmoid router's correction, one value per expert).");
        if ("per_head".equals(normType)) {
            blocks("qwen3_moe_layer", "attention with per-head q_norm and k_norm (qk_norm_type per_head), then SwiGLU experts (block_sparse_moe)", false);
        } else if ("per_layer".equals(normType)) {
            blocks("olmoe_layer", "attention with q_norm and k_norm over the whole query and key width (qk_norm_type per_layer), then SwiGLU experts (block_sparse_moe)", false);
        } else {
            blocks("gated_moe_layer", "attention (use_qk_norm false), then SwiGLU experts (block_sparse_moe)", false);
        }
    }

    /**
     * Llama 4's language model (llama4_text, the text_config of Llama-4-Scout and -Maverick): GQA
     * attention with head_dim given, its q and k L2-normed without weights (use_qk_norm) and, on
     * the layers with rotary positions, chunked to attention_chunk_size tokens (not modelled: a
     * warning, like a sliding window); every layer a mixture of SwiGLU experts of intermediate_size
     * (gate_up_proj, down_proj), top num_experts_per_tok by sigmoid scores, beside one shared expert
     * of the same width that every token passes through; with interleave_moe_layer_step N above 1
     * (Maverick's 2) only layers N-1, 2N-1, ... are MoE ({@code moe_every N}), the others dense
     * SwiGLU MLPs of intermediate_size_mlp.
     */
    private void llama4() {
        noBiases(type);
        attention();
        Long step = c.count("interleave_moe_layer_step", 1, 1L);
        Long layers = c.count("num_hidden_layers", 1);
        // transformers' Llama4TextConfig: moe_layers, when absent, is range(step - 1, layers, step); given, it must be that list.
        List<Long> moeLayers = c.has("moe_layers") ? c.numbers("moe_layers") : null;
        if (moeLayers != null && layers != null && step != null
                && !moeLayers.equals(java.util.stream.LongStream.iterate(step - 1, i -> i < layers, i -> i + step).boxed().toList())) {
            c.unsupported("moe_layers", "MoE on " + moeLayers.size() + " chosen layers of " + layers,
                    "the language has MoE on every interleave_moe_layer_step-th layer (`moe_every`)");
        }
        if (step != null && step > 1) m.set("moe_every", step, "interleave_moe_layer_step (layers " + (step - 1) + ", " + (2 * step - 1) + ", ... MoE; the others dense)");
        if (c.has("attention_chunk_size") && !c.isNull("attention_chunk_size")) {
            Long chunk = c.count("attention_chunk_size", 1);
            if (chunk != null) {
                c.notModelled("attention_chunk_size", "chunked local attention (" + chunk + "-token chunks, on the layers with rotary positions)",
                        "figures are exact for sequences of up to " + chunk + " tokens; for longer ones, attention FLOPs and time and the KV cache"
                                + " are upper bounds (on those layers)");
                m.note("Not modelled: chunked local attention (" + chunk + "-token chunks). Attention spans the whole sequence:");
                m.note("exact up to " + chunk + " tokens, an upper bound beyond.");
            }
        }
        boolean interleaved = step != null && step > 1;
        m.set("ffn", c.count("intermediate_size_mlp", 1), "intermediate_size_mlp (the dense MLP's width" + (interleaved ? ")" : "; every layer is MoE here)"));
        experts("num_local_experts");
        Long expertFfn = c.count("intermediate_size", 1);
        m.set("expert_ffn", expertFfn, "intermediate_size (gate_up_proj, down_proj)");
        m.set("shared_ffn", expertFfn, "intermediate_size (one shared expert, as wide as a routed one)");
        rmsnorm();
        act("hidden_act", "silu");
        if (!Boolean.FALSE.equals(c.flag("use_qk_norm", false))) m.note("q and k are L2-normed (use_qk_norm): no weights.");
        if (interleaved) m.word("dense_layer", "gated_dense_layer", "the layers between: attention, then a SwiGLU MLP of intermediate_size_mlp");
        blocks("llama4_moe_layer", "attention, then routed SwiGLU experts beside a shared expert", false);
    }

    /**
     * DeepSeekMoE (model_type deepseek, e.g. deepseek-moe-16b): multi-head attention, the first
     * layers dense, then routed experts beside always-on shared experts.
     */
    private void deepseekMoe() {
        noBiases("deepseek");
        attention();
        m.set("ffn", c.count("intermediate_size", 1), "intermediate_size (the dense layers' width)");
        Long layers = c.count("num_hidden_layers", 1);
        deepseekExperts(layers);
        rmsnorm();
        act("hidden_act", "silu");
        boolean tied = tied(false);
        m.word("embed", "embedding", "token embedding (embed_tokens)");
        m.word("dense_layer", "gated_dense_layer", "the first layers: attention, then SwiGLU MLP");
        m.word("layer", "deepseek_attention_moe_layer", "attention, then routed and shared SwiGLU experts");
        m.word("head", tied ? "tied_lm_head" : "lm_head", tied ? "final norm; logits from embed_tokens (tie_word_embeddings)" : "final norm and lm_head");
    }

    /** DeepSeek-V2's and V3's MoE part: first_k_dense_replace dense layers, then routed and shared experts. */
    private void deepseekExperts(Long layers) {
        Long moeFreq = c.count("moe_layer_freq", 1, 1L);
        if (moeFreq != null && moeFreq != 1) {
            c.unsupported("moe_layer_freq", "MoE layers only every " + moeFreq + " layers", "the language has dense layers first, then MoE layers");
        }
        Long dense = c.count("first_k_dense_replace", 0);
        if (dense != null && layers != null && dense > layers) {
            c.contradiction("num_hidden_layers", "first_k_dense_replace", "first_k_dense_replace " + dense + " exceeds num_hidden_layers " + layers);
        }
        experts("n_routed_experts");
        Long expertFfn = c.count("moe_intermediate_size", 1);
        m.set("expert_ffn", expertFfn, "moe_intermediate_size");
        Long shared = c.count("n_shared_experts", 0);
        if (shared != null && shared == 0) {
            c.unsupported("n_shared_experts", "DeepSeek MoE layers without shared experts", "the stdlib's DeepSeek layers have n_shared_experts > 0");
        }
        m.set("shared_ffn", shared != null && shared > 0 && expertFfn != null ? shared * expertFfn : null,
                "n_shared_experts x moe_intermediate_size (" + (shared != null && shared == 1 ? "one shared expert" : c.raw("n_shared_experts") + " shared experts side by side") + ")");
        m.set("first_dense", dense, "first_k_dense_replace");
    }

    /**
     * DeepSeek-V2 and V3: multi-head latent attention and DeepSeekMoE. Queries pass through a
     * low-rank projection unless {@code q_lora_rank} is null (DeepSeek-V2-Lite), where they come
     * straight from the normed input.
     */
    private void deepseekLatent(String type) {
        noBiases(type);
        Long vocab = c.count("vocab_size", 1);
        Long hidden = c.count("hidden_size", 1);
        Long heads = c.count("num_attention_heads", 1);
        Long layers = c.count("num_hidden_layers", 1);
        boolean directQueries = c.isNull("q_lora_rank");
        Long qRank = directQueries ? null : c.count("q_lora_rank", 1);
        Long kvRank = c.count("kv_lora_rank", 1);
        Long nope = c.count("qk_nope_head_dim", 1);
        Long rope = c.count("qk_rope_head_dim", 1);
        Long v = c.count("v_head_dim", 1);
        if (c.has("qk_head_dim") && nope != null && rope != null) {
            Long qk = c.count("qk_head_dim", 1);
            if (qk != null && qk != nope + rope) {
                c.contradiction("qk_nope_head_dim", "qk_head_dim", "qk_head_dim " + qk + " is not qk_nope_head_dim + qk_rope_head_dim = " + (nope + rope));
            }
        }
        if (c.has("head_dim") && rope != null) {
            Long hd = c.count("head_dim", 1);
            if (hd != null && !hd.equals(rope)) {
                c.contradiction("qk_rope_head_dim", "head_dim", "head_dim " + hd + " is not qk_rope_head_dim " + rope + " (DeepSeek-V3's head_dim is its rope width)");
            }
        }
        m.set("vocab", vocab, "vocab_size");
        m.set("hidden", hidden, "hidden_size");
        m.set("heads", heads, "num_attention_heads (latent attention: no separate key/value heads)");
        m.set("head_dim", nope != null && rope != null ? nope + rope : null, "qk_nope_head_dim + qk_rope_head_dim (a query's and a key's width per head)");
        m.set("layers", layers, "num_hidden_layers");
        if (!directQueries) m.set("q_lora_rank", qRank, "q_lora_rank");
        m.set("kv_lora_rank", kvRank, "kv_lora_rank (the cached latent)");
        m.set("qk_nope_dim", nope, "qk_nope_head_dim");
        m.set("qk_rope_dim", rope, "qk_rope_head_dim (the cached rope key, shared by all heads)");
        m.set("v_head_dim", v, "v_head_dim");
        Long ffn = c.count("intermediate_size", 1);
        m.set("ffn", ffn, "intermediate_size (the dense layers' width)");
        deepseekExperts(layers);
        rmsnorm();
        act("hidden_act", "silu");
        Long mtp = c.count("num_nextn_predict_layers", 0, 0L);
        boolean tied = tied(false);
        m.word("embed", "embedding", "token embedding (embed_tokens)");
        String attention = directQueries ? "latent attention (queries straight from the input: q_lora_rank null)" : "latent attention";
        m.word("dense_layer", directQueries ? "deepseek_direct_q_dense_layer" : "deepseek_dense_layer", "the first layers: " + attention + ", then SwiGLU MLP");
        m.word("layer", directQueries ? "deepseek_direct_q_moe_layer" : "deepseek_moe_layer", attention + ", then routed and shared SwiGLU experts");
        m.word("head", tied ? "tied_lm_head" : "lm_head", tied ? "final norm; logits from embed_tokens (tie_word_embeddings)" : "final norm and lm_head");
        if (mtp != null && mtp > 0 && directQueries) {
            c.unsupported("num_nextn_predict_layers", "multi-token prediction with queries straight from the input (`q_lora_rank` null)",
                    "the stdlib's `deepseek_mtp` layer projects queries through q_lora_rank");
        } else if (mtp != null && mtp > 0) {
            m.set("mtp", mtp, "num_nextn_predict_layers (counted apart, not deployed)");
            m.word("mtp_layer", "deepseek_mtp", "enorm, hnorm, eh_proj, one more MoE layer, shared_head.norm");
        }
    }

    /**
     * Falcon (7B, 40B, 180B): attention and the MLP side by side on the same input (parallel_attn),
     * multi-query attention (7B) or grouped key/value heads (new_decoder_architecture, with a norm
     * for each side unless num_ln_in_parallel_attn is 1), LayerNorms with biases, a GELU MLP of
     * 4 x hidden (ffn_hidden_size when given), no other biases, the head tied to the embedding unless
     * tie_word_embeddings is false (FalconConfig leaves it to PretrainedConfig's default, true).
     */
    private void falcon() {
        Long vocab = c.count("vocab_size", 1);
        Long hidden = c.count("hidden_size", 1);
        Long heads = c.count("num_attention_heads", 1);
        Long layers = c.count("num_hidden_layers", 1);
        boolean newArchitecture = Boolean.TRUE.equals(c.flag("new_decoder_architecture", false));
        Boolean multiQuery = c.flag("multi_query", true);
        Boolean parallel = c.flag("parallel_attn", true);
        if (Boolean.TRUE.equals(c.flag("bias", false))) {
            c.unsupported("bias", "Falcon with biased linears (`bias` true, as in Falcon-RW)", null);
        }
        if (!newArchitecture && Boolean.FALSE.equals(parallel)) {
            c.unsupported("parallel_attn", "Falcon with attention and MLP in sequence (`parallel_attn` false)", "the stdlib's Falcon layers run them side by side");
        }
        Long kv;
        String kvSource;
        if (newArchitecture) {
            kv = c.count("num_kv_heads", 1, heads);
            kvSource = c.has("num_kv_heads") ? "num_kv_heads (new_decoder_architecture)" : "num_attention_heads (num_kv_heads absent)";
        } else if (Boolean.TRUE.equals(multiQuery)) {
            kv = 1L;
            kvSource = "multi_query " + (c.has("multi_query") ? c.raw("multi_query") : "absent: true, the default") + ": one key/value head";
        } else {
            kv = heads;
            kvSource = "num_attention_heads (multi_query false)";
        }
        if (hidden != null && heads != null && hidden % heads != 0) {
            c.contradiction("hidden_size", "num_attention_heads", "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
        if (heads != null && kv != null && heads % kv != 0) {
            c.contradiction("num_attention_heads", "num_kv_heads",
                    heads + " query heads (num_attention_heads) cannot be grouped over " + kv + " key/value heads (num_kv_heads)");
        }
        m.set("vocab", vocab, "vocab_size");
        m.set("hidden", hidden, "hidden_size");
        m.set("heads", heads, "num_attention_heads");
        m.set("kv_heads", kv, kvSource);
        m.set("head_dim", hidden != null && heads != null && hidden % heads == 0 ? hidden / heads : null, "hidden_size / num_attention_heads");
        m.set("layers", layers, "num_hidden_layers");
        if (c.has("ffn_hidden_size")) m.set("ffn", c.count("ffn_hidden_size", 1), "ffn_hidden_size");
        else m.set("ffn", hidden == null ? null : 4 * hidden, "4 x hidden_size (ffn_hidden_size absent)");
        m.word("norm", "layernorm", "LayerNorm (layer_norm_epsilon " + (c.has("layer_norm_epsilon") ? c.raw("layer_norm_epsilon") : "absent") + ")");
        act("activation", "gelu");
        Long norms = newArchitecture ? c.count("num_ln_in_parallel_attn", 1, 2L) : Long.valueOf(1);
        if (norms != null && norms != 1 && norms != 2) c.wrong("num_ln_in_parallel_attn", "1 or 2");
        boolean two = norms != null && norms == 2;
        boolean tied = tied(true);
        String tieSource = c.has("tie_word_embeddings") ? "tie_word_embeddings " + c.raw("tie_word_embeddings")
                : "tie_word_embeddings absent: true, the default";
        m.word("embed", "embedding", "token embedding (word_embeddings)");
        m.word("layer", two ? "falcon_layer_two_norms" : "falcon_layer",
                "attention and MLP side by side on " + (two ? "their own LayerNorms (ln_attn, ln_mlp)" : "one LayerNorm (input_layernorm)") + ", summed before the residual");
        m.word("head", tied ? "gpt2_head" : "layernorm_lm_head", (tied ? "final LayerNorm with its bias (ln_f); logits from word_embeddings"
                : "final LayerNorm with its bias (ln_f), then lm_head without a bias") + " (" + tieSource + ")");
    }

    /**
     * StarCoder2: GPT-2's layer (LayerNorms with biases, a bias on every linear, a GELU MLP) with
     * grouped key/value heads, and rotary positions (no weights) instead of learned ones.
     */
    private void starcoder2() {
        if (Boolean.FALSE.equals(c.flag("use_bias", true))) {
            c.unsupported("use_bias", "StarCoder2 without linear biases (`use_bias` false)", "the stdlib's `gpt2_layer` has a bias on every linear");
        }
        attention();
        slidingWindow(false);
        m.set("ffn", c.count("intermediate_size", 1), "intermediate_size");
        m.word("norm", "layernorm", "LayerNorm with a bias (norm_epsilon " + (c.has("norm_epsilon") ? c.raw("norm_epsilon") : "absent") + ")");
        act("hidden_act", "gelu_pytorch_tanh");
        boolean tied = tied(true);
        m.word("embed", "embedding", "token embedding (embed_tokens; rotary positions have no weights)");
        m.word("layer", "gpt2_layer", "input_layernorm, q/k/v/o_proj; post_attention_layernorm, c_fc, GELU, c_proj: every linear with a bias");
        m.word("head", tied ? "gpt2_head" : "layernorm_lm_head",
                tied ? "final LayerNorm with its bias; logits from embed_tokens (tied)" : "final LayerNorm with its bias, then lm_head");
    }

    /**
     * GPT-NeoX (Pythia, GPT-NeoX-20B): LayerNorms with biases, a bias on every linear, a GELU MLP,
     * attention and MLP side by side (use_parallel_residual, the default) or in sequence, an
     * untied output projection (embed_out) by default, rotary positions (no weights).
     */
    private void gptNeox() {
        if (Boolean.FALSE.equals(c.flag("attention_bias", true))) {
            c.unsupported("attention_bias", "GPT-NeoX without attention biases (`attention_bias` false)", "the stdlib's GPT-NeoX layers have a bias on every linear");
        }
        attention();
        m.set("ffn", c.count("intermediate_size", 1), "intermediate_size");
        m.word("norm", "layernorm", "LayerNorm with a bias (layer_norm_eps " + (c.has("layer_norm_eps") ? c.raw("layer_norm_eps") : "absent") + ")");
        act("hidden_act", "gelu");
        boolean parallel = !Boolean.FALSE.equals(c.flag("use_parallel_residual", true));
        boolean tied = tied(false);
        m.word("embed", "embedding", "token embedding (embed_in; rotary positions have no weights)");
        m.word("layer", parallel ? "neox_layer" : "gpt2_layer", parallel
                ? "attention and MLP side by side on their own LayerNorms (use_parallel_residual), every linear with a bias"
                : "attention, then MLP (use_parallel_residual false), every linear with a bias");
        m.word("head", tied ? "gpt2_head" : "layernorm_lm_head",
                tied ? "final LayerNorm with its bias; logits from embed_in (tied)" : "final LayerNorm with its bias, then embed_out");
    }

    /**
     * GPT-J (EleutherAI/gpt-j-6b): GPT-2's names (n_embd, n_head, n_layer), but attention and the
     * MLP side by side on one LayerNorm (ln_1), multi-head attention without biases (q, k, v and
     * out_proj), rotary positions on the first rotary_dim dimensions of each head (no weights, no
     * learned positions), a GELU MLP with biases (fc_in, fc_out) of n_inner or 4 x n_embd, and an
     * output projection of its own with a bias (lm_head), untied unless tie_word_embeddings says so.
     */
    private void gptj() {
        Long vocab = c.count("vocab_size", 1);
        Long hidden = c.count("n_embd", 1);
        Long heads = c.count("n_head", 1);
        Long layers = c.count("n_layer", 1);
        Long headDim = null;
        if (hidden != null && heads != null) {
            if (hidden % heads != 0) c.contradiction("n_embd", "n_head", "n_embd " + hidden + " is not a multiple of n_head " + heads);
            else headDim = hidden / heads;
        }
        String rotary;
        if (c.isNull("rotary_dim") || !c.has("rotary_dim")) {
            rotary = "every dimension of each head (rotary_dim " + (c.isNull("rotary_dim") ? "null" : "absent") + ")";
        } else {
            Long rotaryDim = c.count("rotary_dim", 1);
            if (rotaryDim != null && headDim != null && rotaryDim > headDim) {
                c.contradiction("n_embd", "rotary_dim", "rotary_dim " + rotaryDim + " exceeds the head's " + headDim + " dimensions (n_embd / n_head)");
            }
            rotary = "the first " + (rotaryDim == null ? "?" : rotaryDim) + " dimensions of each head's " + (headDim == null ? "?" : headDim) + " (rotary_dim)";
        }
        Long inner = c.count("n_inner", 1, hidden == null ? null : 4 * hidden);
        m.set("vocab", vocab, "vocab_size");
        m.set("hidden", hidden, "n_embd");
        m.set("heads", heads, "n_head (multi-head attention: a key/value head per query head)");
        m.set("head_dim", headDim, "n_embd / n_head");
        m.set("layers", layers, "n_layer");
        m.set("ffn", inner, c.has("n_inner") ? "n_inner" : "4 x n_embd (n_inner " + (c.isNull("n_inner") ? "null" : "absent") + ")");
        m.word("norm", "layernorm", "LayerNorm with a bias (layer_norm_epsilon " + (c.has("layer_norm_epsilon") ? c.raw("layer_norm_epsilon") : "1e-05, the default") + ")");
        act("activation_function", "gelu_new");
        if (tied(false)) {
            c.unsupported("tie_word_embeddings", "a GPT-J whose lm_head is tied to wte", "GPT-J's lm_head is a projection of its own, with a bias");
        }
        m.note("Rotary positions on " + rotary + " carry no weights.");
        m.word("embed", "embedding", "token embedding (wte; rotary positions have no weights)");
        m.word("layer", "gptj_layer", "attention and MLP side by side on one LayerNorm (ln_1): q/k/v/out_proj without biases, fc_in and fc_out with theirs");
        m.word("head", "gptj_head", "final LayerNorm with its bias (ln_f), then lm_head with its bias (tie_word_embeddings "
                + (c.has("tie_word_embeddings") ? c.raw("tie_word_embeddings") : "absent: false, the default") + ")");
    }

    private void gpt2() {
        Long vocab = c.count("vocab_size", 1);
        Long hidden = c.count("n_embd", 1);
        Long heads = c.count("n_head", 1);
        Long layers = c.count("n_layer", 1);
        String positionsField = c.has("n_positions") ? "n_positions" : "n_ctx";
        Long positions = c.count(positionsField, 1);
        if (c.has("n_positions") && c.has("n_ctx")) {
            Long ctx = c.count("n_ctx", 1);
            if (positions != null && ctx != null && !positions.equals(ctx)) {
                c.contradiction("n_positions", "n_ctx", "n_ctx " + ctx + " and n_positions " + positions + " disagree on the learned positions");
            }
        }
        Long headDim = null;
        if (hidden != null && heads != null) {
            if (hidden % heads != 0) c.contradiction("n_embd", "n_head", "n_embd " + hidden + " is not a multiple of n_head " + heads);
            else headDim = hidden / heads;
        }
        Long inner = c.count("n_inner", 1, hidden == null ? null : 4 * hidden);
        m.set("vocab", vocab, "vocab_size");
        m.set("hidden", hidden, "n_embd");
        m.set("heads", heads, "n_head");
        m.set("head_dim", headDim, "n_embd / n_head");
        m.set("layers", layers, "n_layer");
        m.set("ffn", inner, c.has("n_inner") ? "n_inner" : "4 x n_embd (n_inner absent or null)");
        m.set("positions", positions, positionsField + " (learned position embeddings, wpe)");
        m.word("norm", "layernorm", "LayerNorm with a bias (layer_norm_epsilon " + (c.has("layer_norm_epsilon") ? c.raw("layer_norm_epsilon") : "1e-05, the default") + ")");
        act("activation_function", "gelu_new");
        if (!tied(true)) {
            c.unsupported("tie_word_embeddings", "a GPT-2 whose lm_head is not tied to wte", "GPT-2's head is the token embedding's table");
        }
        m.word("embed", "gpt2_embedding", "wte + wpe");
        m.word("layer", "gpt2_layer", "ln_1, c_attn, c_proj; ln_2, c_fc, GELU, c_proj: every linear with a bias");
        m.word("head", "gpt2_head", "ln_f; logits from wte (tied)");
    }

    // ---- shared reading ----------------------------------------------------------------------

    /** vocab, hidden, heads, kv_heads, head_dim and layers of a llama-style config. */
    private void attention() {
        Long vocab = count("vocab_size");
        Long hidden = count("hidden_size");
        Long heads = count("num_attention_heads");
        Long layers = count("num_hidden_layers");
        Long kvDefault = defaults().getOrDefault("num_key_value_heads", heads);
        Long kv = c.count("num_key_value_heads", 1, kvDefault);
        Long headDim;
        String headDimSource;
        if (c.has("head_dim") || defaults().containsKey("head_dim")) {
            headDim = count("head_dim");
            headDimSource = from("head_dim");
        } else {
            headDimSource = "hidden_size / num_attention_heads";
            headDim = null;
            if (hidden != null && heads != null) {
                if (hidden % heads != 0) {
                    c.contradiction("hidden_size", "num_attention_heads",
                            "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads + ", and no head_dim is given");
                } else {
                    headDim = hidden / heads;
                }
            }
        }
        if (heads != null && kv != null && heads % kv != 0) {
            c.contradiction("num_attention_heads", "num_key_value_heads",
                    heads + " query heads (num_attention_heads) cannot be grouped over " + kv + " key/value heads (num_key_value_heads)");
        }
        m.set("vocab", vocab, from("vocab_size"));
        m.set("hidden", hidden, from("hidden_size"));
        m.set("heads", heads, from("num_attention_heads"));
        m.set("kv_heads", kv, c.has("num_key_value_heads") || defaults().containsKey("num_key_value_heads") ? from("num_key_value_heads")
                : "num_attention_heads (num_key_value_heads absent: one per query head)");
        m.set("head_dim", headDim, headDimSource);
        m.set("layers", layers, from("num_hidden_layers"));
    }

    /**
     * Hugging Face's defaults of the sizes a config may leave out, for the model_types whose
     * published configs do leave them out (Gemma 3's multimodal configs give only what differs
     * from Gemma3TextConfig's defaults); the other types need every size given.
     */
    private static final Map<String, Map<String, Long>> DEFAULTS = Map.of("gemma3_text", Map.of("vocab_size", 262_208L, "hidden_size", 2304L,
            "intermediate_size", 9216L, "num_hidden_layers", 26L, "num_attention_heads", 8L, "num_key_value_heads", 4L, "head_dim", 256L));

    private Map<String, Long> defaults() {
        return DEFAULTS.getOrDefault(type, Map.of());
    }

    /** A size: required, or Hugging Face's default for this model_type when it has one. */
    private Long count(String field) {
        Long d = defaults().get(field);
        return d == null ? c.count(field, 1) : c.count(field, 1, d);
    }

    /** Where a size came from, for its comment: the field, or the default it took. */
    private String from(String field) {
        Long d = defaults().get(field);
        return c.has(field) || d == null ? field : field + " absent: " + d + ", Hugging Face's default for " + type;
    }

    /** experts and top, and their consistency. */
    private void experts(String expertsField) {
        Long experts = c.count(expertsField, 1);
        Long top = c.count("num_experts_per_tok", 1);
        if (experts != null && top != null && top > experts) {
            c.contradiction(expertsField, "num_experts_per_tok", "num_experts_per_tok " + top + " routes to more than the " + experts + " experts (" + expertsField + ")");
        }
        m.set("experts", experts, expertsField);
        m.set("top", top, "num_experts_per_tok");
    }

    /** Mixtral's and MiniMax-M2's experts: every layer MoE, each expert intermediate_size wide (w1, w3, w2). */
    private void mixtralExperts() {
        Long ffn = c.count("intermediate_size", 1);
        m.set("ffn", ffn, "intermediate_size (no dense layers: this is each expert's width)");
        experts("num_local_experts");
        m.set("expert_ffn", ffn, "intermediate_size (w1, w3: gate and up; w2: down)");
    }

    /**
     * Qwen2-MoE's and Qwen3-MoE's experts, each moe_intermediate_size wide: every layer MoE, or
     * every decoder_sparse_step-th with the family's dense layer ({@code denseLayer}) between.
     */
    private void qwenExperts(String denseLayer, String denseWhat) {
        boolean interleaved = sparseEveryLayer();
        m.set("ffn", c.count("intermediate_size", 1), "intermediate_size (dense width" + (interleaved ? ")" : "; every layer is MoE here)"));
        experts("num_experts");
        m.set("expert_ffn", c.count("moe_intermediate_size", 1), "moe_intermediate_size");
        if (interleaved) m.word("dense_layer", denseLayer, "the layers between: " + denseWhat);
    }

    /**
     * Qwen MoE configs can make some layers dense: decoder_sparse_step N makes layers N-1, 2N-1, ...
     * MoE ({@code moe_every N}, the others dense MLPs of intermediate_size); mlp_only_layers, a list
     * of any layers, the language does not express.
     */
    private boolean sparseEveryLayer() {
        Long step = c.count("decoder_sparse_step", 1, 1L);
        boolean interleaved = step != null && step > 1;
        if (interleaved) m.set("moe_every", step, "decoder_sparse_step (layers " + (step - 1) + ", " + (2 * step - 1) + ", ... MoE; the others dense)");
        Integer dense = c.listSize("mlp_only_layers");
        if (dense != null && dense > 0) {
            c.unsupported("mlp_only_layers", "dense layers among the MoE layers (mlp_only_layers)",
                    "the language has dense layers first, then MoE on every N-th layer (`moe_every`, decoder_sparse_step)");
        }
        return interleaved;
    }

    /**
     * Sliding-window attention bounds what each token attends to, and so the KV cache, to the last
     * W tokens; it changes no weight. The language has full attention only, so an active window
     * is a warning (W0608) and a line in the written file, never silence: up to W tokens every
     * figure is exact, beyond them attention and the KV cache are upper bounds. Mistral's window
     * is on unless {@code sliding_window} is null (Hugging Face's default is 4096), and so are
     * Gemma 2's, on every other layer, and Gemma 3's, on 5 layers of 6; Qwen's only with {@code use_sliding_window} (default 4096
     * too); Mixtral's, Phi-3's and StarCoder2's only when given; Llama, Gemma, OLMoE, DeepSeek,
     * Falcon, GPT-J and GPT-2 have none.
     */
    private void slidingWindow(boolean gatedByUseFlag) {
        if (gatedByUseFlag && !Boolean.TRUE.equals(c.flag("use_sliding_window", false))) return;
        if (c.isNull("sliding_window")) return;
        boolean given = c.has("sliding_window");
        String type = c.text("model_type");
        boolean onByDefault = "mistral".equals(type) || "gemma2".equals(type) || "gemma3_text".equals(type);
        if (!given && !gatedByUseFlag && !onByDefault) return;
        Long window = given ? c.count("sliding_window", 1) : Long.valueOf(4096);
        if (window == null) return;
        String field = given ? "sliding_window" : gatedByUseFlag ? "use_sliding_window" : "model_type";
        String what = "sliding-window attention (" + window + " tokens" + (given ? "" : ", Hugging Face's default for " + type) + ")";
        c.notModelled(field, what, "figures are exact for sequences of up to " + window + " tokens; for longer ones, attention FLOPs and time and"
                + " the KV cache are upper bounds" + (gatedByUseFlag ? " (on the layers from max_window_layers on)"
                : "gemma2".equals(type) ? " (on every other layer)" : "gemma3_text".equals(type) ? " (on the local layers, 5 of every 6)" : ""));
        m.note("Not modelled: " + what + ". Attention spans the whole sequence:");
        m.note("exact up to " + window + " tokens, an upper bound beyond.");
    }

    private void noBiases(String type) {
        if (Boolean.TRUE.equals(c.flag("attention_bias", false))) {
            c.unsupported("attention_bias", "attention biases for model_type " + type, "Qwen2's biased q, k, v are supported as model_type qwen2");
        }
        if (Boolean.TRUE.equals(c.flag("mlp_bias", false))) {
            c.unsupported("mlp_bias", "MLP biases for model_type " + type, null);
        }
    }

    private void rmsnorm() {
        m.word("norm", "rmsnorm", "RMSNorm (rms_norm_eps " + (c.has("rms_norm_eps") ? c.raw("rms_norm_eps") : "absent") + ")");
    }

    private void act(String field, String dflt) {
        String a = c.text(field, dflt);
        if (a == null) return;
        String act = switch (a) {
            case "silu", "swish" -> "silu";
            case "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_python" -> "gelu";
            case "relu" -> "relu";
            default -> null;
        };
        if (act == null) {
            c.wrong(field, "one of silu, swish, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, gelu_python, relu");
            return;
        }
        m.word("act", act, c.has(field) ? field + " " + a : field + " absent: " + dflt + ", the default");
    }

    private boolean tied(boolean dflt) {
        Boolean t = c.flag("tie_word_embeddings", dflt);
        return t != null && t;
    }

    /** embed, layer and head of a family whose layers are all alike. */
    private void blocks(String layer, String what, boolean tiedDefault) {
        boolean tied = tied(tiedDefault);
        String tieSource = c.has("tie_word_embeddings") ? "tie_word_embeddings " + c.raw("tie_word_embeddings")
                : "tie_word_embeddings absent: " + tiedDefault + ", the default";
        m.word("embed", "embedding", "token embedding (embed_tokens)");
        m.word("layer", layer, what);
        m.word("head", tied ? "tied_lm_head" : "lm_head", (tied ? "final norm; logits from embed_tokens" : "final norm and lm_head") + " (" + tieSource + ")");
    }
}
