package pdagc.verify;

/** What the evaluator holds for one node on one GPU: a dense tensor, or tokens bucketed by expert. */
sealed interface Value permits Tensor, Buckets {
    String describe();
}
