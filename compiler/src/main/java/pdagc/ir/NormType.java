package pdagc.ir;

/** LayerNorm or RMSNorm, the norms the language names. Each has the name the language and the IR text use. */
public enum NormType {
    LAYERNORM("layernorm"), RMSNORM("rmsnorm");

    private final String text;

    NormType(String text) {
        this.text = text;
    }

    /** The name in the language and the IR text. */
    public String text() {
        return text;
    }

    /** The constant named {@code text}; thrown for a name the front end should have refused. */
    public static NormType of(String text) {
        for (NormType v : values()) if (v.text.equals(text)) return v;
        throw new IllegalArgumentException("no NormType named " + text);
    }
}
