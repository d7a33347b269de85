package pdagc.mesh;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A device mesh: ordered named axes whose sizes multiply to the GPU count. Ranks are numbered
 * row-major, last axis fastest, so the last axes (usually {@code tp}) fall inside a node.
 */
public record Mesh(List<Axis> axes) {

    /** One named axis of the mesh. */
    public record Axis(String name, int size) {}

    public Mesh {
        axes = List.copyOf(axes);
    }

    public int size() {
        int n = 1;
        for (Axis a : axes) n *= a.size();
        return n;
    }

    public boolean has(String axis) {
        return index(axis) >= 0;
    }

    /** The axis's size, 1 when the mesh does not have it. */
    public int size(String axis) {
        int i = index(axis);
        return i < 0 ? 1 : axes.get(i).size();
    }

    public int size(Collection<String> names) {
        int n = 1;
        for (String a : names) n *= size(a);
        return n;
    }

    public int index(String axis) {
        for (int i = 0; i < axes.size(); i++) if (axes.get(i).name().equals(axis)) return i;
        return -1;
    }

    public int[] coords(int rank) {
        int[] c = new int[axes.size()];
        for (int i = axes.size() - 1; i >= 0; i--) {
            c[i] = rank % axes.get(i).size();
            rank /= axes.get(i).size();
        }
        return c;
    }

    public int coord(int rank, String axis) {
        int i = index(axis);
        if (i < 0) return 0;
        int stride = 1;
        for (int j = axes.size() - 1; j > i; j--) stride *= axes.get(j).size();
        return rank / stride % axes.get(i).size();
    }

    public int rank(int[] coords) {
        int r = 0;
        for (int i = 0; i < axes.size(); i++) r = r * axes.get(i).size() + coords[i];
        return r;
    }

    /** The ranks that differ from {@code rank} only in the given axes, ascending. */
    public List<Integer> group(int rank, Collection<String> over) {
        int[] base = coords(rank);
        List<Integer> members = new ArrayList<>();
        collect(base, 0, over, members);
        members.sort(null);
        return members;
    }

    private void collect(int[] c, int axis, Collection<String> over, List<Integer> out) {
        if (axis == axes.size()) {
            out.add(rank(c));
            return;
        }
        if (!over.contains(axes.get(axis).name())) {
            collect(c, axis + 1, over, out);
            return;
        }
        int keep = c[axis];
        for (int v = 0; v < axes.get(axis).size(); v++) {
            c[axis] = v;
            collect(c, axis + 1, over, out);
        }
        c[axis] = keep;
    }

    /**
     * Member {@code m} (0-based, ascending rank order) of the group over {@code over} that holds
     * {@code rank}, without building the group: its coordinates on those axes are m's digits.
     */
    public int member(int rank, java.util.Collection<String> over, int m) {
        int result = rank;
        int rest = m;
        for (int i = axes.size() - 1; i >= 0; i--) {
            Axis a = axes.get(i);
            if (!over.contains(a.name())) continue;
            int digit = rest % a.size();
            rest /= a.size();
            result += (digit - coord(rank, a.name())) * stride(i);
        }
        return result;
    }

    /** The position of {@code rank} in its group over {@code over} in ascending rank order. */
    public int indexInSorted(int rank, java.util.Collection<String> over) {
        int i = 0;
        for (Axis a : axes) if (over.contains(a.name())) i = i * a.size() + coord(rank, a.name());
        return i;
    }

    private int stride(int axis) {
        int s = 1;
        for (int j = axes.size() - 1; j > axis; j--) s *= axes.get(j).size();
        return s;
    }

    /** The position of {@code rank} inside its group over the given axes, major-to-minor in the order given. */
    public int indexIn(int rank, List<String> over) {
        int i = 0;
        for (String a : over) i = i * size(a) + coord(rank, a);
        return i;
    }

    /** Identifies the group over {@code over} that holds {@code rank}: the coordinates of the other axes, linearized. */
    public int groupIndex(int rank, Collection<String> over) {
        int i = 0;
        for (Axis a : axes) if (!over.contains(a.name())) i = i * a.size() + coord(rank, a.name());
        return i;
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Axis a : axes) parts.add(a.name() + " " + a.size());
        return "[" + String.join(", ", parts) + "]";
    }
}
