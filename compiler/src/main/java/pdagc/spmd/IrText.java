package pdagc.spmd;

import java.util.List;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.ir.Op;
import pdagc.ir.Parallel;
import pdagc.mesh.Sharding;

/**
 * The deterministic text form of the IR after each pass, for goldens and {@code --print-ir-after}:
 * one line per op, {@code %id = op[attrs] @annotations (%inputs) : shape ... // path}.
 */
public final class IrText {
    private IrText() {}

    public static String logical(Graph g) {
        StringBuilder b = new StringBuilder();
        b.append("// pass: lower (").append(g.size()).append(" ops, dtype ").append(g.dtype().keyword()).append(")\n");
        for (Node n : g.nodes()) {
            head(b, n.id(), n.op(), n.parallel(), n.inputs());
            b.append(" : ").append(n.shape());
            if (g.original(n.id()) != n.id()) b.append("  recomputes=%").append(g.original(n.id()));
            tail(b, n.layer(), n.name());
        }
        return b.toString();
    }

    /** The logical IR after {@code pass}, with each value's sharding and each use's required one. */
    public static String sharded(String pass, Graph g, List<Sharding> output, List<List<Sharding>> required) {
        StringBuilder b = new StringBuilder();
        b.append("// pass: ").append(pass).append('\n');
        for (Node n : g.nodes()) {
            head(b, n.id(), n.op(), n.parallel(), n.inputs());
            b.append(" : ").append(n.shape()).append(' ').append(output.get(n.id()));
            List<Sharding> req = required.get(n.id());
            for (int i = 0; i < req.size(); i++) {
                b.append(i == 0 ? "  requires " : ", ").append('%').append(n.inputs().get(i)).append(' ').append(req.get(i));
            }
            tail(b, n.layer(), n.name());
        }
        return b.toString();
    }

    /** The SPMD program made by {@code pass}: every op with its sharding and local shape. */
    public static String spmd(String pass, SpmdProgram p) {
        StringBuilder b = new StringBuilder();
        b.append("// pass: ").append(pass).append(" (mesh ").append(p.mesh()).append(", ").append(p.nodes().size()).append(" ops in the program").append(p.pipeline().chunks() > 1 ? ", " + p.pipeline().chunks() + " pipeline chunks" : "").append(")\n");
        for (SpmdNode n : p.nodes()) {
            head(b, n.id(), n.op(), List.of(), n.inputs());
            b.append(" : ").append(n.shape()).append(' ').append(n.sharding()).append(" local ").append(n.local());
            if (p.pipeline().chunks() > 1) b.append("  chunk=").append(n.chunk());
            tail(b, n.layer(), n.name());
        }
        return b.toString();
    }

    private static void head(StringBuilder b, int id, Op op, List<Parallel> parallel, List<Integer> inputs) {
        b.append('%').append(id).append(" = ").append(op.name());
        if (!op.attributes().isEmpty()) b.append('[').append(op.attributes()).append(']');
        for (Parallel p : parallel) b.append(' ').append(p);
        b.append(" (");
        for (int i = 0; i < inputs.size(); i++) b.append(i > 0 ? ", %" : "%").append(inputs.get(i));
        b.append(')');
    }

    private static void tail(StringBuilder b, int layer, String name) {
        if (layer >= 0) b.append("  layer=").append(layer);
        b.append("  // ").append(name).append('\n');
    }
}
