package pdagc.ir;

/** The built-in elementwise functions of one tensor, each a whole {@link Elementwise} definition. */
public enum UnaryFn implements Elementwise {
    /** The tanh approximation, as GPT-2 and Megatron compute it. */
    GELU("gelu", 9, true) {
        public double apply(double v) {
            return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        }

        public double slope(double v) {
            double c = Math.sqrt(2 / Math.PI);
            double t = Math.tanh(c * (v + 0.044715 * v * v * v));
            return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v);
        }
    },
    SILU("silu", 4, true) {
        public double apply(double v) {
            return v / (1 + Math.exp(-v));
        }

        public double slope(double v) {
            double sig = 1 / (1 + Math.exp(-v));
            return sig * (1 + v * (1 - sig));
        }
    },
    RELU("relu", 1, true) {
        public double apply(double v) {
            return Math.max(0, v);
        }

        public double slope(double v) {
            return v > 0 ? 1 : 0;
        }
    },
    SIGMOID("sigmoid", 4, false) {
        public double apply(double v) {
            return 1 / (1 + Math.exp(-v));
        }

        public double slope(double v) {
            double sig = 1 / (1 + Math.exp(-v));
            return sig * (1 - sig);
        }
    };

    private final String text;
    private final long flops;
    private final boolean activation;

    UnaryFn(String text, long flops, boolean activation) {
        this.text = text;
        this.flops = flops;
        this.activation = activation;
    }

    /** Every built-in function has its derivative. */
    @Override
    public boolean derivative() {
        return true;
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
    @Override
    public long flopsPerElement() {
        return flops;
    }

    @Override
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
