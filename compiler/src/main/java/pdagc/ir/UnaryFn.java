package pdagc.ir;

/** The elementwise functions of one tensor. Each has the name the language and the IR text use. */
public enum UnaryFn {
    GELU("gelu", 9, true), SILU("silu", 4, true), RELU("relu", 1, true), SIGMOID("sigmoid", 4, false);

    private final String text;
    private final long flops;
    private final boolean activation;

    UnaryFn(String text, long flops, boolean activation) {
        this.text = text;
        this.flops = flops;
        this.activation = activation;
    }

    /** Whether a model may name it as its MLP's activation ({@code act}); sigmoid is a gate only. */
    public boolean isActivation() {
        return activation;
    }

    /** The names a model's {@code act} may take. */
    public static java.util.List<String> activations() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (UnaryFn f : values()) if (f.activation) out.add(f.text);
        return out;
    }

    /** FLOPs per element as counted by the cost model (tanh-approximated GELU 9; SiLU and sigmoid 4; ReLU 1). */
    public long flopsPerElement() {
        return flops;
    }

    /** The name in the language and the IR text. */
    public String text() {
        return text;
    }

    /** The constant named {@code text}, or null. */
    public static UnaryFn find(String text) {
        for (UnaryFn v : values()) if (v.text.equals(text)) return v;
        return null;
    }

    /** The constant named {@code text}; thrown for a name the front end should have refused. */
    public static UnaryFn of(String text) {
        for (UnaryFn v : values()) if (v.text.equals(text)) return v;
        throw new IllegalArgumentException("no UnaryFn named " + text);
    }
}
