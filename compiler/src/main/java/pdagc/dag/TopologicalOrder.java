package pdagc.dag;

/**
 * Kahn's algorithm over arrays (plans reach millions of edges), the one topological sort that
 * validation and the critical path share. Ties go in index order: the nodes without predecessors
 * are taken ascending, and each node freed joins the end of the queue, its successors in the
 * order their edges were given; so the order, and what is computed along it, is deterministic.
 *
 * <p>Given the edges as two arrays ({@code from[e] -> to[e]}, {@code e < edges}); nodes that are
 * not {@code present} (null: all are) take no part and must have no edges. When the graph has a
 * cycle, the order holds fewer nodes than are present, and {@link #unordered} tells those left:
 * the nodes on a cycle and those behind one.
 */
public final class TopologicalOrder {
    private final int[] succStart;
    private final int[] succ;
    private final int[] order;
    private final int ordered;
    private final int present;
    private final int[] indegree;

    private TopologicalOrder(int[] succStart, int[] succ, int[] order, int ordered, int present, int[] indegree) {
        this.succStart = succStart;
        this.succ = succ;
        this.order = order;
        this.ordered = ordered;
        this.present = present;
        this.indegree = indegree;
    }

    public static TopologicalOrder of(int n, int edges, int[] from, int[] to, boolean[] present) {
        int[] indegree = new int[n];
        int[] succStart = new int[n + 1];
        for (int e = 0; e < edges; e++) {
            indegree[to[e]]++;
            succStart[from[e] + 1]++;
        }
        for (int i = 0; i < n; i++) succStart[i + 1] += succStart[i];
        int[] succ = new int[succStart[n]];
        int[] fill = succStart.clone();
        for (int e = 0; e < edges; e++) succ[fill[from[e]]++] = to[e];
        int[] queue = new int[n];
        int head = 0;
        int tail = 0;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (present != null && !present[i]) continue;
            count++;
            if (indegree[i] == 0) queue[tail++] = i;
        }
        while (head < tail) {
            int v = queue[head++];
            for (int k = succStart[v]; k < succStart[v + 1]; k++) if (--indegree[succ[k]] == 0) queue[tail++] = succ[k];
        }
        return new TopologicalOrder(succStart, succ, queue, tail, count, indegree);
    }

    /** Whether every present node is ordered: the graph has no cycle. */
    public boolean complete() {
        return ordered == present;
    }

    /** How many nodes are ordered. */
    public int ordered() {
        return ordered;
    }

    /** How many nodes take part (are present). */
    public int present() {
        return present;
    }

    /** The {@code i}-th node of the order, {@code i < ordered()}. */
    public int at(int i) {
        return order[i];
    }

    /** Whether node {@code v} was left out of the order: it lies on a cycle or behind one. */
    public boolean unordered(int v) {
        return indegree[v] > 0;
    }

    /** The successors of {@code v} lie at {@link #successor} {@code k} for {@code firstSuccessor(v) <= k < firstSuccessor(v + 1)}, in edge order. */
    public int firstSuccessor(int v) {
        return succStart[v];
    }

    public int successor(int k) {
        return succ[k];
    }
}
