package pdagc.ir;

/** The collectives pdagc inserts, with their names in plans and their ring volume factors. */
public enum CollectiveKind {
    ALL_REDUCE("all_reduce"),
    ALL_GATHER("all_gather"),
    REDUCE_SCATTER("reduce_scatter"),
    ALL_TO_ALL("all_to_all"),
    SEND("send"),
    RECV("recv");

    private final String opName;

    CollectiveKind(String opName) {
        this.opName = opName;
    }

    public String opName() {
        return opName;
    }

    /**
     * Bytes each member moves per byte of its buffer, in a ring of n (nccl-tests' bus-bandwidth
     * convention): all-reduce 2(n-1)/n, all-gather, reduce-scatter and all-to-all (n-1)/n.
     */
    public double volumeFactor(int n) {
        if (n <= 1) return 0;
        return switch (this) {
            case ALL_REDUCE -> 2.0 * (n - 1) / n;
            case ALL_GATHER, REDUCE_SCATTER, ALL_TO_ALL -> (double) (n - 1) / n;
            case SEND, RECV -> 1.0;
        };
    }
}
