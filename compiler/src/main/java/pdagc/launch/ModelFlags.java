package pdagc.launch;

import java.util.List;
import java.util.Map;
import pdagc.diag.Diags;
import pdagc.diag.Diagnostics;
import pdagc.launch.MegatronLaunch.Flag;
import pdagc.sem.Deployment;
import pdagc.sem.ModelSpec;

/**
 * A model's sizes and architecture as Megatron-LM's GPT flags. pdagc's models are made of stdlib
 * blocks; the ones Megatron's GPT builds exactly (weights, biases, norms, dropout places) are:
 * <ul>
 *   <li>{@code gated_dense_layer} / {@code gated_moe_layer} (Llama, Mixtral): RMSNorm, SwiGLU, no
 *       linear biases, no dropout; positions by RoPE, which has no weights (pdagc does not model it);
 *   <li>{@code gpt2_layer} (GPT-2/GPT-3): LayerNorm with bias, GELU, biases on every linear, one
 *       dropout rate for attention and hidden states; learned positions with {@code gpt2_embedding}.
 * </ul>
 * Heads: {@code lm_head} and {@code layernorm_lm_head} are untied, {@code tied_lm_head} and
 * {@code gpt2_head} tied to the embedding. Any other block is error E0701.
 */
final class ModelFlags {
    private ModelFlags() {}

    static final List<String> LAYERS = List.of("gated_dense_layer", "gated_moe_layer", "gpt2_layer");

    /** The head blocks, and whether each is untied from the embedding, per layer family. */
    static final Map<String, Map<String, Boolean>> HEADS = Map.of(
            "gated", Map.of("lm_head", true, "tied_lm_head", false),
            "gpt2", Map.of("layernorm_lm_head", true, "gpt2_head", false));

