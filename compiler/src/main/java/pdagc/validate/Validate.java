package pdagc.validate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.SimpleDirectedGraph;
import pdagc.dag.DagNode;
import pdagc.dag.EdgeKind;
import pdagc.dag.PlanDag;
import pdagc.dag.Quotient;
import pdagc.dag.Schedules;
import pdagc.dag.TopologicalOrder;
import pdagc.ir.Op;
import pdagc.mesh.Mesh;
import pdagc.ir.CollectiveKind;
import pdagc.ir.NodeKind;
import pdagc.ir.Overflow;
import pdagc.ir.Shape;
import pdagc.spmd.SpmdNode;

/**
 * validate: the checks of design section 5 on a per-GPU DAG, run before every backend. The DAG is
 * built plainly in JGraphT and checked for cycles once by topological sort. Every collective group
 * must agree on op, size, shapes and order (so no member waits on a call its peers never make),
 * every collective must conserve data ({@link #conservation}), shapes must agree along edges,
 * every GPU must be used, and every GPU's schedule must run to its
 * end when collectives are rendezvous (no deadlock). Returns the problems found; an empty list
 * means the plan is valid. A problem here is a compiler bug, not a user error.
 */
public final class Validate {
    public static final String NAME = "validate";

    private Validate() {}

    public static List<String> run(PlanDag plan) {
        return run(Quotient.structural(plan));
    }

    /**
     * Validates a plan through its quotient: every check below holds for the whole plan when it
     * holds for the quotient and the group arithmetic is consistent on every rank ({@link
     * #symmetry}), since the plan maps onto the quotient keeping shapes, ops and schedules.
     */
    public static List<String> run(Quotient q) {
        List<String> problems = new ArrayList<>();
        if (q.symmetric() && q.plan() instanceof PlanDag.ClosedForm c) symmetry(c.schedules(), problems);
        if (!problems.isEmpty()) return problems;   // the quotient does not stand for the plan
        acyclic(q, problems);
        nodesComplete(q, problems);
        shapesAlongEdges(q, problems);
        collectives(q, problems);
        conservation(q, problems);
        if (problems.isEmpty()) schedule(q, problems);
        return problems;
    }

    /**
     * The closed form's group arithmetic on every rank: for every set of axes a collective runs
     * over, each rank's group holds the rank, ascending, every member in the rank's pipeline stage
     * (so it runs the same schedule) and naming the same group. Costs ranks x group size per set
     * of axes, nothing per node.
     */
    private static void symmetry(Schedules s, List<String> problems) {
        Mesh mesh = s.mesh();
        java.util.Set<List<String>> axesSets = new java.util.LinkedHashSet<>();
        for (SpmdNode op : s.program().nodes()) if (op.op() instanceof Op.Collective c) axesSets.add(List.copyOf(c.axes()));
        for (List<String> axes : axesSets) {
            // A group is its first member plus fixed offsets (the group of rank 0), ascending.
            int size = mesh.size(axes);
            int[] offsets = new int[size];
            for (int m = 0; m < size; m++) offsets[m] = mesh.member(0, axes, m);
            for (int m = 1; m < size; m++) {
                if (offsets[m] <= offsets[m - 1]) problems.add("the groups over " + axes + " are not in ascending rank order");
            }
            for (int r = 0; r < s.ranks() && problems.size() < 8; r++) {
                int first = mesh.member(r, axes, 0);
                if (java.util.Arrays.binarySearch(offsets, r - first) < 0) {
                    problems.add("the group over " + axes + " of GPU " + r + " does not hold it");
                    continue;
                }
                if (first != r) continue;   // each group is checked once, from its first member
                int index = mesh.groupIndex(r, axes);
                for (int off : offsets) {
                    int member = r + off;
                    if (member >= s.ranks() || s.stageOf(member) != s.stageOf(r) || mesh.member(member, axes, 0) != r
                            || mesh.groupIndex(member, axes) != index) {
                        problems.add("the group over " + axes + " of GPU " + r + " is inconsistent at member " + member);
                        break;
                    }
                }
            }
        }
    }

