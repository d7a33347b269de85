package pdagc.ir;

/** The elementwise functions of one tensor. Each has the name the language and the IR text use. */
public enum UnaryFn {
    GELU("gelu"), SILU("silu"), RELU("relu"), SIGMOID("sigmoid");

    private final String text;

    UnaryFn(String text) {
        this.text = text;
    }

    /** The name in the language and the IR text. */
    public String text() {
        return text;
    }

    /** The constant named {@code text}; thrown for a name the front end should have refused. */
    public static UnaryFn of(String text) {
        for (UnaryFn v : values()) if (v.text.equals(text)) return v;
        throw new IllegalArgumentException("no UnaryFn named " + text);
    }
}
