package pdagc.backend;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import pdagc.dag.DagEdge;
import pdagc.dag.DagNode;
import pdagc.dag.EdgeKind;
import pdagc.dag.PlanDag;
import pdagc.dag.Schedules;
import pdagc.ir.Op;

/**
 * The deployment view: how a plan sits on its cluster. The cluster's nodes are boxes holding their
 * GPUs; each GPU is a box titled with its mesh coordinates, its experts and its pipeline stage, and
 * holds one layer's operators (micro-batch 0) in the seed's shapes and colours ({@link NodeStyle}).
 * A collective call with {@value DotBackend#HUB_MEMBERS} or more drawn members, or with members not
 * drawn, is one hub node (double outline) with an edge from each drawn member's input and one to
 * each drawn member's result (as {@link DotBackend} draws hubs); a pair inside the drawing keeps its
 * edges. Where a call joins GPUs on different cluster nodes it crosses the network and its hub and
 * edges are blue and bold; inside one node (NVLink) they are green, and the hub sits in the node's
 * box. The pipeline's transfers between stages are edges from a GPU's box to its peer's.
 *
 * <p>What is not drawn is summarized with its count: the other layers in the title ("x 15 more
 * layers like this"), the GPUs of a drawn node beyond those drawn (a note in the node's box) and
 * the other nodes (a note in a dashed box per group), each saying which drawn GPUs they repeat and
 * by which coordinates they differ ({@code nodes 2-7: same as node 0, GPUs differ by their ep
 * coordinate (ep 4-15)}); a hub has a dashed edge to the notes of its members not drawn.
 *
 * <p>{@link #fit} draws as much as the budget allows: up to {@value #FULL_NODES} cluster nodes in
 * full (node 0, and the first node whose GPUs run other roles than node 0's, else node 1), then
 * one node, then fewer GPUs of each drawn node, halving; the counts are those of the drawing, so a
 * 1,024-GPU plan draws the same few GPUs as a 64-GPU one and summarizes the rest.
 */
final class DeploymentView {
    /** At most this many cluster nodes are drawn in full. */
    static final int FULL_NODES = 2;
    /** Edges and hubs of calls that cross the network between cluster nodes. */
    static final String NETWORK = "#1155cc";
    /** Edges and hubs of calls whose GPUs share one cluster node (NVLink). */
    static final String NVLINK = "#38761d";
    /**
     * Graphviz's crossing-minimization passes, as a fraction of its default: more passes move
     * whole boxes out of order to save a few crossings (the long-context example's node 1 left of
     * node 0 in viz.js; with hubs for pairs, the folded Mixtral's GPUs 0, 2, 1, 3); this few keeps
     * the order {@link #order} sets, in native dot and viz.js alike.
     */
    static final String MCLIMIT = "0.01";
    /** A node list in a note longer than this is cut, with the count kept. */
    private static final int LIST_CHARS = 48;

    private final PlanDag plan;
    private final DeploymentFacts facts;
    private final View.Deployment view;
    private final int[] drawnLayer;
    private final List<Integer> fullNodes;
    private final int perNode;
    /** The drawn GPUs, by cluster node in drawing order. */
    private final Map<Integer, List<Integer>> drawnGpus = new LinkedHashMap<>();
    private final Selection selection;
    private final List<Note> notes = new ArrayList<>();
    /** A training step's marks (its backward pass, its schedules), or null. */
    private final TrainingMarks marks;
    /** Per GPU: the index in {@link #notes} of the note that stands for it, -1 when it is drawn. */
    private final int[] noteOf;
    private final List<Hub> hubs = new ArrayList<>();
    private final List<String> edges = new ArrayList<>();
    /** The invisible sources that keep the boxes in order (see {@link #order}). */
    private int sources;
    private final List<Integer> placeholders = new ArrayList<>();
    private final int nodes;

    /** A summary of GPUs not drawn: its DOT cluster (or null: it sits in a drawn node's box), its title and its text. */
    private record Note(String name, Integer box, String title, List<String> lines) {}

    /** One collective call drawn as a hub. */
    private record Hub(String name, DagNode first, List<Integer> members, boolean network, Integer box, int drawn) {}

    private DeploymentView(PlanDag plan, DeploymentFacts facts, View.Deployment view, int[] drawnLayer, List<Integer> fullNodes, int perNode) {
        this.plan = plan;
        this.facts = facts;
        this.marks = TrainingMarks.of(plan);
        this.view = view;
        this.drawnLayer = drawnLayer;
        this.fullNodes = fullNodes;
        this.perNode = perNode;
        this.noteOf = new int[facts.gpus];
        Arrays.fill(noteOf, -1);
        for (int n : fullNodes) {
            List<Integer> all = facts.gpusOfNode.get(n);
            drawnGpus.put(n, List.copyOf(all.subList(0, Math.min(perNode, all.size()))));
        }
        this.selection = new Selection(view, lanes(), this);
        summarize();
        edgesAndHubs();
        transfers();
        order();
        this.nodes = selection.size() + placeholders.size() + notes.size() + hubs.size() + sources;
    }

