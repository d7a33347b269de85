package pdagc.backend;

import java.util.ArrayList;
import java.util.List;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.mesh.Pipeline;
import pdagc.spmd.SpmdProgram;

/**
 * What the drawings show of a training step beyond its nodes' kinds: which nodes belong to the
 * backward pass or to the once-per-step part (gradient reduction, optimizer step, the updated
 * weights' gather), drawn with a dashed outline whatever their kind, and each pipeline stage's
 * schedule in the title: its units (a micro-batch's forward or backward pass through a chunk) in
 * the schedule's training order, as warm-up, steady state and cool-down, then the step.
 */
final class TrainingMarks {
    /** Units listed in full up to this many; longer schedules show their first and last units. */
    static final int UNITS_SHOWN = 48;
    private static final int HEAD = 32;
    private static final int TAIL = 12;

    private final SpmdProgram program;
    private final boolean[] marked;

    private TrainingMarks(SpmdProgram program) {
        this.program = program;
        boolean[] backward = program.backward();
        boolean[] step = program.perStep();
        marked = new boolean[backward.length];
        for (int i = 0; i < marked.length; i++) marked[i] = backward[i] || step[i];
    }

    /** The marks of a training step's plan, or null (a serving plan, or a plan given node by node). */
    static TrainingMarks of(PlanDag plan) {
        if (!(plan instanceof PlanDag.ClosedForm closed) || !closed.schedules().program().training()) return null;
        return new TrainingMarks(closed.schedules().program());
    }

    /** Whether {@code node} is part of the backward pass or of the once-per-step ops. */
    boolean afterForward(DagNode node) {
        return node.program() >= 0 && node.program() < marked.length && marked[node.program()];
    }

    /** The pipeline stage that runs {@code node}. */
    int stageOf(DagNode node) {
        return program.pipeline().stageOf(program.nodes().get(node.program()).chunk());
    }

    /** The legend line of the drawings of a training step. */
    static String legend() {
        return "training: light blue dashed boxes: gradients and their accumulation; green octagons: optimizer steps;"
                + " dashed outline: every other op of the backward pass and of the once-per-step gradient reduction and weight gather";
    }

    /** The schedule of each of {@code stages}, one line each. */
    List<String> schedules(List<Integer> stages) {
        List<String> out = new ArrayList<>();
        for (int s : stages) out.add(schedule(program.pipeline(), s));
        return out;
    }

    /**
     * {@code stage 0 (1f1b, 4 micro-batches): warm-up F0 | steady F1 B0 F2 B1 F3 B2 | cool-down B3 | step}:
     * F m is micro-batch m's forward pass, B m its backward pass, {@code cK} the chunk with virtual stages.
     */
    static String schedule(Pipeline p, int stage) {
        List<Pipeline.Unit> order = p.trainingOrder(stage);
        int warmup = p.warmup(stage);
        int coolFrom = order.size() - warmup;
        List<String> parts = new ArrayList<>();
        if (p.schedule() == Pipeline.Schedule.GPIPE) {
            parts.add("forward " + units(order.subList(0, warmup), p));
            parts.add("backward " + units(order.subList(warmup, order.size()), p));
        } else {
            if (warmup > 0) parts.add("warm-up " + units(order.subList(0, warmup), p));
            if (coolFrom > warmup) parts.add("steady " + units(order.subList(warmup, coolFrom), p));
            if (warmup > 0) parts.add("cool-down " + units(order.subList(coolFrom, order.size()), p));
        }
        parts.add("step");
        String who = p.stages() > 1 ? "stage " + stage : "every GPU";
        return who + " (" + p.schedule().keyword() + ", " + p.microBatches() + " micro-batch" + (p.microBatches() == 1 ? "" : "es")
                + (p.virtualStages() > 1 ? ", " + p.virtualStages() + " chunks" : "") + "): " + String.join(" | ", parts);
    }

    private static String units(List<Pipeline.Unit> units, Pipeline p) {
        List<String> out = new ArrayList<>();
        int total = units.size();
        for (int i = 0; i < units.size(); i++) {
            if (total > UNITS_SHOWN && i == HEAD) {
                out.add("... (" + (total - HEAD - TAIL) + " more)");
                i = total - TAIL;
            }
            Pipeline.Unit u = units.get(i);
            out.add((u.backward() ? "B" : "F") + u.microBatch() + (p.virtualStages() > 1 ? "c" + u.chunk() : ""));
        }
        return String.join(" ", out);
    }
}
