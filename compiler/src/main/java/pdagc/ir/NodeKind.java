package pdagc.ir;

/** How a node is drawn and counted: computation, communication, routing, normalization, input/output, backward, optimizer. */
public enum NodeKind {
    COMPUTE,
    COLLECTIVE,
    ROUTING,
    NORM,
    IO,
    /** A gradient of the backward pass. */
    BACKWARD,
    /** An optimizer step. */
    OPTIMIZER;

    public String json() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
