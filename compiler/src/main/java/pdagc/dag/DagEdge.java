package pdagc.dag;

/** A dependency between two nodes of the per-GPU DAG, by their indices in {@link PlanDag#nodes()}. */
public record DagEdge(int from, int to, EdgeKind kind) {}
