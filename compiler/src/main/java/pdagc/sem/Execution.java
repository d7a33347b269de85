package pdagc.sem;

/**
 * How an engine runs the plan's kernels, which the kernel model costs (it does not change the plan):
 * {@code fused}: attention is one fused kernel (FlashAttention: the causal half of the score
 * square, no score matrix in HBM) and elementwise ops run in their neighbours' prologues and
 * epilogues; otherwise every op of the IR is its own kernel. {@code cudaGraphs}: kernels are
 * replayed from a captured graph (serving engines do this for decode steps), so the host's launch
 * interval does not bound short kernels ({@code graphsGiven}: the workload said so, rather than
 * the phase's default). {@code fusedAttention}: with {@code fused}, whether attention is the one
 * FlashAttention kernel; {@code kernels unfused_attention} runs
 * the kernels Megatron-LM ran before FlashAttention: a batched product for the scores (the scale in
 * its epilogue), a softmax kernel, a dropout kernel for the probabilities and a batched product for
 * the weighted sum, each over the full score square with its traffic, and each chain of elementwise
 * ops one fused kernel of its own (bias-GeLU, bias-dropout-add: {@code KernelModel.elementwiseTraffic}).
 * {@code kvPerQueryHead} ({@code decode_attention per_query_head}): the decode attention kernel
 * gives every query head a thread block of its own that streams its key/value head (the masked
 * multi-head attention kernels of TensorRT-LLM before its grouped-query XQA kernels), so a group of
 * query heads reads its key/value head once per query head, HBM delivering it once and the L2 cache
 * the rest ({@code GpuSpec.l2ShareOfHbm}); otherwise
 * ({@code decode_attention grouped}, the default: FlashAttention, FlashInfer, XQA) once per group.
 * The KV cache holds the key/value heads either way.
 * {@code routing} ({@code routing balanced|identical|power_law}): how a step's tokens route over
 * the experts: spread evenly ({@link Routing#BALANCED}, the plan's assumption and the default); all
 * to the same top-k experts ({@link Routing#IDENTICAL}, as when a benchmark feeds one token id
 * repeated); or skewed as real routers are ({@link Routing#POWER_LAW}: expert loads drawn from a
 * power law of exponent 1.2, the distribution aiconfigurator assumes for Mixtral-class MoE models
 * and times TensorRT-LLM's fused MoE layers under). Only the cost of the expert products follows it
 * ({@code analysis.ExpertActivity}, {@code analysis.Calibration#moeEfficiency}); the plan's shapes
 * are the balanced expectation either way.
 * {@code sm80Experts} ({@code expert_kernels sm80}): the engine runs the experts' grouped products
 * on kernels built for SM 80 (Ampere's warp-level {@code mma.sync}) whatever the GPU, as
 * TensorRT-LLM 0.9 does on Hopper ({@code MoeGemmRunner::dispatchToArch} sends SM 90 to its
 * {@code cutlass::arch::Sm80} kernels); those products then run at the GPU's SM 80 rate
 * ({@link GpuSpec#sm80PeakFlops}). Otherwise ({@code expert_kernels native}, the default) on the
 * GPU's own kernels.
 */
