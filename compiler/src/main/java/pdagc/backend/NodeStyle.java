package pdagc.backend;

import pdagc.dag.DagNode;

/**
 * How one DAG node is drawn, after the seed's conventions: ellipses for communication, boxes for
 * computation, parallelograms for routing and aggregation, diamonds for normalization, white
 * input/output; backward boxes dashed light blue, optimizer steps green octagons; all-reduce red, all-to-all orange, the router gold; everything else takes the light
 * colour of its expert group. One place decides this for every drawing backend.
 */
public record NodeStyle(String shape, String fill, String style) {
    static final String ALL_REDUCE = "#e06666";
    static final String ALL_TO_ALL = "#f6b26b";
    static final String ROUTER = "#ffd700";
    static final String IO = "#ffffff";
    static final String BACKWARD = "#cfe2f3";
    static final String OPTIMIZER = "#d9ead3";

    /** The style of {@code node}, whose expert group's colour is {@code groupFill}. */
    public static NodeStyle of(DagNode node, String groupFill) {
        return of(node, groupFill, false);
    }

    /**
     * As above; {@code afterForward}: the node belongs to a training step's backward pass or to its
     * once-per-step ops, and a node of another kind than backward, optimizer or io is drawn with a
     * dashed outline (a gradient's all-reduce, a recomputed op, a sum of gradients).
     */
    public static NodeStyle of(DagNode node, String groupFill, boolean afterForward) {
        NodeStyle s = base(node, groupFill);
        boolean own = switch (node.kind()) {
            case BACKWARD, OPTIMIZER, IO -> true;
            default -> false;
        };
        return afterForward && !own ? new NodeStyle(s.shape(), s.fill(), s.style() + ",dashed") : s;
    }

    private static NodeStyle base(DagNode node, String groupFill) {
        return switch (node.kind()) {
            case COLLECTIVE -> new NodeStyle("ellipse", collectiveFill(node.op(), groupFill), "filled");
            case COMPUTE -> new NodeStyle("box", groupFill, "filled");
            case ROUTING -> new NodeStyle("parallelogram", node.op() instanceof pdagc.ir.Op.Router ? ROUTER : groupFill, "filled");
            case NORM -> new NodeStyle("diamond", groupFill, "filled");
            case IO -> new NodeStyle("box", IO, "filled,rounded");
            case BACKWARD -> new NodeStyle("box", BACKWARD, "filled,dashed");
            case OPTIMIZER -> new NodeStyle("octagon", OPTIMIZER, "filled");
        };
    }

    private static String collectiveFill(pdagc.ir.Op op, String groupFill) {
        if (!(op instanceof pdagc.ir.Op.Collective c)) return groupFill;
        return switch (c.collective()) {
            case ALL_REDUCE -> ALL_REDUCE;
            case ALL_TO_ALL -> ALL_TO_ALL;
            case ALL_GATHER, REDUCE_SCATTER, SEND, RECV -> groupFill;
        };
    }
}
