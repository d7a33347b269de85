package pdagc.ir;

/** How a node is drawn and counted: computation, communication, routing, normalization, input/output. */
public enum NodeKind {
    COMPUTE,
    COLLECTIVE,
    ROUTING,
    NORM,
    IO;

    public String json() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
