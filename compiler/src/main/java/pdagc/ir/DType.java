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

    public int bytes() {
        return bytes;
    }

    public String keyword() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
