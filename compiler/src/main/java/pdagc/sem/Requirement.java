package pdagc.sem;

import pdagc.source.Span;

/** {@code require memory <= 64 GB per gpu}: a metric, a comparison and a limit in base units. */
public record Requirement(String metric, String comparison, double limit, String limitText, Span span) {

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
