package pdagc.partition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import pdagc.front.MeshAxes;
import pdagc.mesh.Mesh;

/**
 * What the partitioner needs to know about the mesh: which axes exist (size > 1), which split the
 * batch, and which mesh axis an annotation's axis name means ({@code etp} is {@code tp} unless the
 * mesh names an expert-tensor axis of its own).
 */
public record MeshContext(Mesh mesh) {

    /** The mesh axis an annotation names, or null when that axis has size 1 (no split). */
    public String resolve(String axis) {
        String a = axis.equals("etp") && !mesh.has("etp") ? "tp" : axis;
        return mesh.size(a) > 1 ? a : null;
    }

    public List<String> batchAxes() {
        return ordered(MeshAxes.BATCH);
    }

    /** The given axes that exist in the mesh, in the mesh's order. */
    public List<String> ordered(Collection<String> axes) {
        List<String> out = new ArrayList<>();
        for (Mesh.Axis a : mesh.axes()) if (a.size() > 1 && axes.contains(a.name())) out.add(a.name());
        return out;
    }

    public List<String> without(List<String> axes, String axis) {
        List<String> out = new ArrayList<>(axes);
        out.remove(axis);
        return out;
    }

    public List<String> with(List<String> axes, String axis) {
        List<String> out = new ArrayList<>(axes);
        if (!out.contains(axis)) out.add(axis);
        return ordered(out);
    }
}
