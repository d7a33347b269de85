package pdagc.sem;

import pdagc.source.Span;

/** {@code require memory <= 64 GB per gpu}: a metric, a comparison and a limit in base units. */
public record Requirement(String metric, String comparison, double limit, String limitText, Span span) {

    /**
     * The metrics a clause may name: the largest memory per GPU, time to first token, time per
     * output token, latency, throughput, and the 99th percentiles over the requests of the first
     * two (serving SLOs).
     */
    public static final java.util.List<String> METRICS = java.util.List.of("memory", "ttft", "tpot", "latency", "throughput", "ttft_p99", "tpot_p99");

    public boolean holds(double value) {
        return switch (comparison) {
            case "<=" -> value <= limit;
            case "<" -> value < limit;
            case ">=" -> value >= limit;
            case ">" -> value > limit;
            case "==" -> value == limit;
            default -> throw new IllegalStateException("grammar and requirement disagree on " + comparison);
        };
    }
}
