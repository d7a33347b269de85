package pdagc.ir;

/**
 * The element types of a plan's parts: {@code dtype}, the workload's, for every op but the expert
 * products ({@link Op.ExpertLinear}), which run in {@code experts}. An engine may keep the experts
 * in another precision than the rest of the model (TensorRT-LLM 0.9.0's fp8 builds ran Mixtral's
 * experts in 16 bits; DeepSeek's serving runs fp8 products with attention in bf16). A uniform plan
 * has {@code experts == dtype}.
 *
 * <p>An op's type sets the bytes of its weights and the tensor rate and microbenchmarks of its
 * products; its activation size ({@link DType#activationBytes()}) is the size of the values it
 * writes.
 */
public record Precision(DType dtype, DType experts) {

    public Precision {
        java.util.Objects.requireNonNull(dtype, "dtype");
        java.util.Objects.requireNonNull(experts, "experts");
    }

    /** Every part in {@code dtype}. */
    public static Precision uniform(DType dtype) {
        return new Precision(dtype, dtype);
    }

    /** The element type {@code op} runs in. */
    public DType dtypeOf(Op op) {
        return op instanceof Op.ExpertLinear ? experts : dtype;
    }

    /** Whether some part differs from the workload's type. */
    public boolean mixed() {
        return experts != dtype;
    }

    /** {@code fp8}, or {@code fp8 (experts fp16)} where the experts differ: as the report shows it. */
    public String text() {
        return mixed() ? dtype.keyword() + " (experts " + experts.keyword() + ")" : dtype.keyword();
    }
}
