package pdagc.sem;

import java.util.Map;
import pdagc.source.Span;

/**
 * A transformer model: its integer hyper-parameters (visible by name inside blocks), its norm and
 * activation, and the blocks that build the embedding, each layer and the head. {@code mtpLayer}
 * is the block of a multi-token-prediction module (null when the model has none); such modules
 * are counted by {@code pdagc stats} but are not part of a deployment's plan. {@code dropout} is
 * the probability that the {@code dropout} operation of its blocks drops an element in a training
 * step (0: none; serving never drops).
 */
public record ModelSpec(
        String name,
        Map<String, Long> params,
        String norm,
        String act,
        BlockRef embed,
        BlockRef layer,
        BlockRef denseLayer,
        BlockRef head,
        Map<String, Span> spans,
        Span span,
        BlockRef mtpLayer,
        double dropout) {

    /** A model without dropout. */
    public ModelSpec(String name, Map<String, Long> params, String norm, String act, BlockRef embed, BlockRef layer, BlockRef denseLayer,
            BlockRef head, Map<String, Span> spans, Span span, BlockRef mtpLayer) {
        this(name, params, norm, act, embed, layer, denseLayer, head, spans, span, mtpLayer, 0);
    }

    /** A model without multi-token-prediction modules. */
    public ModelSpec(String name, Map<String, Long> params, String norm, String act, BlockRef embed, BlockRef layer, BlockRef denseLayer,
            BlockRef head, Map<String, Span> spans, Span span) {
        this(name, params, norm, act, embed, layer, denseLayer, head, spans, span, null);
    }

    public long param(String key) {
        Long v = params.get(key);
        if (v == null) throw new IllegalStateException("model parameter " + key + " was not elaborated");
        return v;
    }

    public long layers() {
        return param("layers");
    }

    public long experts() {
        return param("experts");
    }

    public long firstDense() {
        return param("first_dense");
    }

    /**
     * After the first {@link #firstDense} layers, every this many layers one is MoE (the others
     * dense): transformers' Llama 4 {@code interleave_moe_layer_step} and Qwen-MoE
     * {@code decoder_sparse_step}. 1: every layer after the dense ones.
     */
    public long moeEvery() {
        return params.getOrDefault("moe_every", 1L);
    }

    /**
     * Whether layer {@code i} (from 0) runs {@code dense_layer}: one of the first {@link #firstDense}, or,
     * with {@code moe_every N}, one whose number from 1 is not a multiple of N (layers N-1, 2N-1, ...
     * are MoE, as transformers numbers them).
     */
    public boolean isDenseLayer(long i) {
        return i < firstDense() || (i + 1) % moeEvery() != 0;
    }

    /** The layers that run the MoE block ({@code layer}) of a model with experts: those {@link #isDenseLayer} leaves. */
    public long moeLayers() {
        if (!isMoe()) return 0;
        long n = 0;
        for (long i = 0; i < layers(); i++) if (!isDenseLayer(i)) n++;
        return n;
    }

    /** Multi-token-prediction modules beside the main model (DeepSeek-V3's {@code num_nextn_predict_layers}). */
    public long mtp() {
        return params.getOrDefault("mtp", 0L);
    }

    public boolean isMoe() {
        return experts() > 0;
    }

    public Span spanOf(String property) {
        return spans.getOrDefault(property, span);
    }
}
