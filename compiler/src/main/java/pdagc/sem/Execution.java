package pdagc.sem;

/**
 * How an engine runs the plan's kernels, which the kernel model costs (it does not change the plan):
 * {@code fused}: attention is one fused kernel (FlashAttention: the causal half of the score
 * square, no score matrix in HBM) and elementwise ops run in their neighbours' prologues and
 * epilogues; otherwise every op of the IR is its own kernel. {@code cudaGraphs}: kernels are
 * replayed from a captured graph (serving engines do this for decode steps), so the host's launch
 * interval does not bound short kernels ({@code graphsGiven}: the workload said so, rather than
 * the phase's default).
 */
public record Execution(boolean fused, boolean cudaGraphs, boolean graphsGiven) {
    /** What serving engines do by default for a phase: CUDA graphs for decode only. */
    public static Execution of(boolean fused, Boolean cudaGraphs, Phase phase) {
        return new Execution(fused, cudaGraphs != null ? cudaGraphs : phase == Phase.DECODE, cudaGraphs != null);
    }

    /** The same for a step of {@code phase}: CUDA graphs as given, else the phase's default. */
    public Execution forPhase(Phase phase) {
        return graphsGiven ? this : new Execution(fused, phase == Phase.DECODE, false);
    }
}
