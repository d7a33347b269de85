package pdagc.dag;

import pdagc.spmd.SpmdProgram;

/**
 * materialize: the SPMD program instantiated on every rank, in its stage's schedule: one node per
 * op of the stage's chunks per micro-batch, data edges within a GPU, edges from every peer's input
 * into each member of a collective, from a send to its recv, and order edges between consecutive
 * schedule units on a GPU ({@link InEdges}). GPUs of one pp stage run one program and form one role.
 *
 * <p>Nothing is stored per node: the plan is made in closed form ({@link PlanDag.ClosedForm}), its
 * size checked against the budgets before anything is allocated.
 */
public final class Materialize {
    public static final String NAME = "materialize";

    /**
     * The most nodes of a plan that analysis walks GPU by GPU (its collective groups straddle
     * cluster nodes on some GPUs of a stage only): it keeps a few numbers per node. A plan analyzed
     * one GPU per stage ({@link Quotient}) is held in closed form and streamed, and may have as
     * many nodes and edges as an int indexes.
     */
    public static final long MAX_NODES = 50_000_000L;

    /**
     * The most nodes of a plan analyzed one GPU per stage: streamed, its heap does not grow with it,
     * but its output does (a training step of a 405B model on 8192 GPUs has 63 million nodes and
     * 63 GB of JSON).
     */
    public static final long MAX_STREAMED_NODES = 100_000_000L;

    /**
     * The most nodes of one GPU per pipeline stage: validation and analysis walk these (the
     * {@link Quotient}), with a node object, its costs and its edges each, some 400 bytes a node:
     * about a gigabyte of heap at this budget. With a pp-only mesh this is the whole plan.
     */
    public static final long MAX_STAGE_NODES = 2_000_000L;

    private Materialize() {}

    /** The plan of {@code program}, every part in the program's element type. */
    public static PlanDag.ClosedForm run(String deployment, String source, SpmdProgram program, int gpusPerNode) {
        return run(deployment, source, program, gpusPerNode, pdagc.ir.Precision.uniform(program.dtype()));
    }

    /** The plan of {@code program}, whose parts run in the element types of {@code precision} (its {@code dtype} the program's). */
    public static PlanDag.ClosedForm run(String deployment, String source, SpmdProgram program, int gpusPerNode, pdagc.ir.Precision precision) {
        return run(deployment, source, program, gpusPerNode, precision, MAX_STAGE_NODES);
    }

    /** {@link #run(String, String, SpmdProgram, int, pdagc.ir.Precision)} with another budget for one GPU per stage. */
    public static PlanDag.ClosedForm run(String deployment, String source, SpmdProgram program, int gpusPerNode, pdagc.ir.Precision precision,
            long maxStageNodes) {
        if (precision.dtype() != program.dtype()) {
            throw new IllegalArgumentException("precision " + precision.text() + " for a program in " + program.dtype().keyword());
        }
        // Both budgets in closed form, before the schedules are allocated: refused at once.
        long[] size = Schedules.size(program);
        if (size[0] > MAX_STREAMED_NODES || size[1] > Integer.MAX_VALUE) throw new PlanTooLarge(size[0], size[1], MAX_STREAMED_NODES);
        if (size[2] > maxStageNodes) throw new StagesTooLarge(size[2]);
        Schedules sched = new Schedules(program);
        if (sched.nodeCount() != size[0] || sched.edgeCount() != size[1]) {
            throw new IllegalStateException("the closed-form size " + size[0] + " nodes, " + size[1] + " edges disagrees with the schedules' "
                    + sched.nodeCount() + ", " + sched.edgeCount());
        }
        PlanDag.ClosedForm plan = new PlanDag.ClosedForm(deployment, source, gpusPerNode, precision, sched);
        // A plan analyzed GPU by GPU keeps numbers per node; one analyzed a GPU per stage streams at any size.
        if (size[0] > MAX_NODES && !Quotient.byStage(plan)) throw new PlanTooLarge(size[0], size[1], MAX_NODES);
        return plan;
    }

    /** One GPU per pipeline stage has more nodes than validation and analysis walk ({@link #MAX_STAGE_NODES}). */
    public static final class StagesTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long nodes;

        StagesTooLarge(long nodes) {
            super("one GPU per stage has " + nodes + " nodes, over the budget");
            this.nodes = nodes;
        }

        public long nodes() {
            return nodes;
        }
    }

    /** A plan whose nodes or edges do not fit in a Java int index. */
    public static final class PlanTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long nodes;
        private final long edges;

        private final long budget;

        PlanTooLarge(long nodes, long edges, long budget) {
            super("the plan has " + nodes + " nodes and " + edges + " edges, over the budget of " + budget + " nodes");
            this.nodes = nodes;
            this.edges = edges;
            this.budget = budget;
        }

        /** The node budget it is over. */
        public long budget() {
            return budget;
        }

        public long nodes() {
            return nodes;
        }

        public long edges() {
            return edges;
        }
    }
}
