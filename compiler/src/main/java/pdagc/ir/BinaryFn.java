package pdagc.ir;

/** The elementwise functions of two tensors of one shape. Each has the name the language and the IR text use. */
public enum BinaryFn {
    ADD("add"), MUL("mul");

    private final String text;

    BinaryFn(String text) {
        this.text = text;
    }

    /** The name in the language and the IR text. */
    public String text() {
        return text;
    }

    /** The constant named {@code text}; thrown for a name the front end should have refused. */
    public static BinaryFn of(String text) {
        for (BinaryFn v : values()) if (v.text.equals(text)) return v;
        throw new IllegalArgumentException("no BinaryFn named " + text);
    }
}
