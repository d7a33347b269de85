package pdagc.ir;

/** Element types of activations and weights, with their sizes. */
public enum DType {
    BF16(2),
    FP16(2),
    FP32(4),
    FP8(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element of weights and of the KV cache. */
    public int bytes() {
        return bytes;
    }

    /**
     * Bytes per element of activations, and so of the collectives that move them: fp8 engines
     * quantize weights, the KV cache and the matrix products' inputs, but keep activations
     * between kernels (and their all-reduces) in 16 bits.
     */
    public int activationBytes() {
        return this == FP8 ? 2 : bytes;
    }

    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
