package pdagc.dag;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;

/**
 * The per-GPU DAG up to its symmetry: one representative GPU per role (the GPUs that run one
 * schedule), its nodes, and every edge into them with the source mapped to the corresponding node
 * of its own role's representative. Validation and analysis walk this instead of the whole plan,
 * so their time and memory grow with the program and the pipeline stages, not with the GPUs.
 *
 * <p>The map from the plan to the quotient is a graph homomorphism that keeps shapes, ops and
 * schedules: a cycle in the plan maps to a cycle here, a collective whose members run one schedule
 * becomes one node, and a send and its recv stay apart. The parallel edges it would make (a
 * collective's edges from its peers' inputs, which map onto its edge from its own input) are kept
 * once. That every GPU of a role really runs its representative's schedule with the same groups
 * is a fact of the closed form ({@link Schedules}); validation checks the group arithmetic it
 * rests on for every rank. That they also run at the same speed holds when their groups span
 * cluster nodes alike ({@link #regular}).
 *
 * <p>A plan given node by node (no closed form), or one whose GPUs of a role differ in speed, is
 * its own quotient: every GPU its own role.
 */
public final class Quotient {
    private final PlanDag plan;
    private final Schedules sched;
    private final int roles;
    /** Per role: its representative GPU and its first quotient node. */
    private final int[] repGpu;
    private final int[] start;
    private final List<DagNode> nodes;
    private final int[] from;
    private final int[] to;
    private final EdgeKind[] kind;

    private Quotient(PlanDag plan, Schedules sched, int roles, int[] repGpu, int[] start, List<DagNode> nodes, int[] from, int[] to, EdgeKind[] kind) {
        this.plan = plan;
        this.sched = sched;
        this.roles = roles;
        this.repGpu = repGpu;
        this.start = start;
        this.nodes = nodes;
        this.from = from;
        this.to = to;
        this.kind = kind;
    }

    /** The quotient that analysis walks: one GPU per role where the role's GPUs also cost alike. */
    public static Quotient of(PlanDag plan) {
        return plan instanceof PlanDag.ClosedForm c && regular(c, c.schedules()) ? symmetric(c, c.schedules()) : identity(plan);
    }

    /**
     * The quotient that validation walks: one GPU per role wherever the plan has a closed form,
     * since what validation checks (structure, shapes, groups, order) does not depend on speed.
     */
    public static Quotient structural(PlanDag plan) {
        return plan instanceof PlanDag.ClosedForm c ? symmetric(c, c.schedules()) : identity(plan);
    }

    private static Quotient identity(PlanDag plan) {
        PlanDag dag = plan.snapshot();
        int gpus = dag.gpus().size();
        int[] rep = new int[gpus];
        for (int g = 0; g < gpus; g++) rep[g] = g;
        int m = dag.edges().size();
        int[] from = new int[m];
        int[] to = new int[m];
        EdgeKind[] kind = new EdgeKind[m];
        for (int e = 0; e < m; e++) {
            DagEdge edge = dag.edges().get(e);
            from[e] = edge.from();
            to[e] = edge.to();
            kind[e] = edge.kind();
        }
        return new Quotient(dag, null, gpus, rep, null, dag.nodes(), from, to, kind);
    }

    private static Quotient symmetric(PlanDag plan, Schedules s) {
        int roles = s.stages();
        int[] rep = new int[roles];
        int[] start = new int[roles + 1];
        int edges = 0;
        for (int r = 0; r < roles; r++) {
            rep[r] = s.rankOfStage(r, 0);
            start[r + 1] = start[r] + s.length(r);
            edges += (int) s.edgesPerRank(r);
        }
        List<DagNode> nodes = new ArrayList<>(start[roles]);
        int[] from = new int[edges];
        int[] to = new int[edges];
        EdgeKind[] kind = new EdgeKind[edges];
        InEdges in = new InEdges(s);
        int e = 0;
        for (int r = 0; r < roles; r++) {
            long first = s.firstNode(rep[r]);
            for (int k = 0; k < s.length(r); k++) {
                nodes.add(s.node((int) (first + k), rep[r], r, k));
                in.into(rep[r], r, k);
                while (in.next()) {
                    // A collective's edges from its peers' inputs all map onto its edge from its own
                    // input (the peers share its stage, which validation checks), so they are left out.
                    if (in.fromPeer()) continue;
                    from[e] = start[s.stageOf(in.fromRank())] + in.fromPosition();
                    to[e] = start[r] + k;
                    kind[e] = in.kind();
                    e++;
                }
            }
        }
        return new Quotient(plan, s, roles, rep, start, List.copyOf(nodes), java.util.Arrays.copyOf(from, e), java.util.Arrays.copyOf(to, e),
                java.util.Arrays.copyOf(kind, e));
    }