    /**
     * The deployment view of {@code plan} that fits {@code budget} with the most drawn, or the
     * smallest one when none fits (see {@link Views#fits}); empty when no GPU runs the layer asked for.
     */
    static Optional<DeploymentView> fit(PlanDag plan, View.Deployment view, int budget) {
        DeploymentFacts facts = DeploymentFacts.of(plan);
        if (facts.gpus == 0 || facts.gpusOfNode.isEmpty()) return Optional.empty();
        int[] layers = facts.drawnLayers(view.layer());
        if (Arrays.stream(layers).allMatch(l -> l < 0)) return Optional.empty();
        List<Integer> chosen = chooseNodes(facts);
        int most = 0;
        for (int n : chosen) most = Math.max(most, facts.gpusOfNode.get(n).size());
        DeploymentView smallest = null;
        for (int m = most; ; m = (m + 1) / 2) {
            for (int k = chosen.size(); k >= 1; k--) {
                DeploymentView d = new DeploymentView(plan, facts, view, layers, chosen.subList(0, k), m);
                if (Views.fits(d.layout(), budget)) return Optional.of(d);
                smallest = d;
            }
            if (m == 1) return Optional.of(smallest);
        }
    }

    /** Node 0, then the first node whose GPUs run other roles than node 0's, else node 1. */
    private static List<Integer> chooseNodes(DeploymentFacts facts) {
        List<Integer> chosen = new ArrayList<>(List.of(0));
        int count = facts.gpusOfNode.size();
        if (count == 1 || FULL_NODES == 1) return chosen;
        List<Integer> first = roles(facts, 0);
        int other = 1;
        for (int n = 1; n < count; n++) {
            if (!roles(facts, n).equals(first)) {
                other = n;
                break;
            }
        }
        chosen.add(other);
        return chosen;
    }

    private static List<Integer> roles(DeploymentFacts facts, int node) {
        List<Integer> r = new ArrayList<>();
        for (int g : facts.gpusOfNode.get(node)) r.add(facts.roleOf[g]);
        return r;
    }

    Selection selection() {
        return selection;
    }

    /** What this drawing lays out, for the budget and the user. */
    DotBackend.Layout layout() {
        return DotBackend.layout(plan, selection);
    }

    int nodes() {
        return nodes;
    }

    int edges() {
        return edges.size();
    }

    int hubs() {
        return hubs.size();
    }

    /** The drawn GPUs, ascending. */
    List<Integer> gpus() {
        List<Integer> all = new ArrayList<>();
        drawnGpus.values().forEach(all::addAll);
        all.sort(null);
        return all;
    }

    /** The cluster nodes drawn (in full or in part), ascending. */
    List<Integer> clusterNodes() {
        return new ArrayList<>(new TreeSet<>(fullNodes));
    }

    int clusterNodeCount() {
        return facts.gpusOfNode.size();
    }

    /** The layers drawn on the drawn GPUs, ascending: one per pipeline stage drawn. */
    List<Integer> drawnLayers() {
        TreeSet<Integer> layers = new TreeSet<>();
        for (int g : gpus()) if (drawnLayer[facts.stageOf[g]] >= 0) layers.add(drawnLayer[facts.stageOf[g]]);
        return new ArrayList<>(layers);
    }

    int gpuCount() {
        return facts.gpus;
    }

    // ---- what is drawn

    private List<Selection.Lane> lanes() {
        Map<Integer, List<DagNode>> byGpu = new HashMap<>();
        Set<Integer> drawn = new TreeSet<>(gpus());
        if (plan instanceof PlanDag.ClosedForm closed) {
            Schedules s = closed.schedules();
            for (int g : drawn) {
                int st = facts.stageOf[g];
                List<DagNode> nodes = new ArrayList<>();
                byGpu.put(g, nodes);
                if (drawnLayer[st] < 0) continue;
                long first = s.firstNode(g);
                for (int k = 0; k < s.length(st); k++) {
                    if (s.microBatch(st, k) == 0 && s.op(st, k).layer() == drawnLayer[st]) nodes.add(plan.nodes().get((int) (first + k)));
                }
            }
        } else {
            for (int g : drawn) byGpu.put(g, new ArrayList<>());
            for (DagNode n : plan.nodes()) {
                List<DagNode> nodes = byGpu.get(n.gpu());
                if (nodes != null && n.microBatch() == 0 && n.layer() >= 0 && n.layer() == drawnLayer[facts.stageOf[n.gpu()]]) nodes.add(n);
            }
        }
        List<Selection.Lane> lanes = new ArrayList<>();
        for (List<Integer> gpus : drawnGpus.values()) {
            for (int g : gpus) {
                lanes.add(new Selection.Lane("cluster_gpu" + g, String.join("\n", gpuTitle(g)), byGpu.get(g)));
                if (byGpu.get(g).isEmpty()) placeholders.add(g);
            }
        }
        return lanes;
    }

