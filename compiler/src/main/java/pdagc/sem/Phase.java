package pdagc.sem;

/** What the workload runs: the whole prompt (prefill) or one new token against a KV cache (decode). */
public enum Phase {
    PREFILL,
    DECODE;

    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