    static void megatron(Deployment d, List<Flag> flags, Diagnostics diagnostics) {
        ModelSpec m = d.model();
        String target = MegatronLaunch.TARGET;
        String layer = m.layer().name();
        if (!LAYERS.contains(layer)) {
            diagnostics.add(Diags.launchCannotExpress(m.spanOf("layer"), target, "layer block `" + layer + "`",
                    "a layer Megatron-LM's GPT model does not build exactly",
                    "the layers with Megatron-LM flags are " + String.join(", ", LAYERS)));
            return;
        }
        boolean gated = !layer.equals("gpt2_layer");
        String head = m.head().name();
        Boolean untied = HEADS.get(gated ? "gated" : "gpt2").get(head);
        if (untied == null) {
            diagnostics.add(Diags.launchCannotExpress(m.spanOf("head"), target, "head block `" + head + "` with layer `" + layer + "`",
                    "not the head Megatron-LM builds for these layers",
                    "use " + String.join(" or ", HEADS.get(gated ? "gated" : "gpt2").keySet().stream().sorted().toList())));
        }
        String embed = m.embed().name();
        long positions = m.params().getOrDefault("positions", 0L);
        boolean learned = embed.equals("gpt2_embedding");
        if (!embed.equals("embedding") && !(learned && !gated)) {
            diagnostics.add(Diags.launchCannotExpress(m.spanOf("embed"), target, "embedding block `" + embed + "` with layer `" + layer + "`",
                    "not an embedding Megatron-LM builds for these layers", gated ? "use `embedding`" : "use `embedding` or `gpt2_embedding`"));
        }
        String wantNorm = gated ? "rmsnorm" : "layernorm";
        String wantAct = gated ? "silu" : "gelu";
        if (!m.norm().equals(wantNorm)) {
            diagnostics.add(Diags.launchCannotExpress(m.spanOf("norm"), target, "norm `" + m.norm() + "` with layer `" + layer + "`",
                    "Megatron-LM's " + (gated ? "LayerNorm has a bias that this layer's norm lacks" : "RMSNorm has no bias that this layer's norm has"),
                    "write `norm " + wantNorm + "`"));
        }
        if (!m.act().equals(wantAct)) {
            diagnostics.add(Diags.launchCannotExpress(m.spanOf("act"), target, "activation `" + m.act() + "` with layer `" + layer + "`",
                    gated ? "Megatron-LM's --swiglu is SiLU-gated" : "Megatron-LM's non-gated MLP is GELU", "write `act " + wantAct + "`"));
        }
        if (gated && m.dropout() > 0) {
            diagnostics.add(Diags.launchCannotExpress(m.spanOf("dropout"), target, "dropout with layer `" + layer + "`",
                    "this layer's MLP does not drop; Megatron-LM drops every residual branch at --hidden-dropout", "write `dropout 0`"));
        }
        if (m.isMoe()) {
            if (!layer.equals("gated_moe_layer")) {
                diagnostics.add(Diags.launchCannotExpress(m.spanOf("layer"), target, "experts in layer `" + layer + "`",
                        "only gated_moe_layer is mapped to Megatron-LM's MoE", "use `layer gated_moe_layer`"));
            }
            if (m.firstDense() > 0 || m.moeEvery() > 1 || m.params().getOrDefault("shared_ffn", 0L) > 0) {
                diagnostics.add(Diags.launchCannotExpress(m.spanOf(m.firstDense() > 0 ? "first_dense" : m.moeEvery() > 1 ? "moe_every" : "shared_ffn"), target,
                        "dense first layers, dense layers between MoE layers or shared experts", "not mapped to --moe-layer-freq or --moe-shared-expert-intermediate-size yet",
                        "every layer routed, no shared experts"));
            }
        } else if (layer.equals("gated_moe_layer")) {
            diagnostics.add(Diags.launchCannotExpress(m.spanOf("layer"), target, "`gated_moe_layer` without experts", "no `experts`", "give `experts` and `top`"));
        }
        long hidden = m.param("hidden");
        long heads = m.param("heads");
        long kv = m.param("kv_heads");
        long headDim = m.param("head_dim");
        long vocab = m.param("vocab");
        flags.add(new Flag("--num-layers", Long.toString(m.layers())));
        flags.add(new Flag("--hidden-size", Long.toString(hidden)));
        flags.add(new Flag("--ffn-hidden-size", Long.toString(m.param("ffn"))));
        flags.add(new Flag("--num-attention-heads", Long.toString(heads)));
        if (headDim * heads != hidden) flags.add(new Flag("--kv-channels", Long.toString(headDim)));
        if (kv != heads) {
            flags.add(new Flag("--group-query-attention", null));
            flags.add(new Flag("--num-query-groups", Long.toString(kv)));
        }
        long seq = d.workload().seq();
        flags.add(new Flag("--seq-length", Long.toString(seq)));
        flags.add(new Flag("--max-position-embeddings", Long.toString(learned ? positions : seq)));
        flags.add(new Flag("--position-embedding-type", learned ? "learned_absolute" : gated ? "rope" : "none"));
        // The vocabulary: NullTokenizer's size is --vocab-size + 1 (its end-of-document token), padded to a multiple of
        // --make-vocab-size-divisible-by x tp, which is the model's vocabulary when that is 1 (tp divides it in every plan).
        flags.add(new Flag("--tokenizer-type", "NullTokenizer"));
        flags.add(new Flag("--vocab-size", Long.toString(vocab - 1)));
        flags.add(new Flag("--make-vocab-size-divisible-by", "1"));
        flags.add(new Flag("--normalization", gated ? "RMSNorm" : "LayerNorm"));
        if (gated) {
            flags.add(new Flag("--swiglu", null));
            flags.add(new Flag("--disable-bias-linear", null));
        }
        if (Boolean.TRUE.equals(untied)) flags.add(new Flag("--untie-embeddings-and-output-weights", null));
        String rate = LaunchText.decimal(m.dropout());
        flags.add(new Flag("--attention-dropout", rate));
        flags.add(new Flag("--hidden-dropout", rate));
        if (!gated && !learned && m.dropout() > 0) {
            diagnostics.add(Diags.launchEmbeddingDropout(m.spanOf("embed"), target, rate));
        }
        if (m.isMoe()) {
            flags.add(new Flag("--num-experts", Long.toString(m.experts())));
            flags.add(new Flag("--moe-router-topk", Long.toString(m.param("top"))));
            flags.add(new Flag("--moe-ffn-hidden-size", Long.toString(m.param("expert_ffn"))));
            // pdagc's router: softmax over the top-k, no auxiliary loss; its dispatch is an all-to-all over ep.
            flags.add(new Flag("--moe-router-load-balancing-type", "none"));
            flags.add(new Flag("--moe-token-dispatcher-type", "alltoall"));
        }
    }

}
