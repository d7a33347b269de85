package pdagc.ast;

/** The kinds of property-bag declarations. */
public enum EntityKind {
    MODEL("model"),
    CLUSTER("cluster"),
    WORKLOAD("workload"),
    STRATEGY("strategy"),
    GPU("gpu");

    private final String keyword;

    EntityKind(String keyword) {
        this.keyword = keyword;
    }

    public String keyword() {
        return keyword;
    }
}
