package pdagc.mesh;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import pdagc.ir.Reduction;
import pdagc.ir.Shape;

/**
 * How a tensor value lies on the mesh: for each dimension, the mesh axes that split it (major to
 * minor, always in the mesh's axis order), and the axes over which the local values are partial
 * values, with how they combine ({@code reduction}: partial sums, or partial maxima). Axes of size
 * 1 never appear. Immutable.
 */
public record Sharding(List<List<String>> dims, List<String> partial, Reduction reduction) {

    public Sharding {
        List<List<String>> copy = new ArrayList<>();
        for (List<String> d : dims) copy.add(List.copyOf(d));
        dims = List.copyOf(copy);
        partial = List.copyOf(new TreeSet<>(partial));
        // A value that is not partial has no reduction to speak of: one form, so equal values compare equal.
        if (partial.isEmpty() || reduction == null) reduction = Reduction.SUM;
    }

    /** Partial sums over {@code partial}. */
    public Sharding(List<List<String>> dims, List<String> partial) {
        this(dims, partial, Reduction.SUM);
    }

    // equals and hashCode written out: a record's generated ones link through an invokedynamic
    // bootstrap that costs about 20 ms the first time in a cold JVM, on every command's path.
    @Override
    public boolean equals(Object o) {
        return o instanceof Sharding s && dims.equals(s.dims) && partial.equals(s.partial) && reduction == s.reduction;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dims.hashCode() + partial.hashCode()) + reduction.ordinal();
    }

    public static Sharding replicated(int rank) {
        List<List<String>> d = new ArrayList<>();
        for (int i = 0; i < rank; i++) d.add(List.of());
        return new Sharding(d, List.of());
    }

    public int rank() {
        return dims.size();
    }

    public List<String> axes(int dim) {
        return dims.get(dim);
    }

    /** The dimension split over {@code axis}, or -1. */
    public int dimOf(String axis) {
        for (int i = 0; i < dims.size(); i++) if (dims.get(i).contains(axis)) return i;
        return -1;
    }

    public boolean isPartial() {
        return !partial.isEmpty();
    }

    public Sharding withDim(int dim, List<String> axes) {
        List<List<String>> d = new ArrayList<>(dims);
        d.set(dim, axes);
        return new Sharding(d, partial, reduction);
    }

    /** Partial sums over {@code axes}. */
    public Sharding withPartial(List<String> axes) {
        return new Sharding(dims, axes, Reduction.SUM);
    }

    /** Partial values over {@code axes} that combine by {@code how}. */
    public Sharding withPartial(List<String> axes, Reduction how) {
        return new Sharding(dims, axes, how);
    }

    public Sharding noPartial() {
        return partial.isEmpty() ? this : new Sharding(dims, List.of());
    }

    /** Every axis this value is split over, in dimension order. */
    public List<String> splitAxes() {
        List<String> out = new ArrayList<>();
        for (List<String> d : dims) out.addAll(d);
        return out;
    }

    /**
     * The shape of one rank's shard: each dimension divided by the product of its axes' sizes
     * (rounded up; every dimension of a plan divides but the capacity of tokens bucketed by expert,
     * whose local shapes the partitioner lays out from the routed tokens instead).
     */
    public Shape local(Shape global, Mesh mesh) {
        long[] d = global.dims();
        for (int i = 0; i < d.length && i < dims.size(); i++) {
            long ways = mesh.size(dims.get(i));
            d[i] = (d[i] + ways - 1) / ways;
        }
        return new Shape(d);
    }

    /** The first dimension whose size the axes do not divide, or -1. */
    public int indivisibleDim(Shape global, Mesh mesh) {
        for (int i = 0; i < dims.size(); i++) if (global.dim(i) % mesh.size(dims.get(i)) != 0) return i;
        return -1;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < dims.size(); i++) {
            if (i > 0) b.append(',');
            b.append(dims.get(i).isEmpty() ? "_" : String.join("+", dims.get(i)));
        }
        b.append('}');
        if (!partial.isEmpty()) b.append(reduction == Reduction.SUM ? " partial(" : " partial_max(").append(String.join("+", partial)).append(')');
        return b.toString();
    }
}
