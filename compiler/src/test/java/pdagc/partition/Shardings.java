package pdagc.partition;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import pdagc.mesh.Mesh;
import pdagc.mesh.Sharding;

/** Test helpers: shardings and meshes written the way pdagc prints them. */
final class Shardings {
    private Shardings() {}

    /** Reads {@code "{_,tp+cp,_} partial(dp)"}, the form of {@link Sharding#toString()}. */
    static Sharding s(String text) {
        String t = text.trim();
        int close = t.indexOf('}');
        if (!t.startsWith("{") || close < 0) throw new IllegalArgumentException(text);
        List<List<String>> dims = new ArrayList<>();
        for (String d : t.substring(1, close).split(",", -1)) {
            d = d.trim();
            dims.add(d.equals("_") ? List.of() : Arrays.asList(d.split("\\+")));
        }
        List<String> partial = List.of();
        String rest = t.substring(close + 1).trim();
        if (!rest.isEmpty()) {
            if (!rest.startsWith("partial(") || !rest.endsWith(")")) throw new IllegalArgumentException(text);
            partial = Arrays.asList(rest.substring("partial(".length(), rest.length() - 1).split("\\+"));
        }
        return new Sharding(dims, partial);
    }

    /** {@code mesh("tp", 2, "cp", 2)}. */
    static Mesh mesh(Object... nameSize) {
        List<Mesh.Axis> axes = new ArrayList<>();
        for (int i = 0; i < nameSize.length; i += 2) axes.add(new Mesh.Axis((String) nameSize[i], (Integer) nameSize[i + 1]));
        return new Mesh(axes);
    }
}
