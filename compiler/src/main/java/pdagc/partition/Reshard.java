package pdagc.partition;

import java.util.ArrayList;
import java.util.List;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.ir.Reduction;
import pdagc.mesh.MeshContext;
import pdagc.mesh.Sharding;

/**
 * The table of design section 3, as code: the steps that turn a value's sharding into the one a
 * consumer requires. Partial sums are reduced first (reduce-scatter when the target splits a
 * dimension over those axes, all-reduce otherwise); then per axis, a dimension split that moves is
 * an all-to-all, one that goes away is an all-gather, and a new split is a local slice; gathers
 * (and slices) of one dimension's consecutive axes are then one collective over their group.
 */
final class Reshard {
    private Reshard() {}

    /** One step and the sharding after it. */
    record Step(Op op, Sharding after) {}

    static List<Step> plan(Sharding from, Sharding to, MeshContext mesh) {
        List<Step> steps = new ArrayList<>();
        Sharding cur = from;
        List<String> allReduce = new ArrayList<>();
        // Partial maxima are all-reduced (there is no max reduce-scatter among the collectives), and
        // a partial value stays partial only under the same reduction.
        boolean sum = from.reduction() == Reduction.SUM;
        for (String a : from.partial()) if (to.partial().contains(a) && to.reduction() != from.reduction()) throw new UnsupportedReshard(from, to, cur);
        for (String a : mesh.ordered(from.partial())) {
            if (to.partial().contains(a) || !cur.partial().contains(a)) continue;
            int d = to.dimOf(a);
            List<String> run = sum && d >= 0 && cur.dimOf(a) < 0 ? scattered(cur, to, d, mesh) : List.of();
            if (run.contains(a)) {
                List<String> rest = new ArrayList<>(cur.partial());
                rest.removeAll(run);
                cur = cur.withDim(d, to.axes(d)).withPartial(rest);
                steps.add(new Step(new Op.Collective(CollectiveKind.REDUCE_SCATTER, run, d, d), cur));
            } else {
                allReduce.add(a);
            }
        }
        if (!allReduce.isEmpty()) {
            List<String> rest = new ArrayList<>(cur.partial());
            rest.removeAll(allReduce);
            cur = cur.withPartial(rest, cur.reduction());
            steps.add(new Step(new Op.Collective(CollectiveKind.ALL_REDUCE, allReduce, -1, -1, from.reduction()), cur));
        }
        cur = fusedAllToAll(cur, to, mesh, steps);
        for (String a : mesh.ordered(union(cur.splitAxes(), to.splitAxes()))) {
            int src = cur.dimOf(a);
            int dst = to.dimOf(a);
            if (src == dst) continue;
            if (src >= 0) {
                // Axes minor to `a` in its dimension must come off first to keep blocks contiguous.
                List<String> minor = cur.axes(src).subList(cur.axes(src).indexOf(a) + 1, cur.axes(src).size());
                for (String m : reversed(minor)) {
                    cur = cur.withDim(src, mesh.without(cur.axes(src), m));
                    steps.add(new Step(new Op.Collective(CollectiveKind.ALL_GATHER, List.of(m), src, src), cur));
                }
            }
            if (dst >= 0) cur = freeMinor(cur, dst, a, mesh, steps);
            if (src >= 0 && dst >= 0) {
                cur = cur.withDim(src, mesh.without(cur.axes(src), a)).withDim(dst, mesh.with(cur.axes(dst), a));
                steps.add(new Step(new Op.Collective(CollectiveKind.ALL_TO_ALL, List.of(a), dst, src), cur));
            } else if (src >= 0) {
                cur = cur.withDim(src, mesh.without(cur.axes(src), a));
                steps.add(new Step(new Op.Collective(CollectiveKind.ALL_GATHER, List.of(a), src, src), cur));
            } else {
                cur = cur.withDim(dst, mesh.with(cur.axes(dst), a));
                steps.add(new Step(new Op.Slice(List.of(a), dst), cur));
            }
        }
        // Re-split what was gathered only to free a major axis.
        for (String a : mesh.ordered(to.splitAxes())) {
            if (cur.dimOf(a) < 0) {
                int d = to.dimOf(a);
                cur = freeMinor(cur, d, a, mesh, steps);
                cur = cur.withDim(d, mesh.with(cur.axes(d), a));
                steps.add(new Step(new Op.Slice(List.of(a), d), cur));
            }
        }
        if (!cur.equals(to)) {
            throw new UnsupportedReshard(from, to, cur);
        }
        return coalesced(from, steps, mesh);
    }

