package pdagc.sem;

import java.util.Map;
import pdagc.source.Span;

/**
 * A transformer model: its integer hyper-parameters (visible by name inside blocks), its norm and
 * activation, and the blocks that build the embedding, each layer and the head.
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
        Span span) {

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

    public boolean isMoe() {
        return experts() > 0;
    }

    public Span spanOf(String property) {
        return spans.getOrDefault(property, span);
    }
}