public record Execution(boolean fused, boolean cudaGraphs, boolean graphsGiven, boolean fusedAttention, boolean kvPerQueryHead,
        Routing routing, boolean sm80Experts) {

    /** How a step's tokens route over the experts; {@link #keyword} is the word a workload's {@code routing} takes. */
    public enum Routing {
        /** Spread as evenly as they can be (the plan's assumption). */
        BALANCED("balanced"),
        /** Every token to the same top-k experts. */
        IDENTICAL("identical"),
        /** Expert loads skewed as a power law of exponent 1.2 (aiconfigurator's assumption for Mixtral-class models). */
        POWER_LAW("power_law");

        private final String keyword;

        Routing(String keyword) {
            this.keyword = keyword;
        }

        public String keyword() {
            return keyword;
        }

        /** The routing a {@code routing} keyword names. */
        public static Routing of(String keyword) {
            for (Routing r : values()) if (r.keyword.equals(keyword)) return r;
            throw new IllegalArgumentException("no routing " + keyword);
        }

        /** The keywords, in declaration order. */
        public static java.util.List<String> keywords() {
            return java.util.Arrays.stream(values()).map(Routing::keyword).toList();
        }
    }

    public Execution {
        java.util.Objects.requireNonNull(routing, "routing");
    }

    /** The experts on the GPU's own kernels. */
    public Execution(boolean fused, boolean cudaGraphs, boolean graphsGiven, boolean fusedAttention, boolean kvPerQueryHead, Routing routing) {
        this(fused, cudaGraphs, graphsGiven, fusedAttention, kvPerQueryHead, routing, false);
    }

    /** Experts routed to evenly. */
    public Execution(boolean fused, boolean cudaGraphs, boolean graphsGiven, boolean fusedAttention, boolean kvPerQueryHead) {
        this(fused, cudaGraphs, graphsGiven, fusedAttention, kvPerQueryHead, Routing.BALANCED);
    }

    /** Attention fused with the elementwise ops ({@code kernels fused}), or nothing fused. */
    public Execution(boolean fused, boolean cudaGraphs, boolean graphsGiven) {
        this(fused, cudaGraphs, graphsGiven, fused, false);
    }

    /** Decode attention reading each key/value head once per group of query heads. */
    public Execution(boolean fused, boolean cudaGraphs, boolean graphsGiven, boolean fusedAttention) {
        this(fused, cudaGraphs, graphsGiven, fusedAttention, false);
    }

    /** What serving engines do by default for a phase: CUDA graphs for decode only. */
    public static Execution of(boolean fused, Boolean cudaGraphs, Phase phase) {
        return of(fused, fused, cudaGraphs, phase);
    }

    /** {@link #of(boolean, Boolean, Phase)}, attention fused or not apart from the elementwise ops. */
    public static Execution of(boolean fused, boolean fusedAttention, Boolean cudaGraphs, Phase phase) {
        return new Execution(fused, cudaGraphs != null ? cudaGraphs : phase == Phase.DECODE, cudaGraphs != null, fused && fusedAttention);
    }

    /** The same for a step of {@code phase}: CUDA graphs as given, else the phase's default. */
    public Execution forPhase(Phase phase) {
        return graphsGiven ? this : new Execution(fused, phase == Phase.DECODE, false, fusedAttention, kvPerQueryHead, routing, sm80Experts);
    }

    /** The same, decode attention reading key/value heads once per query head or once per group. */
    public Execution withKvPerQueryHead(boolean perQueryHead) {
        return new Execution(fused, cudaGraphs, graphsGiven, fusedAttention, perQueryHead, routing, sm80Experts);
    }

    /** The same, the tokens routed as {@code routing} says. */
    public Execution withRouting(Routing routing) {
        return new Execution(fused, cudaGraphs, graphsGiven, fusedAttention, kvPerQueryHead, routing, sm80Experts);
    }

    /** The same, the experts' products on kernels built for SM 80 or on the GPU's own. */
    public Execution withSm80Experts(boolean sm80) {
        return new Execution(fused, cudaGraphs, graphsGiven, fusedAttention, kvPerQueryHead, routing, sm80);
    }

    /** The {@code expert_kernels} keyword: native or sm80. */
    public String expertKernelsKeyword() {
        return sm80Experts ? "sm80" : "native";
    }

    /** The {@code decode_attention} keyword: grouped or per_query_head. */
    public String decodeAttentionKeyword() {
        return kvPerQueryHead ? "per_query_head" : "grouped";
    }

    /** The {@code kernels} keyword: fused, unfused or unfused_attention. */
    public String kernelsKeyword() {
        return !fused ? "unfused" : fusedAttention ? "fused" : "unfused_attention";
    }
}
