package pdagc.javagen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pdagc.ir.Shape;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Sharding;

/**
 * A program's mesh coordinates as Java expressions: the pipeline stage is a constant of the
 * program, every other axis a field the program is constructed with. From them, the offsets of a
 * rank's shards are written as arithmetic over the fields (row-major blocks, as the evaluator's
 * layout places them), so that one class serves every rank of its stage.
 */
final class Coordinates {
    private final Mesh mesh;
    private final int stage;
    private final Map<String, String> fields = new LinkedHashMap<>();

    /** The coordinates of a program of {@code stage}, its fields named in {@code scope}. */
    Coordinates(Mesh mesh, int stage, JavaNames.Scope scope) {
        this.mesh = mesh;
        this.stage = stage;
        for (Mesh.Axis a : mesh.axes()) if (!a.name().equals(MeshAxes.PP)) fields.put(a.name(), scope.claim(a.name()));
    }

    /** The axes the program is constructed with, in mesh order, and their field names. */
    Map<String, String> fields() {
        return fields;
    }

    /** The coordinate of {@code axis} as an expression. */
    String of(String axis) {
        if (axis.equals(MeshAxes.PP)) return Integer.toString(stage);
        String f = fields.get(axis);
        if (f == null) throw new IllegalStateException("no mesh axis " + axis);
        return f;
    }

    /** Every coordinate in mesh order, with the pipeline stage replaced by {@code ppStage}. */
    List<String> all(int ppStage) {
        List<String> out = new ArrayList<>();
        for (Mesh.Axis a : mesh.axes()) out.add(a.name().equals(MeshAxes.PP) ? Integer.toString(ppStage) : of(a.name()));
        return out;
    }

    /**
     * The block a rank holds of a dimension split over {@code axes}, major to minor, each
     * coordinate times the product of the sizes of the axes after it: {@code dp * 2 + ep},
     * {@code tp_0 * 4 + tp_1 * 2 + tp_2}.
     */
    String block(List<String> axes) {
        if (axes.isEmpty()) return "0";
        List<String> terms = new ArrayList<>();
        for (int i = 0; i < axes.size(); i++) {
            long stride = mesh.size(axes.subList(i + 1, axes.size()));
            terms.add(stride == 1 ? of(axes.get(i)) : of(axes.get(i)) + " * " + number(stride));
        }
        return String.join(" + ", terms);
    }

    /** The offset of a rank's block of dimension {@code dim} of a value of shape {@code global} sharded as {@code s}. */
    String offset(Sharding s, int dim, Shape global) {
        List<String> axes = s.axes(dim);
        if (axes.isEmpty()) return "0";
        long stride = global.dim(dim) / mesh.size(axes);
        String block = block(axes);
        if (stride == 1) return block;
        return (axes.size() > 1 ? "(" + block + ")" : block) + " * " + number(stride);
    }

    /** {@code new long[] {...}} of the offsets of every dimension. */
    String offsets(Sharding s, Shape global) {
        List<String> parts = new ArrayList<>();
        for (int d = 0; d < global.rank(); d++) parts.add(offset(s, d, global));
        return longs(parts);
    }

    /** {@code new long[] {...}} of a shape's dimensions. */
    static String dims(Shape shape) {
        List<String> parts = new ArrayList<>();
        for (long d : shape.dims()) parts.add(number(d));
        return longs(parts);
    }

    static String longs(List<String> parts) {
        return "new long[] {" + String.join(", ", parts) + "}";
    }

    /** A numeric literal: an int where it fits, a long otherwise. */
    static String number(long v) {
        return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? Long.toString(v) : v + "L";
    }
}
