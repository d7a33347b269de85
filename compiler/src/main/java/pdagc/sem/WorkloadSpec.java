package pdagc.sem;

import java.util.Map;
import pdagc.ir.DType;
import pdagc.source.Span;

/**
 * What runs: {@code batch} sequences; prefill runs {@code seq} tokens each, decode runs one new
 * token each against a KV cache of {@code context} tokens. {@code execution}: how the engine runs
 * the kernels (fusion, CUDA graphs), for the cost model.
 */
public record WorkloadSpec(
        String name, long batch, long seq, Phase phase, long context, DType dtype, Execution execution, Map<String, Span> spans, Span span) {

    /** Tokens per sequence that one forward step processes. */
    public long stepTokens() {
        return phase == Phase.PREFILL ? seq : 1;
    }
}
