package pdagc.dag;

/** Data edges carry tensors; routing edges carry a gate's decision to a dispatch or combine (conditional). */
public enum EdgeKind {
    DATA,
    ROUTING;

    public String json() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