    /** {@code GPU 5}, {@code ep 1, tp 1}, {@code experts 2-3}, {@code stage 0: layers 0-15}. */
    private List<String> gpuTitle(int g) {
        List<String> lines = new ArrayList<>();
        lines.add("GPU " + g);
        String coords = facts.coords(g);
        if (!coords.isEmpty()) lines.add(coords);
        String experts = facts.expertsText(g);
        if (experts != null) lines.add(experts);
        if (facts.stageCount > 1) lines.add(facts.stageText(facts.stageOf[g]));
        return lines;
    }

    // ---- what is summarized

    /** The notes for the GPUs of drawn nodes beyond those drawn, then for the nodes not drawn. */
    private void summarize() {
        for (int n : fullNodes) {
            List<Integer> all = facts.gpusOfNode.get(n);
            List<Integer> shown = drawnGpus.get(n);
            if (all.size() == shown.size()) continue;
            // Each GPU beyond those drawn against the drawn GPU at its position modulo the drawn count.
            Map<String, List<Integer>> groups = new LinkedHashMap<>();
            Map<String, List<Integer>> refs = new HashMap<>();
            for (int i = shown.size(); i < all.size(); i++) {
                int g = all.get(i);
                int ref = shown.get(i % shown.size());
                String key = key(List.of(g), List.of(ref));
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(g);
                refs.computeIfAbsent(key, k -> new ArrayList<>()).add(ref);
            }
            for (var e : groups.entrySet()) {
                List<Integer> gpus = e.getValue();
                List<Integer> ref = refs.get(e.getKey());
                String title = GpuRanges.gpus(gpus);
                List<String> lines = new ArrayList<>();
                lines.add(title + ", " + count(gpus.size(), "more GPU") + " of node " + n);
                lines.addAll(difference(gpus, ref, "same as " + GpuRanges.gpus(new ArrayList<>(new TreeSet<>(ref)))));
                addNote(null, n, null, lines, gpus);
            }
        }
        Set<Integer> full = new TreeSet<>(fullNodes);
        // Every node not drawn, grouped by the drawn node it repeats and the axes it differs by.
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        Map<String, Integer> refOf = new HashMap<>();
        for (int n = 0; n < facts.gpusOfNode.size(); n++) {
            if (full.contains(n)) continue;
            int ref = referenceNode(n);
            String key = ref + "|" + key(facts.gpusOfNode.get(n), aligned(n, ref));
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
            refOf.put(key, ref);
        }
        for (var e : groups.entrySet()) {
            List<Integer> nodes = e.getValue();
            int ref = refOf.get(e.getKey());
            List<Integer> gpus = new ArrayList<>();
            List<Integer> refs = new ArrayList<>();
            for (int n : nodes) {
                gpus.addAll(facts.gpusOfNode.get(n));
                refs.addAll(aligned(n, ref));
            }
            String title = (nodes.size() == 1 ? "node " : "nodes ") + list(nodes);
            List<String> lines = new ArrayList<>();
            String ids = range(new ArrayList<>(new TreeSet<>(gpus)));
            lines.add(count(gpus.size(), "GPU") + (ids.length() <= LIST_CHARS ? " (" + ids + ")" : ""));
            lines.addAll(difference(gpus, refs, "same as node " + ref));
            String name = "cluster_nodes" + nodes.get(0) + (nodes.size() > 1 ? "_" + nodes.get(nodes.size() - 1) : "");
            addNote(name, null, title + (nodes.size() > 1 ? " (" + nodes.size() + " nodes)" : ""), lines, gpus);
        }
    }

    private void addNote(String cluster, Integer box, String title, List<String> lines, List<Integer> gpus) {
        int k = notes.size();
        notes.add(new Note(cluster, box, title, lines));
        for (int g : gpus) noteOf[g] = k;
    }

    /** The first fully drawn node whose GPUs run the roles of node {@code n}'s, position for position; else the first drawn. */
    private int referenceNode(int n) {
        List<Integer> roles = roles(facts, n);
        for (int d : fullNodes) {
            List<Integer> ref = roles(facts, d);
            if (ref.size() >= roles.size() && ref.subList(0, roles.size()).equals(roles)) return d;
        }
        return fullNodes.get(0);
    }

