package pdagc.verify;

/**
 * What the evaluator holds for one node on one GPU: a dense tensor, or tokens bucketed by expert.
 * Public so that runtimes outside this package (the threaded reference runtime) can hold values
 * and hand them to {@link Semantics}; their contents stay private to the evaluator.
 */
public sealed interface Value permits Tensor, Buckets {
    String describe();
}
