package pdagc.sem;

/**
 * How an engine runs the plan's kernels, which the kernel model costs (it does not change the plan):
 * {@code fused}: attention is one fused kernel (FlashAttention: the causal half of the score
 * square, no score matrix in HBM) and elementwise ops run in their neighbours' prologues and
 * epilogues; otherwise every op of the IR is its own kernel. {@code cudaGraphs}: kernels are
 * replayed from a captured graph (serving engines do this for decode steps), so the host's launch
 * interval does not bound short kernels.
 */
public record Execution(boolean fused, boolean cudaGraphs) {
    /** What serving engines do by default for a phase: fused kernels; CUDA graphs for decode only. */
    public static Execution defaults(Phase phase) {
        return new Execution(true, phase == Phase.DECODE);
    }
}