    public PlanDag plan() {
        return plan;
    }

    /** Whether roles hold more than one GPU (the plan has a closed form). */
    public boolean symmetric() {
        return sched != null;
    }

    public int roles() {
        return roles;
    }

    /** The role of a GPU: the index of its representative. */
    public int roleOf(int gpu) {
        return sched == null ? gpu : sched.stageOf(gpu);
    }

    public int representative(int role) {
        return repGpu[role];
    }

    /** The quotient's nodes: the representatives' nodes, role by role in schedule order ({@code index()} is the plan's). */
    public List<DagNode> nodes() {
        return nodes;
    }

    public int edges() {
        return from.length;
    }

    public int from(int e) {
        return from[e];
    }

    public int to(int e) {
        return to[e];
    }

    public EdgeKind kind(int e) {
        return kind[e];
    }

    /** A topological order of the quotient's nodes ({@link TopologicalOrder}: Kahn's, ties in index order). */
    public TopologicalOrder topologicalOrder() {
        return TopologicalOrder.of(nodes.size(), from.length, from, to, null);
    }

    /** The quotient node that plan node {@code i} maps to. */
    public int of(long i) {
        if (sched == null) return (int) i;
        int r = sched.rankOfNode(i);
        int s = sched.stageOf(r);
        return start[s] + (int) (i - sched.firstNode(r));
    }

    /** The plan indices of quotient nodes (each the representative's node). */
    public List<Integer> planIndices(List<Integer> quotientNodes) {
        List<Integer> out = new ArrayList<>(quotientNodes.size());
        for (int q : quotientNodes) out.add(nodes.get(q).index());
        return List.copyOf(out);
    }

    /**
     * Whether the GPUs of each role also cost alike: every group a role's schedule uses stays inside
     * one cluster node on all of the role's GPUs, or crosses on all of them. Where a group
     * straddles a node boundary on some GPUs only (a mesh that does not align with the cluster's
     * nodes, which the strategy check warns about), their collectives run at different speeds and
     * the plan is walked node by node instead. Costs GPUs x group size per distinct group.
     */
    /** Whether validation and analysis read {@code plan} one GPU per stage (its roles' GPUs run at the same speeds). */
    public static boolean byStage(PlanDag.ClosedForm plan) {
        return regular(plan, plan.schedules());
    }

    private static boolean regular(PlanDag plan, Schedules s) {
        int perNode = plan.gpusPerNode();
        for (int role = 0; role < s.stages(); role++) {
            Map<String, Integer> keys = new HashMap<>();
            for (int k = 0; k < s.length(role); k++) {
                SpmdNode op = s.op(role, k);
                if (op.op() instanceof Op.Collective c) keys.putIfAbsent(c.axes().toString(), k);
                else if (op.op() instanceof Op.Transfer) keys.putIfAbsent(op.op().name() + op.id(), k);
            }
            for (int k : keys.values()) {
                SpmdNode op = s.op(role, k);
                // Members ascend, so a group stays in one cluster node when its first and last do.
                int[] offsets = s.memberOffsets(op.id());
                int span = offsets != null ? offsets[offsets.length - 1] : 0;
                Boolean crosses = null;
                for (int i = 0; i < s.ranksPerStage(); i++) {
                    int r = s.rankOfStage(role, i);
                    int lo;
                    int hi;
                    if (offsets != null) {
                        lo = s.firstMember(r, op.id());
                        hi = lo + span;
                    } else {
                        int peer = s.peerOfTransfer(r, (Op.Transfer) op.op());
                        lo = Math.min(r, peer);
                        hi = Math.max(r, peer);
                    }
                    boolean x = lo / perNode != hi / perNode;
                    if (crosses == null) crosses = x;
                    else if (crosses != x) return false;
                }
            }
        }
        return true;
    }

}
