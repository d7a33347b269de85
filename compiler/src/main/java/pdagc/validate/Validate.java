package pdagc.validate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.SimpleDirectedGraph;
import pdagc.dag.DagEdge;
import pdagc.dag.DagNode;
import pdagc.dag.EdgeKind;
import pdagc.dag.PlanDag;
import pdagc.ir.CollectiveKind;
import pdagc.ir.NodeKind;

/**
 * validate: the checks of design section 5 on a per-GPU DAG, run before every backend. The DAG is
 * built plainly in JGraphT and checked for cycles once by topological sort. Every collective group
 * must agree on op, size, shapes and order (so no member waits on a call its peers never make),
 * shapes must agree along edges, every GPU must be used, and every GPU's schedule must run to its
 * end when collectives are rendezvous (no deadlock). Returns the problems found; an empty list
 * means the plan is valid. A problem here is a compiler bug, not a user error.
 */
public final class Validate {
    public static final String NAME = "validate";

    private Validate() {}

    public static List<String> run(PlanDag plan) {
        PlanDag dag = plan.snapshot();
        List<String> problems = new ArrayList<>();
        acyclic(dag, problems);
        nodesComplete(dag, problems);
        shapesAlongEdges(dag, problems);
        collectives(dag, problems);
        if (problems.isEmpty()) schedule(dag, problems);
        return problems;
    }

