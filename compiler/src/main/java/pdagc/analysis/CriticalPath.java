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
 * one at a time in schedule order (one stream; communication does not overlap computation, but
 * where a training strategy overlaps its gradients' reduction, {@link Streams}: then those
 * collectives run one at a time on a second stream), and a
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
     * why no path exists. {@code start} and {@code finish}: when each quotient node starts and ends in the
     * simulated step (a collective's members share its start and end); null where no path exists.
     */
    record Result(double seconds, List<Integer> path, double communicationSeconds, String problem, double[] start, double[] finish) {}

    static Result run(DagIndex idx, NodeCosts costs) {
        return run(idx, costs, false, null, null);
    }

    /**
     * As above, each GPU running its nodes on the streams {@code stream} gives them (by quotient
     * index): the nodes of each stream one at a time in schedule order. Streams run side by side:
     * the second stream's collectives overlap the first's work.
     */
    static Result run(DagIndex idx, NodeCosts costs, Streams.Stream[] stream, pdagc.spmd.SpmdProgram program) {
        return run(idx, costs, false, stream, program);
    }

    /**
     * The loop of one micro-batch: the longest path when each micro-batch runs through the stages on
     * its own, its nodes in their GPUs' schedule order but waiting for no other micro-batch (the
     * order edges between micro-batches are left out). Its length is the largest over the
     * micro-batches of the time from a micro-batch's first node to its last, send/recv included.
     */
    static Result loop(DagIndex idx, NodeCosts costs) {
        return run(idx, costs, true, null, null);
    }

    private static Result run(DagIndex idx, NodeCosts costs, boolean perMicroBatch, Streams.Stream[] stream, pdagc.spmd.SpmdProgram program) {
        int n = idx.role.length;
        int[] rep = representatives(idx);
        double[] duration = new double[n];
        for (int i = 0; i < n; i++) duration[rep[i]] = Math.max(duration[rep[i]], costs.secondsAt(i));
        int[] previous = perMicroBatch ? previousOfMicroBatch(idx) : stream == null ? previousInSchedule(idx) : previousOnStream(idx, stream);
        int[] count = new int[1];
        boolean[] side = stream == null ? null : new boolean[n];
        if (side != null) for (int i = 0; i < n; i++) side[i] = stream[i] == Streams.Stream.SIDE;
        forEachDependency(idx, rep, previous, perMicroBatch, side, program, (from, to) -> count[0]++);
        int[] depFrom = new int[count[0]];
        int[] depTo = new int[count[0]];
        int[] fill = new int[1];
        forEachDependency(idx, rep, previous, perMicroBatch, side, program, (from, to) -> {
            depFrom[fill[0]] = from;
            depTo[fill[0]++] = to;
        });
        boolean[] present = new boolean[n];
        for (int i = 0; i < n; i++) present[i] = rep[i] == i;
        TopologicalOrder order = TopologicalOrder.of(n, depFrom.length, depFrom, depTo, present);
        if (!order.complete()) {
            return new Result(Double.NaN, List.of(), Double.NaN, (order.present() - order.ordered()) + " nodes wait on each other: the collectives deadlock",
                    null, null);
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
        double[] startAt = new double[n];
        double[] finishAt = new double[n];
        for (int i = 0; i < n; i++) {
            startAt[i] = ready[rep[i]];
            finishAt[i] = finish[rep[i]];
        }
        return new Result(end < 0 ? 0 : finish[end], List.copyOf(path), communication, null, startAt, finishAt);
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

    /**
     * Calls {@code f} once per dependency between representatives: data edges and schedule order
     * ({@code previous}: each node's predecessor on its GPU, or -1). With {@code oneMicroBatch},
     * data edges between micro-batches are left out too.
     */
    private static void forEachDependency(DagIndex idx, int[] rep, int[] previous, boolean oneMicroBatch, boolean[] side,
            pdagc.spmd.SpmdProgram program, Dependency f) {
        for (int i = 0; i < rep.length; i++) {
            for (int k = idx.predStart[i]; k < idx.predStart[i + 1]; k++) {
                if (oneMicroBatch && idx.node(idx.preds[k]).microBatch() != idx.node(i).microBatch()) continue;
                // A second-stream op waits for its data and for its stream, not for the first stream's schedule (the
                // order edge that starts the step's once-per-step unit after the last backward op).
                if (side != null && side[i] && !side[idx.preds[k]]
                        && !program.nodes().get(idx.node(i).program()).inputs().contains(idx.node(idx.preds[k]).program())) continue;
                int p = rep[idx.preds[k]];
                if (p != rep[i]) f.accept(p, rep[i]);
            }
            if (previous[i] >= 0) {
                int p = rep[previous[i]];
                if (p != rep[i]) f.accept(p, rep[i]);
            }
        }
    }

    /** Each node's predecessor in its GPU's schedule, or -1 for the first. */
    private static int[] previousInSchedule(DagIndex idx) {
        int[] prev = new int[idx.role.length];
        for (int[] schedule : idx.schedule) {
            for (int k = 0; k < schedule.length; k++) prev[schedule[k]] = k == 0 ? -1 : schedule[k - 1];
        }
        return prev;
    }

    /** Each node's predecessor on its stream of its GPU in schedule order, or -1 for the first. */
    private static int[] previousOnStream(DagIndex idx, Streams.Stream[] stream) {
        int[] prev = new int[idx.role.length];
        for (int[] schedule : idx.schedule) {
            int main = -1;
            int side = -1;
            for (int i : schedule) {
                if (stream[i] == Streams.Stream.MAIN) {
                    prev[i] = main;
                    main = i;
                } else {
                    prev[i] = side;
                    side = i;
                }
            }
        }
        return prev;
    }

    /** Each node's predecessor of the same micro-batch in its GPU's schedule, or -1 for the first. */
    private static int[] previousOfMicroBatch(DagIndex idx) {
        int[] prev = new int[idx.role.length];
        Map<Integer, Integer> last = new HashMap<>();
        for (int[] schedule : idx.schedule) {
            last.clear();
            for (int i : schedule) {
                Integer p = last.put(idx.node(i).microBatch(), i);
                prev[i] = p == null ? -1 : p;
            }
        }
        return prev;
    }

    @FunctionalInterface
    private interface Dependency {
        void accept(int from, int to);
    }
}
