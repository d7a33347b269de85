package pdagc.search;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.sem.Phase;
import pdagc.sem.SearchSpec;
import pdagc.sem.Training;

/**
 * The search space, in a fixed order (the last tie-break of a ranking). Meshes first: every way
 * to factor the GPU count into the sizes of pp, dp, ep (models with experts), cp and tp (each
 * within its choices), the sizes ascending in that order; then for each, the orders of its axes
 * of size above 1, as permutations in lexicographic order starting from {@code [pp, dp, ep, cp,
 * tp]} (tp fastest, Megatron's), keeping one order per placement: two orders in which every
 * axis's groups stay in one node or cross nodes alike, with tp and cp in the same order, give
 * the same figures (a collective's link is NVLink inside a node, else the network), and the
 * later is not a candidate. With {@code tp_in_node true}, orders whose tp groups cross nodes
 * are left out. A model with experts has, after each mesh without an ep axis, the same mesh with
 * each expert mesh ({@link #experts}). Then, per mesh: sequence parallelism (off, on; with tp > 1), the micro-batch size
 * (ascending divisors of a replica's batch; serving without a pipeline runs one micro-batch),
 * the batch (its choices, in the order written), the schedule (gpipe, 1f1b (training), interleaved with 2 to 8 virtual stages), ZeRO (0, 1, 2, 3)
 * and recomputation (none, selective, full) in training. At a request rate the batch is not a knob:
 * a candidate's is one request per split (its batch axes times its micro-batches, as many as its
 * pipeline stages), which its estimate grows in decode to the requests in flight the rate needs.
 */
final class Space implements Iterable<Candidate> {
    private final SearchSpec spec;
    /** A mesh and the expert mesh that folds its stages (null: the experts follow the mesh). */
    private record Layout(Mesh mesh, Mesh experts) {}

    private final List<Layout> meshes = new ArrayList<>();
    private final boolean training;
    private final boolean atRate;

    Space(SearchSpec spec) {
        this.spec = spec;
        this.training = spec.workload().phase() == Phase.TRAIN;
        this.atRate = spec.workload().atRate();
        List<String> axes = new ArrayList<>(List.of(MeshAxes.PP, MeshAxes.DP));
        if (spec.model().isMoe()) axes.add(MeshAxes.EP);
        axes.add(MeshAxes.CP);
        axes.add(MeshAxes.TP);
        factor(axes, 0, spec.cluster().count(), new int[axes.size()]);
    }

    /** Every factorization of {@code left} GPUs over axes {@code i}..., then every distinct order. */
    private void factor(List<String> axes, int i, int left, int[] sizes) {
        if (i == axes.size()) {
            if (left == 1) orders(axes, sizes);
            return;
        }
        List<Integer> allowed = spec.axes().get(axes.get(i));
        for (int s = 1; s <= left; s++) {
            if (left % s != 0) continue;
            if (allowed != null && !allowed.contains(s)) continue;
            sizes[i] = s;
            factor(axes, i + 1, left / s, sizes);
        }
    }

    private void orders(List<String> axes, int[] sizes) {
        List<Mesh.Axis> present = new ArrayList<>();
        for (int i = 0; i < axes.size(); i++) if (sizes[i] > 1) present.add(new Mesh.Axis(axes.get(i), sizes[i]));
        if (present.isEmpty()) {
            meshes.add(new Layout(new Mesh(List.of(new Mesh.Axis(MeshAxes.DP, 1))), null));
            return;
        }
        Set<String> seen = new HashSet<>();
        permute(present, 0, seen);
    }

