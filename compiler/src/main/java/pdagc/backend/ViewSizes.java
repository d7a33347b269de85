package pdagc.backend;

import java.util.List;
import java.util.TreeMap;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.dag.Schedules;

/**
 * How many nodes each possible view of a plan would draw, counted in one pass over the nodes, so
 * that a view can be chosen or refused before anything is selected or drawn.
 */
final class ViewSizes {
    final int total;
    final int[] perGpu;
    final TreeMap<Integer, Integer> perLayer = new TreeMap<>();
    final int roles;
    final TreeMap<Integer, Integer> rolesPerLayer = new TreeMap<>();

    private ViewSizes(PlanDag plan, Roles roleMap) {
        if (plan instanceof PlanDag.ClosedForm closed) {
            Schedules s = closed.schedules();
            // From the closed form: a GPU's nodes are its stage's schedule; nothing per node is read.
            perGpu = new int[s.ranks()];
            int inRoles = 0;
            for (int g = 0; g < perGpu.length; g++) {
                int st = s.stageOf(g);
                perGpu[g] = s.length(st);
                boolean representative = roleMap.isRepresentative(g);
                if (representative) inRoles += s.length(st);
            }
            for (int st = 0; st < s.stages(); st++) {
                boolean represented = roleMap.isRepresentative(s.rankOfStage(st, 0));
                for (int k = 0; k < s.length(st); k++) {
                    int layer = s.op(st, k).layer();
                    if (layer < 0) continue;
                    perLayer.merge(layer, s.ranksPerStage(), Integer::sum);
                    if (represented) rolesPerLayer.merge(layer, 1, Integer::sum);
                }
            }
            total = plan.nodes().size();
            roles = inRoles;
            return;
        }
        int maxGpu = -1;
        for (DagNode n : plan.nodes()) maxGpu = Math.max(maxGpu, n.gpu());
        perGpu = new int[maxGpu + 1];
        int inRoles = 0;
        for (DagNode n : plan.nodes()) {
            perGpu[n.gpu()]++;
            boolean representative = roleMap.isRepresentative(n.gpu());
            if (representative) inRoles++;
            if (n.layer() >= 0) {
                perLayer.merge(n.layer(), 1, Integer::sum);
                if (representative) rolesPerLayer.merge(n.layer(), 1, Integer::sum);
            }
        }
        total = plan.nodes().size();
        roles = inRoles;
    }

    static ViewSizes of(PlanDag plan, Roles roles) {
        return new ViewSizes(plan, roles);
    }

    /** The nodes {@code view} would draw; 0 when it names a GPU or layer the plan does not have. */
    int size(View view) {
        if (view instanceof View.Whole) return total;
        if (view instanceof View.Roles) return roles;
        if (view instanceof View.Gpu g) return g.gpu() < perGpu.length ? perGpu[g.gpu()] : 0;
        if (view instanceof View.Layer l) return perLayer.getOrDefault(l.layer(), 0);
        if (view instanceof View.RolesLayer l) return rolesPerLayer.getOrDefault(l.layer(), 0);
        throw new AssertionError(view);
    }

    /** The first GPU with the most nodes; -1 for a plan without GPUs. */
    int largestGpuId() {
        int best = -1;
        for (int g = 0; g < perGpu.length; g++) if (best < 0 || perGpu[g] > perGpu[best]) best = g;
        return best;
    }

    /** The first key with the largest count; -1 when there is none. */
    static int largestKey(TreeMap<Integer, Integer> counts) {
        int best = -1;
        for (var e : counts.entrySet()) if (best < 0 || e.getValue() > counts.get(best)) best = e.getKey();
        return best;
    }

    List<Integer> layers() {
        return List.copyOf(perLayer.keySet());
    }
}
