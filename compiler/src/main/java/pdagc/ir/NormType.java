package pdagc.ir;

/** LayerNorm or RMSNorm, the norms the language names. Each has the name the language and the IR text use. */
public enum NormType {
    LAYERNORM("layernorm", 6), RMSNORM("rmsnorm", 4);

    private final String text;
    private final long flops;

    NormType(String text, long flops) {
        this.text = text;
        this.flops = flops;
    }

    /** FLOPs per element as counted by the cost model (LayerNorm subtracts its mean too: 6; RMSNorm 4). */
    public long flopsPerElement() {
        return flops;
    }

    /** The name in the language and the IR text. */
    public String text() {
        return text;
    }

    /** Every norm's name. */
    public static java.util.List<String> names() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (NormType t : values()) out.add(t.text);
        return out;
    }

    /** The constant named {@code text}, or null. */
    public static NormType find(String text) {
        for (NormType v : values()) if (v.text.equals(text)) return v;
        return null;
    }

    /** The constant named {@code text}; thrown for a name the front end should have refused. */
    public static NormType of(String text) {
        for (NormType v : values()) if (v.text.equals(text)) return v;
        throw new IllegalArgumentException("no NormType named " + text);
    }
}