    /**
     * The axes a reduce-scatter can split dimension {@code d} over at once: what the target adds
     * to that dimension's axes, when the value is a partial sum over all of it (and the target is
     * not) and they come in the mesh's order; none otherwise. One collective over the group of
     * those axes scatters the blocks in the group's order: a dimension split over the factors of
     * one axis ({@code tp.0+tp.1}, tp folded or cut) as without the folding, and a ZeRO shard over
     * {@code dp+cp} of a gradient summed over both in one reduce-scatter over dp x cp, as
     * Megatron's distributed optimizer scatters over its data-parallel group with context
     * parallelism (an all-reduce over both and two slices, before, moved twice the bytes).
     */
    private static List<String> scattered(Sharding cur, Sharding to, int d, MeshContext mesh) {
        List<String> have = cur.axes(d);
        List<String> want = to.axes(d);
        if (want.size() <= have.size() || !want.subList(0, have.size()).equals(have)) return List.of();
        List<String> run = want.subList(have.size(), want.size());
        for (String a : run) if (!cur.partial().contains(a) || to.partial().contains(a)) return List.of();
        return run.equals(mesh.ordered(run)) ? List.copyOf(run) : List.of();
    }

    /**
     * The steps with consecutive all-gathers of one dimension, and consecutive slices of one
     * dimension, over factors of one axis of the strategy's mesh, each made one over the union of
     * their axes: gathers take a dimension's minor axes off one at a time and slices add them one
     * at a time, and the axes so taken or added together are a run of the dimension's axes, in
     * the mesh's order, which one collective (or one slice) over that group moves in its members'
     * order. Under a folded tp ({@code tp.0 x tp.1}) a gather out of the sequence is one
     * all-gather over tp, as without the folding; gathers over different axes (dp, then tp) stay
     * apart, as the cost model prices each group where it runs.
     */
    private static List<Step> coalesced(Sharding from, List<Step> steps, MeshContext mesh) {
        List<Step> out = new ArrayList<>();
        List<Sharding> before = new ArrayList<>();
        for (Step step : steps) {
            Sharding start = out.isEmpty() ? from : out.get(out.size() - 1).after();
            if (!out.isEmpty()) {
                Step last = out.get(out.size() - 1);
                Sharding lastStart = before.get(before.size() - 1);
                Op merged = merged(last.op(), step.op(), lastStart, step.after(), mesh);
                if (merged != null) {
                    out.set(out.size() - 1, new Step(merged, step.after()));
                    continue;
                }
            }
            before.add(start);
            out.add(step);
        }
        return out;
    }

    /** One op doing {@code first} then {@code second} (from {@code start} to {@code end}), or null. */
    private static Op merged(Op first, Op second, Sharding start, Sharding end, MeshContext mesh) {
        if (first instanceof Op.Collective a && second instanceof Op.Collective b && a.collective() == CollectiveKind.ALL_GATHER
                && b.collective() == CollectiveKind.ALL_GATHER && a.dim() == b.dim()) {
            List<String> axes = mesh.ordered(union(a.axes(), b.axes()));
            return mesh.oneAxis(axes) && sameElsewhere(start, end, a.dim()) && start.axes(a.dim()).equals(concat(end.axes(a.dim()), axes))
                    ? new Op.Collective(CollectiveKind.ALL_GATHER, axes, a.dim(), a.dim()) : null;
        }
        if (first instanceof Op.Slice a && second instanceof Op.Slice b && a.dim() == b.dim()) {
            List<String> axes = mesh.ordered(union(a.axes(), b.axes()));
            return mesh.oneAxis(axes) && sameElsewhere(start, end, a.dim()) && end.axes(a.dim()).equals(concat(start.axes(a.dim()), axes)) ? new Op.Slice(axes, a.dim()) : null;
        }
        return null;
    }

