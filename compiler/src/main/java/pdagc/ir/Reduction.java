package pdagc.ir;

/**
 * How the partial values of a value held over some mesh axes combine into the whole, and so what
 * an all-reduce over those axes computes: their sum (a row-parallel product's partial sums) or
 * their maximum (a vocabulary-parallel cross-entropy's largest logit, each rank's over its own
 * columns; NCCL's {@code ncclMax}).
 */
public enum Reduction {
    SUM("sum"),
    MAX("max");

    private final String text;

    Reduction(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    /** The reduction of two partial values. */
    public double apply(double a, double b) {
        return this == SUM ? a + b : Math.max(a, b);
    }
}
