package pdagc.ir;

/**
 * An elementwise function of one tensor, whole in one definition: the name that blocks call it by
 * and the IR text prints, its cost (FLOPs per element, for the cost model) and its kernel (what
 * {@code verify} computes). Its sharding rule is the elementwise one (any split of the input,
 * partial sums reduced first: a nonlinear function of a partial sum is not a partial sum), so
 * a new function needs nothing else: {@link UnaryFn} defines the built-in ones and an
 * {@link OpSet} adds others.
 */
public interface Elementwise {
    /** The name in the language and the IR text. */
    String text();

    /** FLOPs per element as the cost model counts them. */
    long flopsPerElement();

    /** The function on one element (the reference evaluator's kernel). */
    double apply(double x);

    /** Whether {@link #slope} is defined: the function's gradient rule (training needs it). */
    default boolean derivative() {
        return false;
    }

    /** The derivative at {@code x} (the backward kernel: the input's gradient is the output's times this). */
    default double slope(double x) {
        throw new UnsupportedOperationException(text() + " has no derivative");
    }
}