    private void permute(List<Mesh.Axis> axes, int k, Set<String> seen) {
        if (k == axes.size()) {
            Mesh m = new Mesh(axes);
            int perNode = spec.cluster().perNode();
            if (spec.tpInNode() && nodesSpanned(m, MeshAxes.TP, perNode) > 1) return;
            StringBuilder sig = new StringBuilder();
            for (Mesh.Axis a : axes) sig.append(a.name()).append(nodesSpanned(m, a.name(), perNode) > 1 ? ":network" : ":node").append(',');
            List<String> names = new ArrayList<>();
            for (Mesh.Axis a : axes) names.add(a.name());
            java.util.Collections.sort(names);
            String key = names + ":" + sorted(sig.toString()) + (m.index(MeshAxes.TP) < m.index(MeshAxes.CP) ? "tc" : "ct");
            if (seen.add(key)) {
                meshes.add(new Layout(m, null));
                experts(m);
            }
            return;
        }
        // Lexicographic permutations: each position takes the remaining axes in their base order.
        List<Mesh.Axis> rest = new ArrayList<>(axes.subList(k, axes.size()));
        for (int j = 0; j < rest.size(); j++) {
            List<Mesh.Axis> next = new ArrayList<>(axes.subList(0, k));
            next.add(rest.get(j));
            for (int r = 0; r < rest.size(); r++) if (r != j) next.add(rest.get(r));
            permute(next, k + 1, seen);
        }
    }

    /**
     * Megatron-LM's MoE parallel folding: the experts of a mesh without an ep axis fold the GPUs
     * of one pipeline stage as {@code [edp, ep, etp]} (etp fastest), every factorization of the
     * stage's GPUs within the knobs' choices, ascending in that order. Left out: the fold the
     * experts take without an expert mesh (ep 1, etp = tp), and a fold with etp = tp over a mesh
     * without cp whose ep divides dp, which is the mesh's own ep axis (enumerated as a mesh, unless
     * the knobs leave that mesh out: {@code expert_mesh true}, or dp / ep not among dp's choices).
     * A fold whose groups do not nest with the mesh's is a candidate that the strategy check
     * rejects (E0311), as `check` does.
     */
    private void experts(Mesh m) {
        if (!spec.model().isMoe() || m.size(MeshAxes.EP) > 1 || Boolean.FALSE.equals(onlyExpertMesh())) return;
        int stage = m.size() / Math.max(1, m.size(MeshAxes.PP));
        int tp = m.size(MeshAxes.TP), dp = m.size(MeshAxes.DP), cp = m.size(MeshAxes.CP);
        for (int edp = 1; edp <= stage; edp++) {
            if (stage % edp != 0 || !allowed(MeshAxes.EDP, edp)) continue;
            for (int ep = 1; ep <= stage / edp; ep++) {
                if ((stage / edp) % ep != 0 || !allowed(MeshAxes.EP, ep)) continue;
                int etp = stage / edp / ep;
                if (!allowed(MeshAxes.ETP, etp)) continue;
                if (ep == 1 && etp == tp) continue;
                if (etp == tp && cp == 1 && dp % ep == 0 && onlyExpertMesh() == null && allowed(MeshAxes.DP, dp / ep)) continue;
                List<Mesh.Axis> axes = new ArrayList<>();
                if (edp > 1) axes.add(new Mesh.Axis(MeshAxes.EDP, edp));
                if (ep > 1) axes.add(new Mesh.Axis(MeshAxes.EP, ep));
                if (etp > 1) axes.add(new Mesh.Axis(MeshAxes.ETP, etp));
                if (axes.isEmpty()) continue;
                meshes.add(new Layout(m, new Mesh(axes)));
            }
        }
    }

    private Boolean onlyExpertMesh() {
        List<Boolean> choices = spec.expertMesh();
        if (choices == null || choices.size() != 1) return null;
        return choices.get(0);
    }

    private boolean allowed(String axis, int size) {
        List<Integer> choices = spec.axes().get(axis);
        return choices == null || choices.contains(size);
    }

    private static String sorted(String sig) {
        String[] parts = sig.split(",");
        java.util.Arrays.sort(parts);
        return String.join(",", parts);
    }

    /** How many cluster nodes one group of {@code axis} spans (1 for an absent axis). */
    static int nodesSpanned(Mesh mesh, String axis, int perNode) {
        int i = mesh.index(axis);
        if (i < 0 || mesh.size(axis) <= 1) return 1;
        int stride = 1;
        for (int j = mesh.axes().size() - 1; j > i; j--) stride *= mesh.axes().get(j).size();
        int span = (mesh.size(axis) - 1) * stride + 1;
        return (span + perNode - 1) / perNode;
    }

    long count() {
        long n = 0;
        for (Layout m : meshes) n += inner(m, null, 0);
        return n;
    }