    /** The GPUs of node {@code ref} at the positions of node {@code n}'s GPUs (cycling when {@code ref} has fewer). */
    private List<Integer> aligned(int n, int ref) {
        List<Integer> gpus = facts.gpusOfNode.get(n);
        List<Integer> r = facts.gpusOfNode.get(ref);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < gpus.size(); i++) out.add(r.get(i % r.size()));
        return out;
    }

    /** What sets GPUs apart from their references: the axes they differ on, and whether all run their reference's role. */
    private String key(List<Integer> gpus, List<Integer> refs) {
        return differingAxes(gpus, refs) + "|" + sameRoles(gpus, refs);
    }

    private List<String> differingAxes(List<Integer> gpus, List<Integer> refs) {
        List<String> axes = new ArrayList<>();
        for (var a : facts.axes().entrySet()) {
            for (int i = 0; i < gpus.size(); i++) {
                if (facts.coord(gpus.get(i), a.getValue()) != facts.coord(refs.get(i), a.getValue())) {
                    axes.add(a.getKey());
                    break;
                }
            }
        }
        return axes;
    }

    private boolean sameRoles(List<Integer> gpus, List<Integer> refs) {
        for (int i = 0; i < gpus.size(); i++) if (facts.roleOf[gpus.get(i)] != facts.roleOf[refs.get(i)]) return false;
        return true;
    }

    /**
     * The lines of a note: whether the GPUs run their references' programs, the coordinates they
     * differ by and their values, their experts, and their stages when they run other ones.
     */
    private List<String> difference(List<Integer> gpus, List<Integer> refs, String sameAs) {
        List<String> lines = new ArrayList<>();
        List<String> axes = differingAxes(gpus, refs);
        boolean same = sameRoles(gpus, refs);
        lines.add(same ? sameAs + "," : sameAs.replace("same as", "laid out as") + ", other programs;");
        if (!axes.isEmpty()) {
            List<String> values = new ArrayList<>();
            for (String a : axes) {
                TreeSet<Integer> v = new TreeSet<>();
                for (int g : gpus) v.add(facts.coord(g, facts.axes().get(a)));
                values.add(a + " " + list(new ArrayList<>(v)));
            }
            String what = axes.size() == 1 ? "their " + axes.get(0) + " coordinate" : "their " + String.join(" and ", axes) + " coordinates";
            lines.add("GPUs differ by " + what + " (" + String.join(", ", values) + ")");
        }
        TreeSet<Long> experts = new TreeSet<>();
        boolean all = false;
        for (int g : gpus) {
            long[] e = facts.experts(g);
            if (e == null) continue;
            if (e[1] >= e[2]) all = true;
            else for (long x = e[0]; x < e[0] + e[1]; x++) experts.add(x);
        }
        if (all) lines.add("all experts each");
        else if (!experts.isEmpty()) lines.add((experts.size() == 1 ? "expert " : "experts ") + listLong(experts));
        if (!same && facts.stageCount > 1) {
            TreeSet<Integer> stages = new TreeSet<>();
            for (int g : gpus) stages.add(facts.stageOf[g]);
            if (stages.size() == 1) lines.add(facts.stageText(stages.first()));
            else lines.add("stages " + list(new ArrayList<>(stages)));
        }
        return lines;
    }

    // ---- edges and hubs

    /**
     * The edges among the drawn nodes: those into a collective's members gathered into one hub per
     * call when they are all the pairs of their sources and members (as {@link DotBackend} does),
     * the others drawn as they are; edges from nodes not drawn are left out (the previous layer,
     * and the members not drawn, whose notes the hub is joined to).
     */
    private void edgesAndHubs() {
        Map<Integer, DagNode> drawn = new HashMap<>();
        for (Selection.Lane lane : selection.lanes()) for (DagNode n : lane.nodes()) drawn.put(n.index(), n);
        Map<String, List<DagEdge>> calls = new LinkedHashMap<>();
        Map<String, List<DagNode>> members = new LinkedHashMap<>();
        List<DagEdge> direct = new ArrayList<>();
        for (DagEdge e : inEdges(drawn)) {
            DagNode to = drawn.get(e.to());
            if (!drawn.containsKey(e.from())) continue;
            if (to.collective() != null) calls.computeIfAbsent(to.collective(), k -> new ArrayList<>()).add(e);
            else direct.add(e);
        }
        List<Integer> order = new ArrayList<>(drawn.keySet());
        order.sort(null);
        for (int i : order) {
            DagNode n = drawn.get(i);
            if (n.collective() != null) members.computeIfAbsent(n.collective(), k -> new ArrayList<>()).add(n);
        }
        for (var call : members.entrySet()) {
            List<DagEdge> in = calls.getOrDefault(call.getKey(), List.of());
            TreeSet<Integer> sources = new TreeSet<>();
            Set<Long> pairs = new HashSet<>();
            Set<EdgeKind> kinds = new HashSet<>();
            for (DagEdge e : in) {
                sources.add(e.from());
                pairs.add(((long) e.from() << 32) | e.to());
                kinds.add(e.kind());
            }
            List<DagNode> targets = call.getValue();
            DagNode first = targets.get(0);
            List<Integer> group = first.group() == null ? List.of(first.gpu()) : first.group();
            boolean complete = kinds.size() <= 1 && pairs.size() == (long) sources.size() * targets.size();
            boolean outside = group.stream().anyMatch(g -> g >= noteOf.length || noteOf[g] >= 0);
            if (!complete || (targets.size() < DotBackend.HUB_MEMBERS && !outside)) {
                direct.addAll(in);
                continue;
            }
            EdgeKind kind = kinds.isEmpty() ? EdgeKind.DATA : kinds.iterator().next();
            boolean network = spansNodes(group);
            Integer box = null;
            if (!network) {
                int node = facts.nodeOf[group.get(0)];
                if (drawnGpus.containsKey(node)) box = node;
            }
            Hub hub = new Hub("h" + first.index(), first, group, network, box, targets.size());
            hubs.add(hub);
            for (int s : sources) edges.add(edge("n" + s, hub.name(), kind, linkOf(network)));
            for (DagNode t : targets) edges.add(edge(hub.name(), "n" + t.index(), kind, linkOf(network)));
            Set<Integer> joined = new TreeSet<>();
            for (int g : group) if (g < noteOf.length && noteOf[g] >= 0) joined.add(noteOf[g]);
            for (int note : joined) {
                edges.add("  " + hub.name() + " -> " + noteName(note) + " [dir=both style=dashed arrowsize=0.6 color=\""
                        + (network ? NETWORK : NVLINK) + "\"" + (network ? " penwidth=2" : "") + "];\n");
            }
        }
        for (DagEdge e : direct) {
            DagNode from = drawn.get(e.from());
            DagNode to = drawn.get(e.to());
            String link = from.gpu() == to.gpu() ? null : linkOf(facts.nodeOf[from.gpu()] != facts.nodeOf[to.gpu()]);
            edges.add(edge("n" + e.from(), "n" + e.to(), e.kind(), link));
        }
    }

    /**
     * Keeps the boxes in order, left to right: GPUs by id inside a node's box, the drawn nodes,
     * then the notes. Graphviz first places clusters in the order a breadth-first walk from a
     * source meets them (edges between clusters within one rank do not order them, and the walk
     * starts from the sources in an order that differs between versions), and with few
     * crossing-minimization passes ({@link #MCLIMIT}) keeps it. So each drawn node's box gets one
     * invisible source with an edge to each of its GPUs' first ops in GPU order, and one invisible
     * source above all an edge to each box's source, then to each note. They are laid out, so
     * counted.
     */
    private void order() {
        int roots = 0;
        for (var box : drawnGpus.entrySet()) {
            String root = "r" + box.getKey();
            for (int g : box.getValue()) {
                Selection.Lane lane = laneOf(g);
                String first = lane.nodes().isEmpty() ? "p" + g : "n" + lane.nodes().get(0).index();
                edges.add("  " + root + " -> " + first + " [style=invis];\n");
            }
            edges.add("  root -> " + root + " [style=invis];\n");
            roots++;
        }
        for (int k = 0; k < notes.size(); k++) if (notes.get(k).box() == null) edges.add("  root -> " + noteName(k) + " [style=invis];\n");
        sources = roots + 1;
    }

    private Selection.Lane laneOf(int gpu) {
        for (Selection.Lane lane : selection.lanes()) if (lane.cluster().equals("cluster_gpu" + gpu)) return lane;
        throw new IllegalArgumentException("GPU " + gpu + " is not drawn");
    }

    /**
     * The pipeline's point-to-point transfers of the drawn GPUs, which the layers drawn do not hold:
     * one edge from each drawn GPU's last op to the first op of each GPU it sends activations to
     * (or to the note that stands for that GPU), coloured by the link it crosses. The edges do not
     * rank the boxes ({@code constraint=false}): the stages stay side by side.
     */
    private void transfers() {
        Map<Integer, TreeSet<Integer>> peers = new TreeMap<>();
        if (plan instanceof PlanDag.ClosedForm closed) {
            Schedules s = closed.schedules();
            Map<Integer, List<Op.Transfer>> sends = new HashMap<>();
            for (int g : gpus()) {
                int st = facts.stageOf[g];
                List<Op.Transfer> ts = sends.computeIfAbsent(st, k -> {
                    List<Op.Transfer> out = new ArrayList<>();
                    for (int p = 0; p < s.length(k); p++) {
                        if (s.microBatch(k, p) == 0 && s.op(k, p).op() instanceof Op.Transfer t && t.send()) out.add(t);
                    }
                    return out;
                });
                for (Op.Transfer t : ts) peers.computeIfAbsent(g, k -> new TreeSet<>()).add(s.peerOfTransfer(g, t));
            }
        } else {
            Set<Integer> drawn = new TreeSet<>(gpus());
            for (DagNode n : plan.nodes()) {
                if (!drawn.contains(n.gpu()) || n.microBatch() != 0 || !(n.op() instanceof Op.Transfer t) || !t.send() || n.group() == null) continue;
                for (int peer : n.group()) if (peer != n.gpu()) peers.computeIfAbsent(n.gpu(), k -> new TreeSet<>()).add(peer);
            }
        }
        for (var e : peers.entrySet()) {
            int g = e.getKey();
            String from = anchor(g, false);
            Set<String> done = new TreeSet<>();
            for (int peer : e.getValue()) {
                if (peer < 0 || peer >= facts.gpus) continue;
                String to = noteOf[peer] >= 0 ? noteName(noteOf[peer]) : anchor(peer, true);
                if (!done.add(to)) continue;
                boolean network = facts.nodeOf[g] != facts.nodeOf[peer];
                edges.add("  " + from + " -> " + to + " [constraint=false style=bold color=\"" + linkOf(network) + "\" penwidth="
                        + (network ? "2.5" : "1.5") + " xlabel=\"pipeline send\" fontsize=12 fontcolor=\"" + linkOf(network) + "\"];\n");
            }
        }
    }

    /** The node a drawn GPU's box is joined by: its first or last op, or its placeholder. */
    private String anchor(int gpu, boolean first) {
        List<DagNode> nodes = laneOf(gpu).nodes();
        if (nodes.isEmpty()) return "p" + gpu;
        return "n" + nodes.get(first ? 0 : nodes.size() - 1).index();
    }

    private static String linkOf(boolean network) {
        return network ? NETWORK : NVLINK;
    }

    private boolean spansNodes(List<Integer> group) {
        int node = -1;
        for (int g : group) {
            int n = g < facts.nodeOf.length ? facts.nodeOf[g] : -2;
            if (node == -1) node = n;
            else if (n != node) return true;
        }
        return false;
    }

    /** The edges into the drawn nodes, in the plan's edge order. */
    private List<DagEdge> inEdges(Map<Integer, DagNode> drawn) {
        List<DagEdge> in = new ArrayList<>();
        if (plan instanceof PlanDag.ClosedForm closed) {
            List<Integer> order = new ArrayList<>(drawn.keySet());
            order.sort(null);
            for (int node : order) for (int e : closed.edgesInto(node)) in.add(plan.edges().get(e));
            return in;
        }
        for (DagEdge e : plan.edges()) if (drawn.containsKey(e.to())) in.add(e);
        return in;
    }

    /** An edge, styled by its kind and, between GPUs, by the link it crosses ({@code link}: null on one GPU). */
    private static String edge(String from, String to, EdgeKind kind, String link) {
        List<String> attrs = new ArrayList<>();
        switch (kind) {
            case ROUTING -> attrs.add("style=dashed color=\"" + DotBackend.ROUTING_EDGE + "\"");
            case ORDER -> attrs.add("style=dotted color=\"" + DotBackend.ORDER_EDGE + "\" arrowhead=empty");
            case DATA -> {
                if (link != null) attrs.add("color=\"" + link + "\"" + (link.equals(NETWORK) ? " penwidth=2.5" : " penwidth=1.5"));
            }
        }
        return "  " + from + " -> " + to + (attrs.isEmpty() ? "" : " [" + String.join(" ", attrs) + "]") + ";\n";
    }

    private static String noteName(int note) {
        return "note" + note;
    }

    // ---- text

    /** The title's lines: the deployment, the layers drawn and summarized, the micro-batch, the legend. */
    private List<String> title() {
        List<String> lines = new ArrayList<>();
        int nodeCount = facts.gpusOfNode.size();
        int perNodeMax = 0;
        for (List<Integer> g : facts.gpusOfNode) perNodeMax = Math.max(perNodeMax, g.size());
        lines.add(plan.deployment() + ": " + count(facts.gpus, "GPU") + " on " + count(nodeCount, "node")
                + (nodeCount > 1 ? " of " + perNodeMax : "") + ", mesh " + facts.mesh + " (view " + view.spec() + ")");
        boolean moe = facts.moeModel();
        TreeSet<Integer> drawnStages = new TreeSet<>();
        for (int g : gpus()) drawnStages.add(facts.stageOf[g]);
        List<Integer> notDrawn = new ArrayList<>();
        for (int st = 0; st < facts.stageCount; st++) {
            if (!drawnStages.contains(st)) {
                notDrawn.add(st);
                continue;
            }
            DeploymentFacts.Stage s = facts.stages.get(st);
            String who = facts.stageCount == 1 ? "every GPU" : "stage " + st;
            int layer = drawnLayer[st];
            if (layer < 0) {
                if (!s.layers.isEmpty()) lines.add(who + " runs " + layers(s.layers) + ", not drawn");
                continue;
            }
            List<Integer> alike = facts.alike(st, layer);
            StringBuilder b = new StringBuilder(who + ": layer " + layer + (moe ? (s.moe.contains(layer) ? " (MoE)" : " (dense)") : "") + " drawn");
            if (!alike.isEmpty()) b.append(", x ").append(alike.size()).append(" more ").append(alike.size() == 1 ? "layer" : "layers")
                    .append(" like this (").append(range(alike)).append(")");
            List<Integer> other = new ArrayList<>();
            for (int l : s.layers) if (l != layer && !alike.contains(l)) other.add(l);
            if (!other.isEmpty()) {
                boolean dense = moe && other.stream().noneMatch(s.moe::contains);
                b.append("; ").append(layers(other)).append(dense ? " dense" : " unlike it").append(", not drawn");
            }
            List<String> outside = new ArrayList<>();
            if (s.before > 0) outside.add(count(s.before, "op") + " before the first layer");
            if (s.after > 0) outside.add((s.before > 0 ? s.after + "" : count(s.after, "op")) + " after the last");
            if (!outside.isEmpty()) b.append("; ").append(String.join(" and ", outside)).append(", not drawn");
            lines.add(b.toString());
        }
        if (!notDrawn.isEmpty()) lines.add((notDrawn.size() == 1 ? "stage " : "stages ") + range(notDrawn) + ": on GPUs not drawn (the notes)");
        if (marks != null) {
            List<Integer> all = new ArrayList<>();
            for (int st = 0; st < facts.stageCount; st++) all.add(st);
            lines.addAll(marks.schedules(all));
            lines.add("micro-batch 0" + (facts.microBatches > 1 ? " of " + facts.microBatches : "")
                    + " drawn: its forward and backward pass, and the ops that run once per step" + (facts.microBatches > 1 ? "; the others run the same ops" : ""));
            lines.add(TrainingMarks.legend());
        } else if (facts.microBatches > 1) {
            lines.add("micro-batch 0 of " + facts.microBatches + " drawn; the others run the same ops");
        }
        lines.add("collectives: one hub (double outline) per call, an edge per drawn member; blue, bold: crosses the network between nodes;"
                + " green: NVLink inside a node; dashed: to members not drawn");
        return lines;
    }

    private static String layers(List<Integer> layers) {
        return (layers.size() == 1 ? "layer " : "layers ") + GpuRanges.format(layers);
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    /** {@code 2-7}, {@code 0-1}, {@code 0,4,...,60}: {@link GpuRanges#format}, a consecutive pair as a range. */
    static String range(List<Integer> ids) {
        if (ids.size() == 2 && ids.get(1) == ids.get(0) + 1) return ids.get(0) + "-" + ids.get(1);
        return GpuRanges.format(ids);
    }

    /** {@code 2-7}, cut after its first items ({@code 18-31,34-47,...}) when long: the callers give the count. */
    private static String list(List<Integer> ids) {
        String text = range(ids);
        if (text.length() <= LIST_CHARS) return text;
        int cut = text.lastIndexOf(',', LIST_CHARS);
        return text.substring(0, Math.max(cut, 1)) + ",...";
    }

    private static String listLong(TreeSet<Long> ids) {
        if (ids.last() - ids.first() + 1 == ids.size()) return ids.size() == 1 ? Long.toString(ids.first()) : ids.first() + "-" + ids.last();
        List<Integer> small = new ArrayList<>();
        for (long x : ids) small.add((int) x);
        return list(small);
    }

    // ---- DOT

    void write(Appendable out) throws IOException {
        out.append("digraph plan {\n");
        // mclimit: few crossing-minimization passes, which keep the boxes in the order order() gives them.
        out.append("  graph [rankdir=TB labelloc=t fontsize=24 newrank=true mclimit=" + MCLIMIT + " label=").append(DotText.quote(String.join("\n", title())));
        if (nodes + edges.size() > DotBackend.FAST_LAYOUT_SIZE) out.append(" nslimit=0.1 nslimit1=0.1 splines=false");
        out.append("];\n");
        out.append("  node [fontsize=10];\n");
        Map<Integer, List<Hub>> boxedHubs = new TreeMap<>();
        for (Hub h : hubs) if (h.box() != null) boxedHubs.computeIfAbsent(h.box(), k -> new ArrayList<>()).add(h);
        Map<Integer, List<Integer>> boxedNotes = new TreeMap<>();
        for (int k = 0; k < notes.size(); k++) if (notes.get(k).box() != null) boxedNotes.computeIfAbsent(notes.get(k).box(), x -> new ArrayList<>()).add(k);
        for (var box : drawnGpus.entrySet()) {
            int n = box.getKey();
            List<Integer> all = facts.gpusOfNode.get(n);
            out.append("  subgraph cluster_node").append(Integer.toString(n)).append(" {\n");
            out.append("    label=").append(DotText.quote("node " + n + ": " + (all.size() == 1 ? "GPU " : "GPUs ") + range(all)))
                    .append("; fontsize=32; style=\"rounded,filled\"; fillcolor=\"#f3f3f3\"; color=\"#666666\"; penwidth=2;\n");
            out.append("    r").append(Integer.toString(n)).append(" [shape=point style=invis width=0 height=0];\n");
            for (int g : box.getValue()) writeLane(laneOf(g), g, out);
            for (int k : boxedNotes.getOrDefault(n, List.of())) writeNote(k, "    ", out);
            for (Hub h : boxedHubs.getOrDefault(n, List.of())) writeHub(h, "    ", out);
            out.append("  }\n");
        }
        for (int k = 0; k < notes.size(); k++) {
            Note note = notes.get(k);
            if (note.box() != null) continue;
            out.append("  subgraph ").append(note.name()).append(" {\n");
            out.append("    label=").append(DotText.quote(note.title()))
                    .append("; fontsize=32; style=\"rounded,dashed\"; color=\"#666666\"; penwidth=2;\n");
            writeNote(k, "    ", out);
            out.append("  }\n");
        }
        for (Hub h : hubs) if (h.box() == null) writeHub(h, "  ", out);
        out.append("  root [shape=point style=invis width=0 height=0];\n");
        for (String e : edges) out.append(e);
        out.append("}\n");
    }

    private void writeLane(Selection.Lane lane, int gpu, Appendable out) throws IOException {
        out.append("    subgraph ").append(lane.cluster()).append(" {\n");
        out.append("      label=").append(DotText.quote(lane.title())).append("; fontsize=18; style=\"filled\"; fillcolor=\"#ffffff\"; color=\"#999999\";\n");
        for (DagNode n : lane.nodes()) {
            NodeStyle style = NodeStyle.of(n, Palette.fill(plan, n.gpu()), marks != null && marks.afterForward(n));
            out.append("      n").append(Integer.toString(n.index()))
                    .append(" [label=").append(DotText.quote(String.join("\n", label(n))))
                    .append(" tooltip=").append(DotText.quote(String.join("\n", NodeLabel.lines(n))))
                    .append(" shape=").append(style.shape())
                    .append(" style=\"").append(style.style())
                    .append("\" fillcolor=\"").append(style.fill()).append("\"];\n");
        }
        if (lane.nodes().isEmpty()) {
            int st = facts.stageOf[gpu];
            out.append("      p").append(Integer.toString(gpu)).append(" [label=")
                    .append(DotText.quote("runs " + layers(facts.stages.get(st).layers) + ",\nnot the layer drawn")).append(" shape=plaintext];\n");
        }
        out.append("    }\n");
    }

    /** An op drawn in a GPU's box: its op, its name within the layer, its local output shape. */
    static List<String> label(DagNode n) {
        List<String> lines = new ArrayList<>();
        lines.add(n.op().name());
        String name = DeploymentFacts.withinLayer(n.name(), n.layer());
        if (!name.equals(n.op().name())) lines.add(name);
        lines.add(n.output().toString());
        return lines;
    }

    private void writeNote(int k, String indent, Appendable out) throws IOException {
        Note note = notes.get(k);
        out.append(indent).append(noteName(k)).append(" [label=").append(DotText.quote(String.join("\n", note.lines())))
                .append(" shape=note style=\"filled\" fillcolor=\"#ffffff\" fontsize=24];\n");
    }

    private void writeHub(Hub hub, String indent, Appendable out) throws IOException {
        DagNode first = hub.first();
        NodeStyle style = NodeStyle.of(first, Palette.fill(plan, first.gpu()), marks != null && marks.afterForward(first));
        List<String> lines = new ArrayList<>();
        String name = DeploymentFacts.withinLayer(first.name(), first.layer());
        String op = first.op().name();
        if (name.endsWith("." + op)) name = name.substring(0, name.length() - op.length() - 1);
        lines.add(name.equals(op) ? op : op + " " + name);
        List<Integer> group = hub.members();
        String ids = list(group);
        lines.add((group.size() == 1 ? "GPU " : "GPUs ") + ids + (hub.drawn() < group.size() ? " (" + hub.drawn() + " of " + group.size() + " drawn)"
                : ids.endsWith("...") ? " (" + group.size() + ")" : ""));
        TreeSet<Integer> clusterNodes = new TreeSet<>();
        for (int g : group) if (g < facts.nodeOf.length) clusterNodes.add(facts.nodeOf[g]);
        lines.add(hub.network() ? "network: " + count(clusterNodes.size(), "node") : "NVLink");
        String color = hub.network() ? NETWORK : NVLINK;
        out.append(indent).append(hub.name())
                .append(" [label=").append(DotText.quote(String.join("\n", lines)))
                .append(" shape=").append(style.shape())
                .append(" style=\"").append(style.style())
                .append("\" peripheries=2 color=\"").append(color).append("\"").append(hub.network() ? " penwidth=2 fontsize=14" : " fontsize=12")
                .append(" fillcolor=\"").append(style.fill()).append("\"];\n");
    }
}