    /**
     * Kahn's algorithm over arrays (plans reach millions of edges); when some nodes cannot be
     * ordered, JGraphT's cycle detector names nodes that lie on a cycle among them.
     */
    private static void acyclic(PlanDag dag, List<String> problems) {
        int n = dag.nodes().size();
        int[] indegree = new int[n];
        int[] outStart = new int[n + 1];
        for (DagEdge e : dag.edges()) {
            if (e.from() == e.to()) {
                problems.add("self edge on " + dag.nodes().get(e.from()).id());
                return;
            }
            indegree[e.to()]++;
            outStart[e.from() + 1]++;
        }
        for (int i = 0; i < n; i++) outStart[i + 1] += outStart[i];
        int[] out = new int[outStart[n]];
        int[] fill = outStart.clone();
        for (DagEdge e : dag.edges()) out[fill[e.from()]++] = e.to();
        int[] queue = new int[n];
        int head = 0;
        int tail = 0;
        for (int i = 0; i < n; i++) if (indegree[i] == 0) queue[tail++] = i;
        while (head < tail) {
            int v = queue[head++];
            for (int k = outStart[v]; k < outStart[v + 1]; k++) if (--indegree[out[k]] == 0) queue[tail++] = out[k];
        }
        if (tail == n) return;
        Graph<Integer, DefaultEdge> rest = new SimpleDirectedGraph<>(DefaultEdge.class);
        for (int i = 0; i < n; i++) if (indegree[i] > 0) rest.addVertex(i);
        for (DagEdge e : dag.edges()) if (indegree[e.from()] > 0 && indegree[e.to()] > 0) rest.addEdge(e.from(), e.to());
        List<String> onCycle = new ArrayList<>();
        for (int v : new org.jgrapht.alg.cycle.CycleDetector<>(rest).findCycles()) {
            if (onCycle.size() < 4) onCycle.add(dag.nodes().get(v).id());
        }
        problems.add("the DAG has a cycle: " + (n - tail) + " nodes cannot be ordered, among them " + String.join(", ", onCycle));
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
            if (e.kind() != EdgeKind.ORDER && !to.inputs().contains(from.output())) {
                problems.add("shape " + from.output() + " of " + from.id() + " is not an input of " + to.id() + " " + to.inputs());
            }
        }
        for (DagNode n : dag.nodes()) {
            boolean keepsShape = n.op().equals(CollectiveKind.ALL_REDUCE.opName()) || isTransfer(n);
            if (n.kind() == NodeKind.COLLECTIVE && keepsShape && !n.inputs().get(0).equals(n.output())) {
                problems.add(n.id() + ": " + n.op() + " of " + n.inputs().get(0) + " gives " + n.output());
            }
        }
    }

    /** What validation keeps of one collective call: its first member and the GPUs seen so far. */
    private static final class Call {
        final DagNode first;
        final List<Integer> gpus = new ArrayList<>();
        int sends;

        Call(DagNode first) {
            this.first = first;
        }
    }

    /**
     * Every collective call's members agree with its first member on op, group and input shapes,
     * and run exactly on its group. Keeps one small record per call, not the nodes, so plans of
     * millions of nodes validate in bounded memory.
     */
    private static void collectives(PlanDag dag, List<String> problems) {
        Map<String, Call> calls = new TreeMap<>();
        for (DagNode m : dag.nodes()) {
            if (m.kind() != NodeKind.COLLECTIVE) continue;
            Call call = calls.computeIfAbsent(m.collective(), k -> new Call(m));
            DagNode first = call.first;
            call.gpus.add(m.gpu());
            if (m.op().equals(CollectiveKind.SEND.opName())) call.sends++;
            boolean transfer = isTransfer(first);
            boolean sameOp = transfer ? isTransfer(m) : m.op().equals(first.op());
            if (!sameOp || !m.group().equals(first.group()) || !m.inputs().equals(first.inputs())) {
                problems.add("collective " + m.collective() + " differs between GPU " + first.gpu() + " and GPU " + m.gpu());
            }
        }
        for (Map.Entry<String, Call> e : calls.entrySet()) {
            Call call = e.getValue();
            call.gpus.sort(null);
            if (!call.gpus.equals(call.first.group())) {
                problems.add("collective " + e.getKey() + " runs on GPUs " + call.gpus + " but names group " + call.first.group());
            }
            if (isTransfer(call.first) && (call.gpus.size() != 2 || call.sends != 1)) {
                problems.add("transfer " + e.getKey() + " is not one send and one recv");
            }
        }
    }

    private static boolean isTransfer(DagNode n) {
        return n.op().equals(CollectiveKind.SEND.opName()) || n.op().equals(CollectiveKind.RECV.opName());
    }

    /**
     * Runs every GPU's schedule: compute runs when reached; a collective completes when all its
     * members have reached it (rendezvous); a send is buffered and completes at once, its recv
     * waits until the send has been issued. Every GPU must reach its end; otherwise the plan
     * deadlocks, and the GPUs that wait and what they wait on are reported. Also checks that the
     * schedule puts every producer before its consumers on a GPU.
     */
    private static void schedule(PlanDag dag, List<String> problems) {
        int gpus = dag.gpus().size();
        int nodes = dag.nodes().size();
        int[] perGpu = new int[gpus];
        int[] gpuOf = new int[nodes];
        for (DagNode node : dag.nodes()) {
            gpuOf[node.index()] = node.gpu();
            perGpu[node.gpu()]++;
        }
        int[][] order = new int[gpus][];
        for (int g = 0; g < gpus; g++) order[g] = new int[perGpu[g]];
        int[] position = new int[nodes];
        int[] next = new int[gpus];
        for (int i = 0; i < nodes; i++) {
            position[i] = next[gpuOf[i]];
            order[gpuOf[i]][next[gpuOf[i]]++] = i;
        }
        for (DagEdge e : dag.edges()) {
            if (gpuOf[e.from()] == gpuOf[e.to()] && position[e.from()] >= position[e.to()]) {
                problems.add("GPU " + gpuOf[e.to()] + " runs " + dag.nodes().get(e.to()).id() + " before its input " + dag.nodes().get(e.from()).id());
                return;
            }
        }
        int[] ptr = new int[gpus];
        Map<String, Integer> arrived = new HashMap<>();
        java.util.Set<String> sent = new java.util.HashSet<>();
        Map<String, Integer> recvWaiter = new HashMap<>();
        java.util.ArrayDeque<Integer> ready = new java.util.ArrayDeque<>();
        for (int g = 0; g < gpus; g++) ready.add(g);
        while (!ready.isEmpty()) {
            int g = ready.poll();
            int[] list = order[g];
            while (ptr[g] < list.length) {
                DagNode n = dag.nodes().get(list[ptr[g]]);
                if (n.kind() != NodeKind.COLLECTIVE) {
                    ptr[g]++;
                } else if (n.op().equals(CollectiveKind.SEND.opName())) {
                    ptr[g]++;
                    sent.add(n.collective());
                    Integer waiter = recvWaiter.remove(n.collective());
                    if (waiter != null) {
                        ptr[waiter]++;
                        ready.add(waiter);
                    }
                } else if (n.op().equals(CollectiveKind.RECV.opName())) {
                    if (!sent.contains(n.collective())) {
                        recvWaiter.put(n.collective(), g);
                        break;
                    }
                    ptr[g]++;
                } else {
                    int count = arrived.merge(n.collective(), 1, Integer::sum);
                    if (count < n.group().size()) break;
                    arrived.remove(n.collective());
                    for (int member : n.group()) {
                        ptr[member]++;
                        if (member != g) ready.add(member);
                    }
                }
            }
        }
        List<String> stuck = new ArrayList<>();
        for (int g = 0; g < gpus && stuck.size() < 4; g++) {
            if (ptr[g] < order[g].length) {
                DagNode n = dag.nodes().get(order[g][ptr[g]]);
                stuck.add("GPU " + g + " waits at " + n.id() + " (" + n.op() + " with " + n.group() + ")");
            }
        }
        if (!stuck.isEmpty()) problems.add("the schedule deadlocks: " + String.join("; ", stuck));
    }
}
