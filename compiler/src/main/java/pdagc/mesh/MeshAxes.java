package pdagc.mesh;

import java.util.List;

/**
 * The parallel axes a mesh may name, what each means where the plan's behaviour depends on it,
 * and which of them split the tokens of the non-expert parts (data parallelism, and expert
 * parallelism folded as extra data parallelism). Code that decides by an axis names it here.
 */
public final class MeshAxes {
    private MeshAxes() {}

    /** Data parallelism: replicas of the whole model over the batch. */
    public static final String DP = "dp";
    /** Expert parallelism: the experts split; elsewhere, more data parallelism. */
    public static final String EP = "ep";
    /** Pipeline parallelism: layers split into stages; never splits a size. */
    public static final String PP = "pp";
    /** Tensor parallelism: weights split within a layer. */
    public static final String TP = "tp";
    /** Not a mesh axis: sequence parallelism is the strategy's {@code sequence_parallel} over tp. */
    public static final String SP = "sp";
    /** Context parallelism: the sequence split for every op. */
    public static final String CP = "cp";
    /** Expert tensor parallelism, an axis of the expert mesh. */
    public static final String ETP = "etp";
    /** Expert data parallelism, an axis of the expert mesh. */
    public static final String EDP = "edp";

    public static final List<String> KNOWN = List.of(DP, EP, PP, TP, SP, CP, ETP, EDP);

    /** Axes of an expert mesh: how the experts fold the same GPUs. */
    public static final List<String> EXPERT = List.of(EDP, EP, ETP);

    /** Axes that split the batch of the attention and dense parts, in the mesh's order. */
    public static final List<String> BATCH = List.of(DP, EP, EDP);

    /**
     * The strategy's axis that an axis means when there is no expert mesh: {@code etp} means
     * {@code tp} (the experts split as the attention does); every other axis means itself.
     */
    public static String withoutExpertMesh(String axis) {
        return axis.equals(ETP) ? TP : axis;
    }
}
