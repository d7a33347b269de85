package pdagc.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * is outside the view are left out. Drawings that lay out more than {@value #FAST_LAYOUT_SIZE}
 * nodes and edges together get the layout settings that keep {@code dot} fast on large graphs. The output is a pure function of the plan
 * and the selection.
 *
 * <p>A collective call with {@value #HUB_MEMBERS} or more members drawn is drawn through one hub
 * node: every member's producer has an edge into the hub and the hub one into every member's
 * collective node, 2n edges where the plan has n x n (each member's result depends on every
 * member's input). The hub stands for exactly those edges: it is drawn only where the plan's edges
 * into the call's drawn members are all the pairs of their sources and members, one kind of edge
 * at a time; otherwise the edges are drawn as they are.
 */
public final class DotBackend {
    /**
     * Above this many nodes and edges together (stubs and hubs counted) the graph asks {@code dot}
     * for its fast, rougher layout: on a one-lane chain of 1,338 nodes and 3,278 edges (DeepSeek's
     * roles view) these settings took viz.js from 7.1 s to 1.5 s, and native dot from 5.8 s to 0.8 s.
     */
    public static final int FAST_LAYOUT_SIZE = 2000;
    /** The fewest drawn members of a collective call that are drawn through a hub (at 2, a hub saves no edge). */
    public static final int HUB_MEMBERS = 3;
    static final String ROUTING_EDGE = "#b8860b";
    /** Schedule order between micro-batches on one GPU: grey, dotted, hollow arrow. */
    static final String ORDER_EDGE = "#888888";

    private DotBackend() {}

    /** The DOT text of {@code selection}. */
    public static String render(PlanDag plan, Selection selection) {
        return render(plan, selection, Layout.of(plan, selection));
    }

    /** The DOT text of {@code selection}, whose layout (from {@link #layout}) is {@code layout}. */
    public static String render(PlanDag plan, Selection selection, Layout layout) {
        StringBuilder b = new StringBuilder(256 + selection.size() * 160);
        try {
            write(plan, selection, layout, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toString();
    }

    /** Writes the DOT text of {@code selection} to {@code out}. */
    public static void write(PlanDag plan, Selection selection, Appendable out) throws IOException {
        write(plan, selection, Layout.of(plan, selection), out);
    }

    /**
     * The size of the graph that {@code dot} lays out for {@code selection}: its nodes (the plan's,
     * stubs and hubs) and its edges, as {@link #write} draws them.
     */
    public static Layout layout(PlanDag plan, Selection selection) {
        return Layout.of(plan, selection);
    }

    /** Writes the DOT text of {@code selection}, whose layout (from {@link #layout}) is {@code layout}, to {@code out}. */
    public static void write(PlanDag plan, Selection selection, Layout layout, Appendable out) throws IOException {
        if (layout.deployment != null) {
            layout.deployment.write(out);
            return;
        }
        Edges edges = layout.edges;
        TrainingMarks marks = TrainingMarks.of(plan);
        List<String> title = new ArrayList<>();
        title.add(plan.deployment() + ": view " + selection.view().spec());
        if (marks != null) {
            java.util.TreeSet<Integer> stages = new java.util.TreeSet<>();
            for (Selection.Lane lane : selection.lanes()) for (DagNode n : lane.nodes()) stages.add(marks.stageOf(n));
            title.addAll(marks.schedules(new ArrayList<>(stages)));
            title.add(TrainingMarks.legend());
        }
        out.append("digraph plan {\n");
        out.append("  graph [rankdir=TB labelloc=t label=")
                .append(DotText.quote(String.join("\n", title)));
        if (layout.nodes() + layout.edges() > FAST_LAYOUT_SIZE) {
            out.append(" newrank=true nslimit=0.1 nslimit1=0.1 mclimit=0.1 splines=false");
        }
        out.append("];\n");
        out.append("  node [fontsize=10];\n");
        for (Selection.Lane lane : selection.lanes()) writeLane(plan, lane, edges, marks, out);
        for (Hub hub : layout.hubs) writeHub(plan, hub, marks, out);
        for (DagEdge e : layout.direct) writeEdge("n" + e.from(), "n" + e.to(), e.kind(), out);
        for (Hub hub : layout.hubs) {
            for (int from : hub.sources) writeEdge("n" + from, hub.name(), hub.kind, out);
            for (int to : hub.targets) writeEdge(hub.name(), "n" + to, hub.kind, out);
        }
        out.append("}\n");
    }

    private static void writeEdge(String from, String to, EdgeKind kind, Appendable out) throws IOException {
        out.append("  ").append(from).append(" -> ").append(to);
        out.append(switch (kind) {
            case ROUTING -> " [style=dashed color=\"" + ROUTING_EDGE + "\"];\n";
            case ORDER -> " [style=dotted color=\"" + ORDER_EDGE + "\" arrowhead=empty];\n";
            case DATA -> ";\n";
        });
    }

    /** A hub: the call's op and name, its members' GPUs; drawn as its members are, with a double outline. */
    private static void writeHub(PlanDag plan, Hub hub, TrainingMarks marks, Appendable out) throws IOException {
        DagNode first = hub.first;
        NodeStyle style = NodeStyle.of(first, Palette.fill(plan, first.gpu()), marks != null && marks.afterForward(first));
        List<String> lines = new ArrayList<>();
        lines.add(first.op().name());
        if (!first.name().equals(first.op().name())) lines.add(first.name());
        lines.add(hub.gpus.size() + " members: " + GpuRanges.gpus(hub.gpus));
        out.append("  ").append(hub.name())
                .append(" [label=").append(DotText.quote(String.join("\n", lines)))
                .append(" shape=").append(style.shape())
                .append(" style=\"").append(style.style())
                .append("\" peripheries=2 fillcolor=\"").append(style.fill()).append("\"];\n");
    }

    private static void writeLane(PlanDag plan, Selection.Lane lane, Edges edges, TrainingMarks marks, Appendable out) throws IOException {
        out.append("  subgraph ").append(lane.cluster()).append(" {\n");
        out.append("    label=").append(DotText.quote(lane.title())).append(";\n");
        for (DagNode n : lane.nodes()) {
            writeNode(plan, n, marks, out);
            Stub stub = edges.stubs.get(n.index());
            if (stub != null) writeStub(n.index(), stub, out);
        }
        out.append("  }\n");
    }

    private static void writeNode(PlanDag plan, DagNode n, TrainingMarks marks, Appendable out) throws IOException {
        NodeStyle style = NodeStyle.of(n, Palette.fill(plan, n.gpu()), marks != null && marks.afterForward(n));
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

    /**
     * What {@code dot} lays out for one selection: the plan's drawn nodes, the stubs, the hubs, and
     * the edges: those drawn directly, those through hubs, and the stubs' own.
     */
    public static final class Layout {
        private final Edges edges;
        private final List<DagEdge> direct = new ArrayList<>();
        private final List<Hub> hubs = new ArrayList<>();
        private final int nodes;
        /** The deployment view, which lays itself out; null for the other views. */
        private final DeploymentView deployment;

        private Layout(PlanDag plan, Selection selection) {
            this.deployment = selection.deployment();
            if (deployment != null) {
                this.edges = null;
                this.nodes = deployment.nodes();
                return;
            }
            this.edges = Edges.of(plan, selection);
            Map<Integer, DagNode> drawn = new HashMap<>();
            for (Selection.Lane lane : selection.lanes()) for (DagNode n : lane.nodes()) drawn.put(n.index(), n);
            // The edges into the drawn members of each collective call, by call and kind, in the plan's order.
            Map<String, List<DagEdge>> calls = new LinkedHashMap<>();
            for (DagEdge e : edges.inside) {
                DagNode to = drawn.get(e.to());
                if (to.collective() == null) continue;
                calls.computeIfAbsent(to.collective() + "\u0000" + e.kind(), k -> new ArrayList<>()).add(e);
            }
            java.util.Set<DagEdge> viaHub = new java.util.HashSet<>();
            for (List<DagEdge> call : calls.values()) {
                TreeSet<Integer> sources = new TreeSet<>();
                TreeSet<Integer> targets = new TreeSet<>();
                java.util.Set<Long> pairs = new java.util.HashSet<>();
                for (DagEdge e : call) {
                    sources.add(e.from());
                    targets.add(e.to());
                    pairs.add(((long) e.from() << 32) | e.to());
                }
                if (targets.size() < HUB_MEMBERS || pairs.size() != (long) sources.size() * targets.size()) continue;
                DagNode first = drawn.get(targets.first());
                List<Integer> gpus = new ArrayList<>(new TreeSet<>(targets.stream().map(t -> drawn.get(t).gpu()).toList()));
                hubs.add(new Hub(first, List.copyOf(sources), List.copyOf(targets), call.get(0).kind(), gpus));
                viaHub.addAll(call);
            }
            for (DagEdge e : edges.inside) if (!viaHub.contains(e)) direct.add(e);
            this.nodes = selection.size() + edges.stubs.size() + hubs.size();
        }

        static Layout of(PlanDag plan, Selection selection) {
            return new Layout(plan, selection);
        }

        /** The nodes laid out: the plan's drawn nodes, the stubs and the hubs. */
        public int nodes() {
            return nodes;
        }

        /** The edges laid out: direct, through hubs, and from stubs. */
        public int edges() {
            if (deployment != null) return deployment.edges();
            int n = direct.size() + edges.stubs.size();
            for (Hub h : hubs) n += h.sources.size() + h.targets.size();
            return n;
        }

        /** The collective calls drawn through a hub. */
        public int hubs() {
            if (deployment != null) return deployment.hubs();
            return hubs.size();
        }
    }

    /** One collective call drawn through a hub: the sources and the members' nodes it joins, and their GPUs. */
    private record Hub(DagNode first, List<Integer> sources, List<Integer> targets, EdgeKind kind, List<Integer> gpus) {
        String name() {
            return "h" + first.index() + (kind == EdgeKind.DATA ? "" : "_" + kind.name().toLowerCase(java.util.Locale.ROOT));
        }
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