    /**
     * A topological order of the whole quotient ({@link TopologicalOrder}); when some nodes cannot
     * be ordered, JGraphT's cycle detector names nodes that lie on a cycle among them.
     */
    private static void acyclic(Quotient q, List<String> problems) {
        int n = q.nodes().size();
        for (int e = 0; e < q.edges(); e++) {
            if (q.from(e) == q.to(e)) {
                problems.add("self edge on " + q.nodes().get(q.from(e)).id());
                return;
            }
        }
        TopologicalOrder order = q.topologicalOrder();
        if (order.complete()) return;
        Graph<Integer, DefaultEdge> rest = new SimpleDirectedGraph<>(DefaultEdge.class);
        for (int i = 0; i < n; i++) if (order.unordered(i)) rest.addVertex(i);
        for (int e = 0; e < q.edges(); e++) if (order.unordered(q.from(e)) && order.unordered(q.to(e))) rest.addEdge(q.from(e), q.to(e));
        List<String> onCycle = new ArrayList<>();
        for (int v : new org.jgrapht.alg.cycle.CycleDetector<>(rest).findCycles()) {
            if (onCycle.size() < 4) onCycle.add(q.nodes().get(v).id());
        }
        problems.add("the DAG has a cycle: " + (n - order.ordered()) + " nodes cannot be ordered, among them " + String.join(", ", onCycle));
    }

    private static void nodesComplete(Quotient q, List<String> problems) {
        int gpus = q.plan().gpus().size();
        boolean[] used = new boolean[q.roles()];
        for (DagNode n : q.nodes()) {
            if (n.gpu() < 0 || n.gpu() >= gpus) problems.add(n.id() + " has no valid GPU");
            else used[q.roleOf(n.gpu())] = true;
            if (n.output() == null || n.output().rank() == 0) problems.add(n.id() + " has no output shape");
        }
        for (int r = 0; r < used.length; r++) if (!used[r]) problems.add("GPU " + q.representative(r) + " runs nothing");
    }

    private static void shapesAlongEdges(Quotient q, List<String> problems) {
        for (int e = 0; e < q.edges(); e++) {
            DagNode from = q.nodes().get(q.from(e));
            DagNode to = q.nodes().get(q.to(e));
            if (q.kind(e) != EdgeKind.ORDER && !to.inputs().contains(from.output())) {
                problems.add("shape " + from.output() + " of " + from.id() + " is not an input of " + to.id() + " " + to.inputs());
            }
        }
        for (DagNode n : q.nodes()) {
            boolean keepsShape = n.op() instanceof Op.Collective c && c.collective() == CollectiveKind.ALL_REDUCE || isTransfer(n);
            if (n.kind() == NodeKind.COLLECTIVE && keepsShape && !n.inputs().get(0).equals(n.output())) {
                problems.add(n.id() + ": " + n.op().name() + " of " + n.inputs().get(0) + " gives " + n.output());
            }
        }
    }

    /** What validation keeps of one collective call: its first member and the roles seen so far. */
    private static final class Call {
        final DagNode first;
        final List<Integer> roles = new ArrayList<>();
        int sends;

        Call(DagNode first) {
            this.first = first;
        }
    }

