package pdagc.units;

/** What a quantity measures; each has one base unit in which pdagc computes. */
public enum Dimension {
    COUNT("a plain number"),
    BYTES("bytes"),
    SECONDS("time"),
    BYTES_PER_SECOND("bandwidth"),
    FLOPS_PER_SECOND("compute rate"),
    TOKENS_PER_SECOND("throughput"),
    REQUESTS_PER_SECOND("request rate");

    private final String description;

    Dimension(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
