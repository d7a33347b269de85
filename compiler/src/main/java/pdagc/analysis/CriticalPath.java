package pdagc.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import pdagc.dag.DagNode;
import pdagc.dag.TopologicalOrder;

/**
 * The latency of one step of the plan: the longest path through the per-GPU DAG (walked as
 * its quotient, one GPU per role: the GPUs of a role run the same schedule in step), where nodes carry
 * their estimated time and edges none. Two rules make the DAG a schedule: each GPU runs its nodes
 * one at a time in schedule order (one stream; communication does not overlap computation), and a
 * collective starts on all its members when every member's inputs are ready and the member is free,
 * and finishes on all of them at once (its members form one node of the longest-path problem).
 *
 * <p>Solved by one pass over a topological order ({@link TopologicalOrder}: Kahn's algorithm, ties in
 * index order, so the path is deterministic). A cycle left after merging the members of each collective means the
 * collectives deadlock; that is reported, not computed around.
 */
final class CriticalPath {
    private CriticalPath() {}

    /**
     * {@code seconds}: the path's length. {@code path}: its nodes in order, by quotient index (a
     * collective by one member). {@code communicationSeconds}: the time of its collectives. {@code problem}: null, or
     * why no path exists.
     */
    record Result(double seconds, List<Integer> path, double communicationSeconds, String problem) {}

    static Result run(DagIndex idx, NodeCosts costs) {
        int n = idx.role.length;
        int[] rep = representatives(idx);
        double[] duration = new double[n];
        for (int i = 0; i < n; i++) duration[rep[i]] = Math.max(duration[rep[i]], costs.secondsAt(i));
        int[] count = new int[1];
        forEachDependency(idx, rep, (from, to) -> count[0]++);
        int[] depFrom = new int[count[0]];
        int[] depTo = new int[count[0]];
        int[] fill = new int[1];
        forEachDependency(idx, rep, (from, to) -> {
            depFrom[fill[0]] = from;
            depTo[fill[0]++] = to;
        });
        boolean[] present = new boolean[n];
        for (int i = 0; i < n; i++) present[i] = rep[i] == i;
        TopologicalOrder order = TopologicalOrder.of(n, depFrom.length, depFrom, depTo, present);
        if (!order.complete()) {
            return new Result(Double.NaN, List.of(), Double.NaN, (order.present() - order.ordered()) + " nodes wait on each other: the collectives deadlock");
        }

        double[] ready = new double[n];
        double[] finish = new double[n];
        int[] from = new int[n];
        java.util.Arrays.fill(from, -1);
        for (int i = 0; i < order.ordered(); i++) {
            int r = order.at(i);
            finish[r] = ready[r] + duration[r];
            for (int k = order.firstSuccessor(r); k < order.firstSuccessor(r + 1); k++) {
                int s = order.successor(k);
                if (from[s] < 0 || finish[r] > ready[s]) {
                    ready[s] = finish[r];
                    from[s] = r;
                }
            }
        }
        int end = -1;
        for (int i = 0; i < n; i++) if (rep[i] == i && (end < 0 || finish[i] > finish[end])) end = i;
        List<Integer> path = new ArrayList<>();
        double communication = 0;
        for (int r = end; r >= 0; r = from[r]) {
            path.add(r);
            if (costs.isCollectiveAt(r)) communication += duration[r];
        }
        java.util.Collections.reverse(path);
        return new Result(end < 0 ? 0 : finish[end], List.copyOf(path), communication, null);
    }

    /**
     * Each node's representative: itself, or for a collective the lowest-indexed member of its
     * call. A send and its recv stay apart: the send is buffered (it does not wait for the recv),
     * the recv waits for the send through their data edge.
     */
    private static int[] representatives(DagIndex idx) {
        int[] rep = new int[idx.role.length];
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < rep.length; i++) {
            DagNode d = idx.node(i);
            boolean transfer = d.op() instanceof pdagc.ir.Op.Transfer;
            final int self = i;
            rep[i] = d.collective() == null || transfer ? i : first.computeIfAbsent(d.collective(), k -> self);
        }
        return rep;
    }

    /** Calls {@code f} once per dependency between representatives: data edges and schedule order. */
    private static void forEachDependency(DagIndex idx, int[] rep, Dependency f) {
        for (int i = 0; i < rep.length; i++) {
            for (int k = idx.predStart[i]; k < idx.predStart[i + 1]; k++) {
                int p = rep[idx.preds[k]];
                if (p != rep[i]) f.accept(p, rep[i]);
            }
            int g = idx.role[i];
            int pos = idx.position[i];
            if (pos > 0) {
                int p = rep[idx.schedule[g][pos - 1]];
                if (p != rep[i]) f.accept(p, rep[i]);
            }
        }
    }

    @FunctionalInterface
    private interface Dependency {
        void accept(int from, int to);
    }
}