    /**
     * Every collective call's members agree with its first member on op, group, input and output
     * shapes, and run exactly on its group (on the group's roles, in the quotient). Keeps one small record
     * per call, not the nodes.
     */
    private static void collectives(Quotient q, List<String> problems) {
        Map<String, Call> calls = new TreeMap<>();
        for (DagNode m : q.nodes()) {
            if (m.kind() != NodeKind.COLLECTIVE) continue;
            Call call = calls.computeIfAbsent(m.collective(), k -> new Call(m));
            DagNode first = call.first;
            call.roles.add(q.roleOf(m.gpu()));
            if (isSend(m)) call.sends++;
            boolean transfer = isTransfer(first);
            boolean sameOp = transfer ? isTransfer(m) : sameKind(m.op(), first.op());
            if (!sameOp || !m.group().equals(first.group()) || !m.inputs().equals(first.inputs()) || !m.output().equals(first.output())) {
                problems.add("collective " + m.collective() + " differs between GPU " + first.gpu() + " and GPU " + m.gpu());
            }
        }
        for (Map.Entry<String, Call> e : calls.entrySet()) {
            Call call = e.getValue();
            call.roles.sort(null);
            if (!call.roles.equals(roles(q, call.first.group()))) {
                List<Integer> gpus = new ArrayList<>();
                for (int r : call.roles) gpus.add(q.representative(r));
                problems.add("collective " + e.getKey() + " runs on GPUs " + gpus + " but names group " + call.first.group());
            }
            if (isTransfer(call.first) && (call.roles.size() != 2 || call.sends != 1)) {
                problems.add("transfer " + e.getKey() + " is not one send and one recv");
            }
        }
    }

    /**
     * Every collective conserves data, checked per rank from its local input and output shapes (its
     * members hold the same shapes: {@link #collectives}). Over a group of n ranks:
     * <ul>
     *   <li>all-gather: the output has n times the input's elements;
     *   <li>reduce-scatter: the input has n times the output's elements;
     *   <li>all-reduce: the output has the input's shape;
     *   <li>all-to-all: the output has as many elements as the input (each member sends its input in
     *       n blocks and receives n blocks of the same size, so with equal local sizes the group's
     *       total in is its total out);
     *   <li>send and its recv: the same shape in and out of each, and the recv gives what the send took.
     * </ul>
     * A plan that breaks this moves data no real collective moves (a padded buffer on one side
     * only), and its cost would be wrong: it is a compiler bug like any other validation problem.
     */
    private static void conservation(Quotient q, List<String> problems) {
        Map<String, DagNode> sends = new HashMap<>();
        List<DagNode> recvs = new ArrayList<>();
        int before = problems.size();
        for (DagNode n : q.nodes()) {
            if (problems.size() - before >= 8) return;
            if (n.kind() != NodeKind.COLLECTIVE || n.inputs().isEmpty()) continue;
            Shape in = n.inputs().get(0);
            Shape out = n.output();
            if (n.op() instanceof Op.Transfer t) {
                if (!in.equals(out)) problems.add(n.id() + ": " + n.op().name() + " of " + in + " gives " + out);
                if (t.send()) sends.put(n.collective(), n);
                else recvs.add(n);
                continue;
            }
            if (!(n.op() instanceof Op.Collective c)) continue;
            long ranks = n.group().size();
            long a = in.elements();
            long b = out.elements();
            String rule = switch (c.collective()) {
                case ALL_GATHER -> b == Overflow.mul(ranks, a) ? null : "output = " + ranks + " x input";
                case REDUCE_SCATTER -> a == Overflow.mul(ranks, b) ? null : "input = " + ranks + " x output";
                case ALL_REDUCE -> in.equals(out) ? null : "output = input";
                case ALL_TO_ALL -> a == b ? null : "total in = total out";
                case SEND, RECV -> null;
            };
            if (rule != null) {
                problems.add(n.id() + ": " + n.op().name() + " over " + ranks + " GPUs does not conserve data: " + in + " (" + a + " elements) gives "
                        + out + " (" + b + " elements), but " + rule);
            }
        }
        for (DagNode r : recvs) {
            DagNode s = sends.get(r.collective());
            if (s != null && !s.inputs().get(0).equals(r.output())) {
                problems.add(r.id() + ": recv gives " + r.output() + " but its send " + s.id() + " took " + s.inputs().get(0));
            }
        }
    }