    /** The candidates of one mesh, added to {@code out} (or only counted when it is null). */
    private long inner(Layout m, List<Candidate> out, long index) {
        if (atRate) {
            // One request per split: the batch axes, and a micro-batch per pipeline stage to keep every stage busy.
            long ways = (long) m.mesh().size(MeshAxes.DP) * m.mesh().size(MeshAxes.EP);
            return inner(m, ways * m.mesh().size(MeshAxes.PP), out, index);
        }
        long n = 0;
        List<Long> batches = spec.batches() != null ? spec.batches() : List.of(spec.workload().batch());
        for (long batch : batches) n += inner(m, batch, out, index + n);
        return n;
    }

    private long inner(Layout layout, long batch, List<Candidate> out, long index) {
        // A mesh whose experts must fold apart (`expert_mesh true`) is a candidate only with an expert mesh.
        if (spec.model().isMoe() && layout.experts() == null && Boolean.TRUE.equals(onlyExpertMesh())) return 0;
        Mesh m = layout.mesh();
        long n = 0;
        int tp = m.size(MeshAxes.TP), pp = m.size(MeshAxes.PP);
        long ways = (long) m.size(MeshAxes.DP) * m.size(MeshAxes.EP);
        long replica = Math.max(1, batch / ways);
        List<Boolean> sps = tp > 1 ? (spec.sequenceParallel() != null ? spec.sequenceParallel() : List.of(false, true)) : List.of(false);
        List<Integer> sizes = new ArrayList<>();
        if (atRate) sizes.add(1);
        else if (batch % ways != 0) sizes.add((int) replica);
        else if (!training && pp == 1) sizes.add((int) replica);
        else {
            for (long b = 1; b <= replica; b++) {
                if (replica % b != 0) continue;
                if (spec.microBatch() != null && !spec.microBatch().contains((int) b)) continue;
                sizes.add((int) b);
            }
        }
        List<Pipeline.Schedule> schedules = pp == 1 ? List.of(Pipeline.Schedule.GPIPE)
                : spec.schedules() != null ? spec.schedules()
                : training ? List.of(Pipeline.Schedule.GPIPE, Pipeline.Schedule.ONE_F_ONE_B, Pipeline.Schedule.INTERLEAVED)
                : List.of(Pipeline.Schedule.GPIPE, Pipeline.Schedule.INTERLEAVED);
        List<Integer> zeros = training ? (spec.zero() != null ? spec.zero() : List.of(0, 1, 2, 3)) : List.of(0);
        List<Training.Recompute> recomputes = training ? (spec.recompute() != null ? spec.recompute()
                : List.of(Training.Recompute.NONE, Training.Recompute.SELECTIVE, Training.Recompute.FULL)) : List.of(Training.Recompute.NONE);
        long layers = spec.model().layers();
        for (boolean sp : sps) {
            for (int b : sizes) {
                int mb = (int) Math.max(1, replica / b);
                for (Pipeline.Schedule sched : schedules) {
                    List<Integer> vs = new ArrayList<>();
                    if (sched == Pipeline.Schedule.INTERLEAVED) {
                        for (int v = 2; v <= 8; v++) {
                            if ((long) pp * v > layers) break;
                            if (spec.virtualStages() == null || spec.virtualStages().contains(v)) vs.add(v);
                        }
                    } else if (spec.virtualStages() == null || spec.virtualStages().contains(1)) vs.add(1);
                    for (int v : vs) {
                        for (int z : zeros) {
                            for (Training.Recompute rc : recomputes) {
                                if (out != null) out.add(new Candidate(index + n, m, layout.experts(), sp, b, mb, sched, v, z, rc, batch));
                                n++;
                            }
                        }
                    }
                }
            }
        }
        return n;
    }

    @Override
    public Iterator<Candidate> iterator() {
        return new Iterator<>() {
            int mesh = 0;
            long index = 0;
            final java.util.ArrayDeque<Candidate> pending = new java.util.ArrayDeque<>();

            @Override
            public boolean hasNext() {
                while (pending.isEmpty() && mesh < meshes.size()) {
                    List<Candidate> out = new ArrayList<>();
                    index += inner(meshes.get(mesh++), out, index);
                    pending.addAll(out);
                }
                return !pending.isEmpty();
            }

            @Override
            public Candidate next() {
                if (!hasNext()) throw new NoSuchElementException();
                return pending.poll();
            }
        };
    }
}
