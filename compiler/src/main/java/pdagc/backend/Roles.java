package pdagc.backend;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import pdagc.dag.GpuInfo;
import pdagc.dag.PlanDag;

/**
 * The GPU roles of a plan (GPUs that run the same program), each drawn from its first GPU. A plan
 * without role information is treated as one role per GPU, so the roles view degrades to the whole.
 */
final class Roles {
    private final List<PlanDag.Role> roles;
    private final int[] roleOfRepresentative;

    private Roles(List<PlanDag.Role> roles) {
        this.roles = List.copyOf(roles);
        int max = -1;
        for (PlanDag.Role r : this.roles) max = Math.max(max, r.gpus().get(0));
        roleOfRepresentative = new int[max + 1];
        java.util.Arrays.fill(roleOfRepresentative, -1);
        for (int i = 0; i < this.roles.size(); i++) roleOfRepresentative[this.roles.get(i).gpus().get(0)] = i;
    }

    static Roles of(PlanDag plan) {
        if (!plan.roles().isEmpty()) return new Roles(plan.roles());
        List<PlanDag.Role> single = new ArrayList<>();
        for (GpuInfo g : plan.gpus()) single.add(new PlanDag.Role(single.size(), List.of(g.id())));
        return new Roles(single);
    }

    List<PlanDag.Role> all() {
        return roles;
    }

    boolean isRepresentative(int gpu) {
        return lane(gpu) >= 0;
    }

    /** The position in {@link #all()} of the role that {@code gpu} represents, or -1. */
    int lane(int gpu) {
        return gpu < roleOfRepresentative.length ? roleOfRepresentative[gpu] : -1;
    }

    int gpuCount() {
        BitSet all = new BitSet();
        for (PlanDag.Role r : roles) for (int g : r.gpus()) all.set(g);
        return all.cardinality();
    }
}
