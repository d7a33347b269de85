package pdagc.backend;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import pdagc.analysis.Analysis;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.ir.CollectiveKind;
import pdagc.ir.Op;
import pdagc.spmd.SpmdProgram;

/**
 * The simulated step as lanes of bars, read off the analysis' schedule ({@link Analysis.Schedule}:
 * the start and finish the critical-path simulation gives every node) and never recomputed: one
 * lane per GPU role of the report (its first GPU's schedule; the role's GPUs run it in step), or one
 * per GPU where GPUs are asked for. What {@code --emit timeline} draws and the HTML viewer's
 * timeline shows.
 *
 * <p>{@code seconds}: the schedule's length (the report's TTFT or step time, except in a pipelined
 * decode step, whose report gives the steady-state cycle and whose schedule is one step on its own).
 * {@code stages}: the pipeline's stages; with more than one, the idle time of a lane before its first
 * node and after its last is the pipeline's fill and drain (its bubble).
 */
public record StepTimeline(String title, double seconds, int stages, boolean training, List<Lane> lanes) {

    /** What a bar is: a computation, a collective (of a kind), or a pipeline send/recv. */
    public enum Category { COMPUTE, COLLECTIVE, TRANSFER }

    /** A training step's part: forward pass, backward pass, or the once-per-step part (gradient reduction, optimizer). */
    public enum Phase { FORWARD, BACKWARD, OPTIMIZER }

    /**
     * One node of the lane's schedule: {@code quotient} its index in the analysis' quotient, {@code
     * dag} the node (of the role's representative GPU); {@code collective} the kind of a collective or
     * transfer (null for a computation); {@code critical} whether it is on the step's critical path.
     */
    public record Bar(int quotient, DagNode dag, Category category, CollectiveKind collective, double start, double finish,
            boolean critical, Phase phase) {
        public double seconds() {
            return finish - start;
        }
    }

    /** {@code role}: the report's role; {@code gpu}: the GPU drawn, or -1 for a role's lane. */
    public record Lane(String label, int role, int gpu, List<Integer> gpus, List<Bar> bars) {
        /** The first start and last finish of the lane, or 0 and 0 for an empty lane. */
        public double first() {
            return bars.isEmpty() ? 0 : bars.stream().mapToDouble(Bar::start).min().orElse(0);
        }

        public double last() {
            return bars.isEmpty() ? 0 : bars.stream().mapToDouble(Bar::finish).max().orElse(0);
        }
    }

    /**
     * The timeline of {@code dag}'s step; {@code gpus}: null for one lane per role, else the GPUs
     * whose lanes to draw. Null when the analysis has no schedule (the plan deadlocks).
     */
    public static StepTimeline of(PlanDag dag, SpmdProgram program, Analysis a, String title, List<Integer> gpus) {
        Analysis.Schedule s = a.schedule();
        if (s == null) return null;
        Set<Integer> critical = new HashSet<>();
        // A pipelined decode step's path is the steady state's (a loop or a stage's work), not the schedule drawn here.
        if (!a.step().steadyState()) for (int p : a.step().path()) critical.add(s.quotient().of(p));
        boolean[] backward = program.training() ? program.backward() : null;
        boolean[] perStep = program.training() ? program.perStep() : null;
        List<Lane> lanes = new ArrayList<>();
        List<PlanDag.Role> roles = Roles.of(dag).all();
        if (gpus == null) {
            for (PlanDag.Role r : roles) {
                int gpu = r.gpus().get(0);
                lanes.add(new Lane("role " + r.id() + " (GPU" + (r.gpus().size() == 1 ? " " : "s ") + GpuRanges.format(r.gpus()) + ")", r.id(), -1,
                        r.gpus(), bars(s, gpu, critical, backward, perStep)));
            }
        } else {
            int[] roleOf = new int[dag.gpus().size()];
            for (PlanDag.Role r : roles) for (int g : r.gpus()) roleOf[g] = r.id();
            for (int g : gpus) lanes.add(new Lane("GPU " + g + " (role " + roleOf[g] + ")", roleOf[g], g, List.of(g), bars(s, g, critical, backward, perStep)));
        }
        return new StepTimeline(title, s.seconds(), program.pipeline().stages(), program.training(), List.copyOf(lanes));
    }

    /** The bars of {@code gpu}'s schedule: its quotient role's nodes, each mapped to the node of {@code gpu}. */
    private static List<Bar> bars(Analysis.Schedule s, int gpu, Set<Integer> critical, boolean[] backward, boolean[] perStep) {
        int role = s.quotient().roleOf(gpu);
        int[] order = s.order()[role];
        List<Bar> out = new ArrayList<>(order.length);
        for (int q : order) {
            DagNode n = s.node(q);
            Category category = n.op() instanceof Op.Transfer ? Category.TRANSFER : n.op() instanceof Op.Collective ? Category.COLLECTIVE : Category.COMPUTE;
            CollectiveKind kind = n.op() instanceof Op.Collective c ? c.collective() : n.op() instanceof Op.Transfer t ? (t.send() ? CollectiveKind.SEND : CollectiveKind.RECV) : null;
            Phase phase = null;
            if (backward != null && n.program() >= 0 && n.program() < backward.length) {
                phase = perStep[n.program()] ? Phase.OPTIMIZER : backward[n.program()] ? Phase.BACKWARD : Phase.FORWARD;
            }
            out.add(new Bar(q, n, category, kind, s.start()[q], s.finish()[q], critical.contains(q), phase));
        }
        return List.copyOf(out);
    }
}
