package pdagc.front;

import java.util.List;

/**
 * The parallel axes a mesh may name, and which of them split the tokens of the non-expert parts
 * (data parallelism, and expert parallelism folded as extra data parallelism).
 */
public final class MeshAxes {
    private MeshAxes() {}

    public static final List<String> KNOWN = List.of("dp", "ep", "pp", "tp", "sp", "cp", "etp", "edp");

    /** Axes of an expert mesh: how the experts fold the same GPUs. */
    public static final List<String> EXPERT = List.of("edp", "ep", "etp");

    /** Axes that split the batch of the attention and dense parts, in the mesh's order. */
    public static final List<String> BATCH = List.of("dp", "ep", "edp");
}
