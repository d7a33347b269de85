package pdagc.dag;

/**
 * Data edges carry tensors; routing edges carry a gate's decision to a dispatch or combine
 * (conditional); order edges carry no data and show the schedule's order of work on one GPU.
 */
public enum EdgeKind {
    DATA,
    ROUTING,
    ORDER;

    public String json() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
