package pdagc.validate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.SimpleDirectedGraph;
import org.jgrapht.traverse.TopologicalOrderIterator;
import pdagc.dag.DagEdge;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.ir.CollectiveKind;
import pdagc.ir.NodeKind;
import pdagc.ir.Shape;

/**
 * validate: the checks of design section 5 on a per-GPU DAG, run before every backend. The DAG is
 * built plainly in JGraphT and checked for cycles once by topological sort. Every collective group
 * must agree on op, size, shapes and order (so no member waits on a call its peers never make),
 * shapes must agree along edges, every GPU must be used. Returns the problems found; an empty list
 * means the plan is valid. A problem here is a compiler bug, not a user error.
 */
public final class Validate {
    public static final String NAME = "validate";

    private Validate() {}

    public static List<String> run(PlanDag dag) {
        List<String> problems = new ArrayList<>();
        acyclic(dag, problems);
        nodesComplete(dag, problems);
        shapesAlongEdges(dag, problems);
        collectives(dag, problems);
        return problems;
    }

    private static void acyclic(PlanDag dag, List<String> problems) {
        Graph<Integer, DefaultEdge> g = new SimpleDirectedGraph<>(DefaultEdge.class);
        for (DagNode n : dag.nodes()) g.addVertex(n.index());
        for (DagEdge e : dag.edges()) {
            if (e.from() == e.to()) {
                problems.add("self edge on " + dag.nodes().get(e.from()).id());
                return;
            }
            g.addEdge(e.from(), e.to());
        }
        int seen = 0;
        for (TopologicalOrderIterator<Integer, DefaultEdge> it = new TopologicalOrderIterator<>(g); it.hasNext(); it.next()) seen++;
        if (seen != g.vertexSet().size()) problems.add("the DAG has a cycle: " + (g.vertexSet().size() - seen) + " nodes cannot be ordered");
    }

    private static void nodesComplete(PlanDag dag, List<String> problems) {
        boolean[] used = new boolean[dag.gpus().size()];
        for (DagNode n : dag.nodes()) {
            if (n.gpu() < 0 || n.gpu() >= used.length) problems.add(n.id() + " has no valid GPU");
            else used[n.gpu()] = true;
            if (n.output() == null || n.output().rank() == 0) problems.add(n.id() + " has no output shape");
        }
        for (int g = 0; g < used.length; g++) if (!used[g]) problems.add("GPU " + g + " runs nothing");
    }

    private static void shapesAlongEdges(PlanDag dag, List<String> problems) {
        for (DagEdge e : dag.edges()) {
            DagNode from = dag.nodes().get(e.from());
            DagNode to = dag.nodes().get(e.to());
            if (!to.inputs().contains(from.output())) {
                problems.add("shape " + from.output() + " of " + from.id() + " is not an input of " + to.id() + " " + to.inputs());
            }
        }
        for (DagNode n : dag.nodes()) {
            if (n.kind() != NodeKind.COLLECTIVE) continue;
            Shape in = n.inputs().get(0);
            Shape expected = CollectiveShapes.output(n, in);
            if (expected != null && !expected.equals(n.output())) {
                problems.add(n.id() + ": " + n.op() + " of " + in + " over " + n.group().size() + " GPUs should give " + expected + ", gives " + n.output());
            }
        }
    }

    private static void collectives(PlanDag dag, List<String> problems) {
        Map<String, List<DagNode>> byId = new TreeMap<>();
        Map<Integer, List<String>> sequence = new HashMap<>();
        for (DagNode n : dag.nodes()) {
            if (n.kind() != NodeKind.COLLECTIVE) continue;
            byId.computeIfAbsent(n.collective(), k -> new ArrayList<>()).add(n);
            sequence.computeIfAbsent(n.gpu(), k -> new ArrayList<>()).add(n.collective());
        }
        for (Map.Entry<String, List<DagNode>> e : byId.entrySet()) {
            List<DagNode> members = e.getValue();
            DagNode first = members.get(0);
            List<Integer> gpus = new ArrayList<>();
            for (DagNode m : members) gpus.add(m.gpu());
            gpus.sort(null);
            if (!gpus.equals(first.group())) problems.add("collective " + e.getKey() + " runs on GPUs " + gpus + " but names group " + first.group());
            for (DagNode m : members) {
                if (!m.op().equals(first.op()) || !m.group().equals(first.group()) || !m.inputs().equals(first.inputs())) {
                    problems.add("collective " + e.getKey() + " differs between GPU " + first.gpu() + " and GPU " + m.gpu());
                }
            }
        }
        // Per group, every member must issue that group's collectives in the same order.
        Map<List<Integer>, List<String>> orderOfGroup = new HashMap<>();
        for (DagNode n : dag.nodes()) {
            if (n.kind() != NodeKind.COLLECTIVE || n.gpu() != n.group().get(0)) continue;
            orderOfGroup.computeIfAbsent(n.group(), k -> new ArrayList<>()).add(n.collective());
        }
        Map<List<Integer>, Map<Integer, List<String>>> perMember = new HashMap<>();
        for (DagNode n : dag.nodes()) {
            if (n.kind() != NodeKind.COLLECTIVE) continue;
            perMember.computeIfAbsent(n.group(), k -> new HashMap<>()).computeIfAbsent(n.gpu(), k -> new ArrayList<>()).add(n.collective());
        }
        for (Map.Entry<List<Integer>, Map<Integer, List<String>>> e : perMember.entrySet()) {
            List<String> reference = orderOfGroup.get(e.getKey());
            for (Map.Entry<Integer, List<String>> m : e.getValue().entrySet()) {
                if (!m.getValue().equals(reference)) {
                    problems.add("GPU " + m.getKey() + " issues the collectives of group " + e.getKey() + " in another order than GPU "
                            + e.getKey().get(0) + " (deadlock)");
                }
            }
        }
    }

    /** Expected output shapes of collectives, from the op and the group size. */
    static final class CollectiveShapes {
        private CollectiveShapes() {}

        static Shape output(DagNode n, Shape in) {
            int size = n.group().size();
            CollectiveKind kind = null;
            for (CollectiveKind k : CollectiveKind.values()) if (k.opName().equals(n.op())) kind = k;
            if (kind == null || kind == CollectiveKind.ALL_REDUCE) return in;
            return null;
        }
    }
}
