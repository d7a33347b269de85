package pdagc.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import pdagc.dag.DagEdge;
import pdagc.dag.DagNode;
import pdagc.dag.EdgeKind;
import pdagc.dag.PlanDag;

/**
 * Writes one view of a plan as Graphviz DOT text, in the seed's drawing conventions (see
 * {@link NodeStyle}): one cluster per lane (GPU or role), every node labelled with its op, name,
 * GPU, local shapes and, for collectives, its group.
 *
 * <p>Edges between drawn nodes are drawn; routing edges are dashed. Edges that come from nodes
 * outside the view (a peer GPU's producer feeding a collective, the previous layer) are drawn from
 * one small stub per consumer, labelled with the GPUs they come from ({@code from GPUs 1-3}), so a
 * one-GPU view still shows who it exchanges with without pulling the peers in. Edges whose consumer
 * is outside the view are left out. Views over {@value #FAST_LAYOUT_NODES} nodes get the layout
 * settings that keep {@code dot} fast on large graphs. The output is a pure function of the plan
 * and the selection.
 */
public final class DotBackend {
    /** Above this many nodes the graph asks {@code dot} for its fast, rougher layout. */
    public static final int FAST_LAYOUT_NODES = 2000;
    static final String ROUTING_EDGE = "#b8860b";
    /** Schedule order between micro-batches on one GPU: grey, dotted, hollow arrow. */
    static final String ORDER_EDGE = "#888888";

    private DotBackend() {}

    /** The DOT text of {@code selection}. */
    public static String render(PlanDag plan, Selection selection) {
        StringBuilder b = new StringBuilder(256 + selection.size() * 160);
        try {
            write(plan, selection, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toString();
    }

    /** Writes the DOT text of {@code selection} to {@code out}. */
    public static void write(PlanDag plan, Selection selection, Appendable out) throws IOException {
        Edges edges = Edges.of(plan, selection);
        out.append("digraph plan {\n");
        out.append("  graph [rankdir=TB labelloc=t label=")
                .append(DotText.quote(plan.deployment() + ": view " + selection.view().spec()));
        if (selection.size() > FAST_LAYOUT_NODES) {
            out.append(" newrank=true nslimit=0.1 nslimit1=0.1 mclimit=0.1 splines=false");
        }
        out.append("];\n");
        out.append("  node [fontsize=10];\n");
        for (Selection.Lane lane : selection.lanes()) writeLane(plan, lane, edges, out);
        for (DagEdge e : edges.inside) {
            out.append("  n").append(Integer.toString(e.from())).append(" -> n").append(Integer.toString(e.to()));
            out.append(switch (e.kind()) {
                case ROUTING -> " [style=dashed color=\"" + ROUTING_EDGE + "\"];\n";
                case ORDER -> " [style=dotted color=\"" + ORDER_EDGE + "\" arrowhead=empty];\n";
                case DATA -> ";\n";
            });
        }
        out.append("}\n");
    }

    private static void writeLane(PlanDag plan, Selection.Lane lane, Edges edges, Appendable out) throws IOException {
        out.append("  subgraph ").append(lane.cluster()).append(" {\n");
        out.append("    label=").append(DotText.quote(lane.title())).append(";\n");
        for (DagNode n : lane.nodes()) {
            writeNode(plan, n, out);
            Stub stub = edges.stubs.get(n.index());
            if (stub != null) writeStub(n.index(), stub, out);
        }
        out.append("  }\n");
    }

    private static void writeNode(PlanDag plan, DagNode n, Appendable out) throws IOException {
        NodeStyle style = NodeStyle.of(n, Palette.fill(plan, n.gpu()));
        out.append("    n").append(Integer.toString(n.index()))
                .append(" [label=").append(DotText.quote(String.join("\n", NodeLabel.lines(n))))
                .append(" shape=").append(style.shape())
                .append(" style=\"").append(style.style())
                .append("\" fillcolor=\"").append(style.fill()).append("\"];\n");
    }

    private static void writeStub(int target, Stub stub, Appendable out) throws IOException {
        out.append("    s").append(Integer.toString(target))
                .append(" [label=").append(DotText.quote("from " + GpuRanges.gpus(new ArrayList<>(stub.gpus))))
                .append(" shape=plaintext fontsize=8];\n");
        out.append("    s").append(Integer.toString(target)).append(" -> n").append(Integer.toString(target))
                .append(stub.routing ? " [style=dashed color=\"" + ROUTING_EDGE + "\"];\n" : " [style=dotted];\n");
    }

    /** The GPUs whose nodes outside the view feed one drawn node, and whether any of those edges is routing. */
    private static final class Stub {
        final TreeSet<Integer> gpus = new TreeSet<>();
        boolean routing;
    }

    /** The plan's edges split by the view: drawn as they are, or gathered into stubs by consumer. */
    private static final class Edges {
        final List<DagEdge> inside = new ArrayList<>();
        final TreeMap<Integer, Stub> stubs = new TreeMap<>();

        static Edges of(PlanDag plan, Selection selection) {
            Edges edges = new Edges();
            if (!(plan instanceof PlanDag.ClosedForm closed)) {
                for (DagEdge e : plan.edges()) edges.add(plan, selection, e);
                return edges;
            }
            // With a closed form, only the edges into drawn nodes are made, in the plan's edge order.
            List<Integer> drawn = new ArrayList<>();
            for (Selection.Lane lane : selection.lanes()) for (DagNode n : lane.nodes()) drawn.add(n.index());
            drawn.sort(null);
            for (int node : drawn) for (int e : closed.edgesInto(node)) edges.add(plan, selection, plan.edges().get(e));
            return edges;
        }

        private void add(PlanDag plan, Selection selection, DagEdge e) {
            if (!selection.contains(e.to())) return;
            if (selection.contains(e.from())) {
                inside.add(e);
            } else if (e.kind() != EdgeKind.ORDER) {
                Stub stub = stubs.computeIfAbsent(e.to(), k -> new Stub());
                stub.gpus.add(plan.nodeGpu(e.from()));
                stub.routing |= e.kind() == EdgeKind.ROUTING;
            }
        }
    }
}
