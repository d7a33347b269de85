package pdagc.mesh;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The mesh as the plan sees it. The strategy's mesh (attention and dense parts) and its
 * optional expert mesh fold the same GPUs in the same row-major order; their common refinement is
 * a mesh of factor axes, and every axis of either mesh is a list of factors: with attention
 * {@code [dp 80, tp 4]} and experts {@code [ep 320]}, ep is {@code [dp, tp]}. Shardings and
 * collectives are over factors, so groups stay exact whichever way the GPUs are folded. Without an
 * expert mesh, the factors are the strategy's axes, {@code ep} is an axis of it and {@code etp}
 * means {@code tp}. A context may also cut a factor where a grouped split needs it
 * ({@link #splitMajor}).
 */
public final class MeshContext {
    private final Mesh strategy;
    private final Mesh experts;
    private final List<Long> cuts;
    private final Mesh factors;
    private final Map<String, List<String>> axes;
    private final boolean sequenceParallel;

    private MeshContext(Mesh strategy, Mesh experts, List<Long> cuts, Folding.Result folded, boolean sequenceParallel) {
        this.strategy = strategy;
        this.experts = experts;
        this.cuts = List.copyOf(cuts);
        this.factors = folded.factors();
        this.axes = new LinkedHashMap<>(folded.axes());
        this.sequenceParallel = sequenceParallel;
        if (experts == null && !axes.containsKey(MeshAxes.ETP)) {
            axes.put(MeshAxes.ETP, axes.getOrDefault(MeshAxes.withoutExpertMesh(MeshAxes.ETP), List.of()));
        }
    }

    /** A single mesh, its axes their own factors. */
    public static MeshContext of(Mesh mesh) {
        return of(mesh, null, false).orElseThrow();
    }

    /**
     * The context for a strategy mesh and an expert mesh (or null); empty when the expert mesh
     * does not fold the same GPUs (its boundaries do not nest with the strategy's).
     */
    public static Optional<MeshContext> of(Mesh mesh, Mesh experts, boolean sequenceParallel) {
        return of(mesh, experts, sequenceParallel, List.of());
    }

    private static Optional<MeshContext> of(Mesh mesh, Mesh experts, boolean sequenceParallel, List<Long> cuts) {
        return Folding.refine(mesh, experts, cuts).map(f -> new MeshContext(mesh, experts, cuts, f, sequenceParallel));
    }

    public Mesh mesh() {
        return factors;
    }

    /** The factor axes an annotation's axis name means; empty when that axis has size 1 or is absent. */
    public List<String> resolve(String axis) {
        return axes.getOrDefault(axis, List.of());
    }

    /** The axes that split the batch of the attention and dense parts: dp, and ep when it is a strategy axis. */
    public List<String> batchAxes() {
        List<String> out = new ArrayList<>();
        for (String a : MeshAxes.BATCH) if (!isExpertOnly(a)) out.addAll(resolve(a));
        return ordered(out);
    }

    /** The axes that split the sequence everywhere: context parallelism. */
    public List<String> contextAxes() {
        return resolve(MeshAxes.CP);
    }

    /** The axes that also split the sequence between tensor-parallel regions: tp, under sequence parallelism. */
    public List<String> sequenceParallelAxes() {
        return sequenceParallel ? resolve(MeshAxes.TP) : List.of();
    }

    private boolean isExpertOnly(String axis) {
        return !strategy.has(axis) && axes.containsKey(axis) && !axis.equals(MeshAxes.DP);
    }

    /**
     * The leading factors of {@code axes} (major to minor) whose sizes multiply to a divisor of
     * {@code n}. A dimension of n groups split over {@code axes} gives each rank whole groups only
     * when the axes' size divides n; otherwise the ranks that share a block of these leading
     * factors, which are consecutive in the split, can share whole groups: split over them and
     * replicated over the rest.
     */
    public List<String> majorFactors(List<String> axes, long n) {
        List<String> out = new ArrayList<>();
        long rest = n;
        for (String a : axes) {
            int s = factors.size(a);
            if (rest % s != 0) break;
            rest /= s;
            out.add(a);
        }
        return out;
    }

    /**
     * This context with a factor of {@code axes} cut where their major factor of size
     * gcd(size, n) ends, so that {@link #majorFactors} finds it whole: with {@code tp 16} and
     * n = 8, tp becomes {@code tp.0 8 x tp.1 2}. Unchanged when no factor needs a cut or the cut
     * does not nest with the folding's boundaries (the major factors are then the largest run that
     * divides n).
     */
    public MeshContext splitMajor(List<String> axes, long n) {
        long rest = n;
        for (String a : axes) {
            int s = factors.size(a);
            long d = gcd(rest, s);
            if (d == s) {
                rest /= s;
                continue;
            }
            if (d == 1) return this;
            List<Long> more = new ArrayList<>(cuts);
            more.add(stride(a) * (s / d));
            return of(strategy, experts, sequenceParallel, more).orElse(this);
        }
        return this;
    }

    /**
     * Whether the given factors all lie in one axis of the strategy's mesh ({@code tp.0} and
     * {@code tp.1} of a folded or cut tp): one collective over them is one over (part of) that
     * axis's group, as it would be without the folding.
     */
    public boolean oneAxis(Collection<String> names) {
        for (Mesh.Axis a : strategy.axes()) if (resolve(a.name()).containsAll(names)) return true;
        return false;
    }

    /** A factor's stride in one pipeline stage's rank numbering (pp left out). */
    private long stride(String factor) {
        long stride = 1;
        for (int i = factors.axes().size() - 1; i >= 0; i--) {
            Mesh.Axis a = factors.axes().get(i);
            if (a.name().equals(factor)) return stride;
            if (!a.name().equals(MeshAxes.PP)) stride *= a.size();
        }
        throw new IllegalArgumentException("no factor " + factor);
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** The given axes that exist in the mesh, in the mesh's order. */
    public List<String> ordered(Collection<String> names) {
        List<String> out = new ArrayList<>();
        for (Mesh.Axis a : factors.axes()) if (a.size() > 1 && names.contains(a.name())) out.add(a.name());
        return out;
    }

    public List<String> without(List<String> from, Collection<String> remove) {
        List<String> out = new ArrayList<>(from);
        out.removeAll(remove);
        return out;
    }

    public List<String> union(Collection<String> a, Collection<String> b) {
        List<String> out = new ArrayList<>(a);
        for (String x : b) if (!out.contains(x)) out.add(x);
        return ordered(out);
    }

    public List<String> without(List<String> from, String axis) {
        return without(from, List.of(axis));
    }

    public List<String> with(List<String> from, String axis) {
        return union(from, List.of(axis));
    }
}
