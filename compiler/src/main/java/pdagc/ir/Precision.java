package pdagc.ir;

/**
 * The element types of a plan's parts: {@code dtype}, the workload's, for every op but the expert
 * products ({@link Op.ExpertLinear}), which run in {@code experts}, and the ops of the model's
 * embedding and head blocks (the vocabulary's tables and the logits' product), which run in
 * {@code vocabulary}. An engine may keep the experts in another precision than the rest of the
 * model (TensorRT-LLM 0.9.0's fp8 builds ran Mixtral's experts in 16 bits; DeepSeek's serving runs
 * fp8 products with attention in bf16). A workload that names no part has its experts in
 * {@code dtype} and its vocabulary's parts in their default type.
 *
 * <p>Fp8 engines quantize the transformer's linear layers and keep the vocabulary's parts in 16
 * bits: an embedding is a table lookup, not a product, and quantizers leave the output projection
 * out ({@code exclude_modules: ["lm_head"]} in the FP8 checkpoints NVIDIA's Model Optimizer
 * exports); so {@code vocabulary} is bf16 under an fp8 {@code dtype} unless given
 * ({@link #vocabularyDefault}), and {@code dtype} otherwise.
 *
 * <p>An op's type sets the bytes of its weights and the tensor rate and microbenchmarks of its
 * products; its activation size ({@link DType#activationBytes()}) is the size of the values it
 * writes.
 */
public record Precision(DType dtype, DType experts, DType vocabulary) {

    /** The names the lowering calls the model's embedding and head blocks by: their ops' names start with them and a dot. */
    public static final String EMBEDDING_BLOCK = "embed", HEAD_BLOCK = "head";

    public Precision {
        java.util.Objects.requireNonNull(dtype, "dtype");
        java.util.Objects.requireNonNull(experts, "experts");
        java.util.Objects.requireNonNull(vocabulary, "vocabulary");
    }

    /** {@code dtype}, the experts in {@code experts}, the vocabulary's parts in their default type. */
    public Precision(DType dtype, DType experts) {
        this(dtype, experts, vocabularyDefault(dtype));
    }

    /** Every part in {@code dtype} but the vocabulary's, in their default type. */
    public static Precision uniform(DType dtype) {
        return new Precision(dtype, dtype);
    }

    /** The type of the embedding and head blocks under {@code dtype} when not given: 16 bits for fp8, else {@code dtype}. */
    public static DType vocabularyDefault(DType dtype) {
        return dtype == DType.FP8 ? DType.BF16 : dtype;
    }

    /** The element type the op named {@code name} runs in. */
    public DType dtypeOf(Op op, String name) {
        if (op instanceof Op.ExpertLinear) return experts;
        return inBlock(name, EMBEDDING_BLOCK) || inBlock(name, HEAD_BLOCK) ? vocabulary : dtype;
    }

    private static boolean inBlock(String name, String block) {
        return name.length() > block.length() && name.startsWith(block) && name.charAt(block.length()) == '.';
    }

    /**
     * {@code fp8}, or {@code fp8 (experts fp16)} where the experts differ, {@code fp8 (vocabulary
     * fp8)} where the vocabulary's parts are not in their default type: as the report shows it.
     */
    public String text() {
        java.util.List<String> parts = new java.util.ArrayList<>();
        if (experts != dtype) parts.add("experts " + experts.keyword());
        if (vocabulary != vocabularyDefault(dtype)) parts.add("vocabulary " + vocabulary.keyword());
        return parts.isEmpty() ? dtype.keyword() : dtype.keyword() + " (" + String.join(", ", parts) + ")";
    }
}