    private static boolean sameElsewhere(Sharding x, Sharding y, int dim) {
        return x.withDim(dim, List.of()).equals(y.withDim(dim, List.of()));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * Moves that send a dimension's minor axes to another dimension, as one all-to-all over all of
     * them. An axis the target adds to that dimension is first sliced off the source dimension
     * (locally, when it can go there as the minor-most axis), so that it travels in the same
     * all-to-all instead of every rank sending the whole of its replicated data.
     */
    private static Sharding fusedAllToAll(Sharding cur, Sharding to, MeshContext mesh, List<Step> steps) {
        for (int src = 0; src < cur.rank(); src++) {
            for (int dst = 0; dst < cur.rank(); dst++) {
                if (src == dst) continue;
                List<String> moving = new ArrayList<>();
                for (String a : cur.axes(src)) if (to.dimOf(a) == dst) moving.add(a);
                if (moving.isEmpty()) continue;
                for (String a : mesh.ordered(to.axes(dst))) {
                    if (cur.dimOf(a) < 0 && !cur.partial().contains(a)) {
                        List<String> grown = mesh.with(cur.axes(src), a);
                        if (grown.get(grown.size() - 1).equals(a)) {
                            cur = cur.withDim(src, grown);
                            steps.add(new Step(new Op.Slice(List.of(a), src), cur));
                            moving.add(a);
                        }
                    }
                }
                // Axes minor to the moving ones that the target gathers travel along and are gathered at dst.
                List<String> srcAxes = cur.axes(src);
                int first = srcAxes.size();
                for (int i = srcAxes.size() - 1; i >= 0; i--) {
                    String a = srcAxes.get(i);
                    if (moving.contains(a) || to.dimOf(a) < 0 && first == i + 1) first = i;
                    else break;
                }
                List<String> suffix = new ArrayList<>(srcAxes.subList(first, srcAxes.size()));
                List<String> gathered = new ArrayList<>();
                for (String a : suffix) if (to.dimOf(a) < 0) gathered.add(a);
                List<String> after = new ArrayList<>(cur.axes(dst));
                after.addAll(suffix);
                List<String> kept = new ArrayList<>(after);
                kept.removeAll(gathered);
                boolean gatheredLast = after.subList(after.size() - gathered.size(), after.size()).equals(gathered);
                if (suffix.size() - gathered.size() < 1 || suffix.size() < 2 || !suffix.containsAll(moving) || !kept.equals(to.axes(dst))
                        || !gatheredLast || !after.equals(mesh.ordered(after))) {
                    continue;
                }
                cur = cur.withDim(src, srcAxes.subList(0, first)).withDim(dst, after);
                steps.add(new Step(new Op.Collective(CollectiveKind.ALL_TO_ALL, List.copyOf(suffix), dst, src), cur));
            }
        }
        return cur;
    }

    /**
     * Gathers the axes of dimension {@code d} that are minor to {@code a} in the mesh, so that
     * {@code a} can join {@code d} as its minor-most axis. A local slice or an all-to-all only
     * adds the minor-most axis of a dimension: a rank's block under the major axes must already
     * hold the block it keeps. With mesh {@code [tp 2, cp 2]} under sequence parallelism, a
     * sequence split over cp becomes one split over tp+cp (tp major) only by gathering cp first;
     * the gathered axes are sliced again afterwards (the last loop of {@link #plan}).
     */
    private static Sharding freeMinor(Sharding cur, int d, String a, MeshContext mesh, List<Step> steps) {
        List<String> axes = cur.axes(d);
        List<String> order = mesh.ordered(mesh.with(axes, a));
        int at = order.indexOf(a);
        List<String> minor = new ArrayList<>();
        for (String m : axes) if (order.indexOf(m) > at) minor.add(m);
        for (String m : reversed(minor)) {
            cur = cur.withDim(d, mesh.without(cur.axes(d), m));
            steps.add(new Step(new Op.Collective(CollectiveKind.ALL_GATHER, List.of(m), d, d), cur));
        }
        return cur;
    }

    /** A reshard this planner cannot express; the caller turns it into a diagnostic. */
    static final class UnsupportedReshard extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnsupportedReshard(Sharding from, Sharding to, Sharding reached) {
            super("cannot reshard " + from + " to " + to + " (reached " + reached + ")");
        }
    }


    private static List<String> union(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        for (String x : b) if (!out.contains(x)) out.add(x);
        return out;
    }

    private static List<String> reversed(List<String> l) {
        List<String> out = new ArrayList<>(l);
        java.util.Collections.reverse(out);
        return out;
    }
}
