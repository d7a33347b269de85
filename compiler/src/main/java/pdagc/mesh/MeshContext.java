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
 * means {@code tp}.
 */
public final class MeshContext {
    private final Mesh factors;
    private final Map<String, List<String>> axes;
    private final boolean sequenceParallel;

    private MeshContext(Mesh factors, Map<String, List<String>> axes, boolean sequenceParallel) {
        this.factors = factors;
        this.axes = axes;
        this.sequenceParallel = sequenceParallel;
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
        Map<String, List<String>> axes = new LinkedHashMap<>();
        if (experts == null) {
            for (Mesh.Axis a : mesh.axes()) axes.put(a.name(), a.size() > 1 ? List.of(a.name()) : List.of());
            if (!axes.containsKey(MeshAxes.ETP)) axes.put(MeshAxes.ETP, axes.getOrDefault(MeshAxes.withoutExpertMesh(MeshAxes.ETP), List.of()));
            return Optional.of(new MeshContext(mesh, axes, sequenceParallel));
        }
        return Folding.refine(mesh, experts).map(f -> new MeshContext(f.factors(), f.axes(), sequenceParallel));
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
        return !factors.has(axis) && axes.containsKey(axis) && !axis.equals(MeshAxes.DP);
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
