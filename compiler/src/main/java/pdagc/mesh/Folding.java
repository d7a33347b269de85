package pdagc.mesh;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The common refinement of a strategy mesh and an expert mesh over the same GPUs of one pipeline
 * stage (the expert mesh does not include pp). Both number ranks row-major; an axis of either
 * covers a range of "strides" (products of the sizes of the axes minor to it). The union of both
 * meshes' stride boundaries must form a divisibility chain; each consecutive ratio is a factor
 * axis, named after the strategy axis it lies in ({@code tp}, or {@code tp.0}, {@code tp.1} when a
 * strategy axis is split). Extra cuts (strides inside an axis) split a factor further: grouped
 * key/value heads split over the major factor of tp that divides them ({@code tp 16} with 8
 * key/value heads: {@code tp.0 8 x tp.1 2}).
 */
public final class Folding {
    private Folding() {}

    /** The factor mesh and, for every axis of either mesh, its factors. */
    public record Result(Mesh factors, Map<String, List<String>> axes) {}

    public static Optional<Result> refine(Mesh mesh, Mesh experts) {
        return refine(mesh, experts, List.of());
    }

    /**
     * The refinement of a strategy mesh, an expert mesh (or null: only the strategy's axes) and
     * extra cuts: strides of one pipeline stage's rank numbering. A cut that does not nest with
     * the boundaries (including earlier cuts) is left out; empty when the expert mesh does not
     * fold the same GPUs.
     */
    public static Optional<Result> refine(Mesh mesh, Mesh experts, List<Long> cuts) {
        List<Mesh.Axis> inner = new ArrayList<>();
        for (Mesh.Axis a : mesh.axes()) if (!a.name().equals(MeshAxes.PP)) inner.add(a);
        TreeSet<Long> bounds = new TreeSet<>();
        bounds.addAll(boundaries(inner));
        if (experts != null) {
            bounds.addAll(boundaries(experts.axes()));
            if (product(inner) != product(experts.axes())) return Optional.empty();
        }
        if (!chain(bounds)) return Optional.empty();
        for (long cut : cuts) {
            Long below = bounds.floor(cut);
            Long above = bounds.ceiling(cut);
            if (below != null && above != null && cut % below == 0 && above % cut == 0) bounds.add(cut);
        }
        // Factors per strategy axis, major to minor.
        List<Mesh.Axis> factors = new ArrayList<>();
        Map<String, List<String>> axes = new LinkedHashMap<>();
        List<long[]> factorRanges = new ArrayList<>();
        long stride = product(inner);
        for (Mesh.Axis a : mesh.axes()) {
            if (a.name().equals(MeshAxes.PP)) {
                factors.add(a);
                axes.put(MeshAxes.PP, a.size() > 1 ? List.of(MeshAxes.PP) : List.of());
                continue;
            }
            long hi = stride;
            long lo = stride / a.size();
            List<Long> inside = new ArrayList<>(bounds.subSet(lo, false, hi, false).descendingSet());
            List<String> names = new ArrayList<>();
            long top = hi;
            List<Long> points = new ArrayList<>(inside);
            points.add(lo);
            int k = 0;
            for (long p : points) {
                String name = points.size() == 1 ? a.name() : a.name() + "." + k++;
                factors.add(new Mesh.Axis(name, (int) (top / p)));
                factorRanges.add(new long[] {p, top});
                if (top / p > 1) names.add(name);
                top = p;
            }
            axes.put(a.name(), names);
            stride = lo;
        }
        if (experts == null) return Optional.of(new Result(new Mesh(factors), axes));
        long estride = product(experts.axes());
        for (Mesh.Axis e : experts.axes()) {
            long hi = estride;
            long lo = estride / e.size();
            List<String> names = new ArrayList<>();
            int i = 0;
            for (Mesh.Axis f : factors) {
                if (f.name().equals(MeshAxes.PP)) continue;
                long[] r = factorRanges.get(i++);
                if (r[0] >= lo && r[1] <= hi && f.size() > 1) names.add(f.name());
            }
            axes.put(e.name(), names);
            estride = lo;
        }
        return Optional.of(new Result(new Mesh(factors), axes));
    }

    /** Whether each boundary divides the next. */
    private static boolean chain(TreeSet<Long> bounds) {
        long prev = 1;
        for (long b : bounds) {
            if (b % prev != 0) return false;
            prev = b;
        }
        return true;
    }

    private static List<Long> boundaries(List<Mesh.Axis> axes) {
        List<Long> out = new ArrayList<>();
        long p = 1;
        out.add(p);
        for (int i = axes.size() - 1; i >= 0; i--) {
            p *= axes.get(i).size();
            out.add(p);
        }
        return out;
    }

    private static long product(List<Mesh.Axis> axes) {
        long p = 1;
        for (Mesh.Axis a : axes) p *= a.size();
        return p;
    }
}
