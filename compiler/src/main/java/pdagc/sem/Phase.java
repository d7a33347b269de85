package pdagc.sem;

/**
 * What the workload runs: the whole prompt (prefill), one new token against a KV cache (decode),
 * or a training step (forward, loss, backward and the optimizer step over the global batch).
 */
public enum Phase {
    PREFILL,
    DECODE,
    TRAIN;

    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