    /** The distinct roles of a group's members, ascending (the members themselves without symmetry). */
    private static List<Integer> roles(Quotient q, List<Integer> group) {
        java.util.TreeSet<Integer> roles = new java.util.TreeSet<>();
        for (int g : group) roles.add(q.roleOf(g));
        return new ArrayList<>(roles);
    }

    private static boolean isTransfer(DagNode n) {
        return n.op() instanceof Op.Transfer;
    }

    /**
     * Ops of one kind: the same operation, and for collectives the same collective. (Not the
     * records' generated equals: its bootstrap costs about 10 ms at start-up.)
     */
    private static boolean sameKind(Op a, Op b) {
        if (a.getClass() != b.getClass()) return false;
        return !(a instanceof Op.Collective c) || c.collective() == ((Op.Collective) b).collective();
    }

    private static boolean isSend(DagNode n) {
        return n.op() instanceof Op.Transfer t && t.send();
    }

    /**
     * Runs every GPU's schedule: compute runs when reached; a collective completes when all its
     * members have reached it (rendezvous); a send is buffered and completes at once, its recv
     * waits until the send has been issued. Every GPU must reach its end; otherwise the plan
     * deadlocks, and the GPUs that wait and what they wait on are reported. Also checks that the
     * schedule puts every producer before its consumers on a GPU.
     */
    private static void schedule(Quotient q, List<String> problems) {
        int gpus = q.roles();
        int nodes = q.nodes().size();
        int[] perGpu = new int[gpus];
        int[] gpuOf = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            gpuOf[i] = q.roleOf(q.nodes().get(i).gpu());
            perGpu[gpuOf[i]]++;
        }
        int[][] order = new int[gpus][];
        for (int g = 0; g < gpus; g++) order[g] = new int[perGpu[g]];
        int[] position = new int[nodes];
        int[] next = new int[gpus];
        for (int i = 0; i < nodes; i++) {
            position[i] = next[gpuOf[i]];
            order[gpuOf[i]][next[gpuOf[i]]++] = i;
        }
        for (int e = 0; e < q.edges(); e++) {
            int from = q.from(e);
            int to = q.to(e);
            if (gpuOf[from] == gpuOf[to] && position[from] >= position[to]) {
                problems.add("GPU " + q.representative(gpuOf[to]) + " runs " + q.nodes().get(to).id() + " before its input " + q.nodes().get(from).id());
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
                DagNode n = q.nodes().get(list[ptr[g]]);
                if (n.kind() != NodeKind.COLLECTIVE) {
                    ptr[g]++;
                } else if (isSend(n)) {
                    ptr[g]++;
                    sent.add(n.collective());
                    Integer waiter = recvWaiter.remove(n.collective());
                    if (waiter != null) {
                        ptr[waiter]++;
                        ready.add(waiter);
                    }
                } else if (n.op() instanceof Op.Transfer t && !t.send()) {
                    if (!sent.contains(n.collective())) {
                        recvWaiter.put(n.collective(), g);
                        break;
                    }
                    ptr[g]++;
                } else {
                    List<Integer> members = roles(q, n.group());
                    int count = arrived.merge(n.collective(), 1, Integer::sum);
                    if (count < members.size()) break;
                    arrived.remove(n.collective());
                    for (int member : members) {
                        ptr[member]++;
                        if (member != g) ready.add(member);
                    }
                }
            }
        }
        List<String> stuck = new ArrayList<>();
        for (int g = 0; g < gpus && stuck.size() < 4; g++) {
            if (ptr[g] < order[g].length) {
                DagNode n = q.nodes().get(order[g][ptr[g]]);
                stuck.add("GPU " + q.representative(g) + " waits at " + n.id() + " (" + n.op().name() + " with " + n.group() + ")");
            }
        }
        if (!stuck.isEmpty()) problems.add("the schedule deadlocks: " + String.join("; ", stuck));
    }
}
