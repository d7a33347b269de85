package pdagc.analysis;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import pdagc.dag.DagNode;

/**
 * The latency of one step of the plan: the longest path through the per-GPU DAG (walked as
 * its quotient, one GPU per role: the GPUs of a role run the same schedule in step), where nodes carry
 * their estimated time and edges none. Two rules make the DAG a schedule: each GPU runs its nodes
 * one at a time in schedule order (one stream; communication does not overlap computation), and a
 * collective starts on all its members when every member's inputs are ready and the member is free,
 * and finishes on all of them at once (its members form one node of the longest-path problem).
 *
 * <p>Solved by one pass over a topological order (Kahn's algorithm, ties in index order, so the path
 * is deterministic). A cycle left after merging the members of each collective means the
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
        int[] succStart = new int[n + 1];
        int[] indegree = new int[n];
        forEachDependency(idx, rep, (from, to) -> {
            succStart[from + 1]++;
            indegree[to]++;
        });
        for (int i = 0; i < n; i++) succStart[i + 1] += succStart[i];
        int[] succ = new int[succStart[n]];
        int[] fill = succStart.clone();
        forEachDependency(idx, rep, (from, to) -> succ[fill[from]++] = to);

        double[] ready = new double[n];
        double[] finish = new double[n];
        int[] from = new int[n];
        java.util.Arrays.fill(from, -1);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        int reps = 0;
        for (int i = 0; i < n; i++) {
            if (rep[i] != i) continue;
            reps++;
            if (indegree[i] == 0) queue.add(i);
        }
        int done = 0;
        while (!queue.isEmpty()) {
            int r = queue.poll();
            done++;
            finish[r] = ready[r] + duration[r];
            for (int k = succStart[r]; k < succStart[r + 1]; k++) {
                int s = succ[k];
                if (from[s] < 0 || finish[r] > ready[s]) {
                    ready[s] = finish[r];
                    from[s] = r;
                }
                if (--indegree[s] == 0) queue.add(s);
            }
        }
        if (done < reps) {
            return new Result(Double.NaN, List.of(), Double.NaN, (reps - done) + " nodes wait on each other: the collectives deadlock");
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
            boolean transfer = d.op().equals("send") || d.op().equals("recv");
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
