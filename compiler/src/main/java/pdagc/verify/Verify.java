package pdagc.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import pdagc.dag.DagNode;
import pdagc.dag.Materialize;
import pdagc.dag.PlanDag;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.mesh.Mesh;
import pdagc.mesh.Sharding;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * The proof of a plan: runs the unpartitioned model (the logical IR on one simulated GPU) and the
 * per-GPU DAG on the same weights and inputs, then compares every value the DAG holds in full
 * (not a partial sum, not dispatched buckets) with the matching slice of the model's value. The
 * first disagreement names its GPU and node.
 */
public final class Verify {
    /** Agreement is |plan - model| <= TOLERANCE * max(1, max |model|) for every compared node. */
    public static final double TOLERANCE = 1e-9;

    private Verify() {}

    /** The outcome: errors over all compared values, and where the first disagreement is. */
    public record Report(boolean ok, double maxAbs, double maxRel, long values, int nodes, String where, String problem) {
        public String summary() {
            String errors = String.format(Locale.ROOT, "max abs error %.3e, max rel error %.3e over %d values in %d nodes", maxAbs, maxRel, values, nodes);
            return ok ? "agree: " + errors : "DIFFER at " + where + ": " + problem + " (" + errors + ")";
        }
    }

    public static Report run(Graph logical, SpmdProgram plan, PlanDag dag, long seed, boolean decode, int context, Map<Integer, Integer> shardOverride) {
        Comparison cmp = new Comparison(plan);
        Report failed = cmp.references(logical, seed, decode, context);
        if (failed != null) return failed;
        // Each op's values are compared as soon as every GPU has run it, then dropped once nothing reads them.
        int ops = plan.nodes().size();
        int[][] byOp = new int[plan.pipeline().microBatches() * ops][];
        int[] count = new int[byOp.length];
        for (DagNode n : dag.nodes()) count[n.microBatch() * ops + n.program()]++;
        for (int i = 0; i < byOp.length; i++) byOp[i] = new int[count[i]];
        java.util.Arrays.fill(count, 0);
        List<DagNode> nodes = dag.nodes();
        for (DagNode n : nodes) {
            int k = n.microBatch() * ops + n.program();
            byOp[k][count[k]++] = n.index();
        }
        for (int[] row : byOp) java.util.Arrays.sort(row);
        Evaluator.Run run = new Evaluator(logical, plan, dag, seed, decode, context, shardOverride).run((mb, op, values) -> {
            for (int idx : byOp[mb * ops + op]) {
                if (!cmp.check(nodes.get(idx), values[idx])) return false;
            }
            return true;
        });
        Report report = cmp.report();
        if (report.ok() && run.failure() != null) {
            return new Report(false, report.maxAbs(), report.maxRel(), report.values(), report.nodes(), where(run.failure().node()), run.failure().message());
        }
        return report;
    }

    /**
     * Compares values that something else computed for the plan's DAG (by node index; null where
     * there is none) with the unpartitioned model on the same weights and inputs: how a runtime
     * that executes the plan outside the evaluator is proven to agree with the model.
     */
    public static Report compare(Graph logical, SpmdProgram plan, PlanDag dag, long seed, boolean decode, int context, Value[] computed) {
        Comparison cmp = new Comparison(plan);
        Report failed = cmp.references(logical, seed, decode, context);
        if (failed != null) return failed;
        List<DagNode> order = new ArrayList<>(dag.nodes());
        order.sort(java.util.Comparator.comparingInt(DagNode::microBatch).thenComparingInt(DagNode::program).thenComparingInt(DagNode::gpu));
        for (DagNode n : order) if (!cmp.check(n, computed[n.index()])) break;
        return cmp.report();
    }

    /** The unpartitioned model's values, and the running tally of the plan's values compared with them. */
    private static final class Comparison {
        private final SpmdProgram plan;
        private final List<Value[]> references = new ArrayList<>();
        private double maxAbs;
        private double maxRel;
        private long values;
        private int nodes;
        private String where;
        private String problem;

        Comparison(SpmdProgram plan) {
            this.plan = plan;
        }

        /** Runs the unpartitioned model; a report when it fails, else null. */
        Report references(Graph logical, long seed, boolean decode, int context) {
            if (plan.training()) {
                // A training step: the unpartitioned model runs every micro-batch, then sums the gradients and steps once.
                int micro = plan.pipeline().microBatches();
                SpmdProgram single = singleGpu(logical, new pdagc.mesh.Pipeline(1, 1, micro, pdagc.mesh.Pipeline.Schedule.GPIPE));
                PlanDag singleDag = Materialize.run("reference", "reference", single, 1);
                Evaluator.Run reference = new Evaluator(logical, single, singleDag, seed, decode, context, Map.of()).run();
                if (reference.failure() != null) {
                    return new Report(false, 0, 0, 0, 0, "the unpartitioned model, " + reference.failure().node().name(), reference.failure().message());
                }
                for (int mb = 0; mb < micro; mb++) references.add(new Value[logical.size()]);
                for (DagNode n : singleDag.nodes()) references.get(n.microBatch())[n.program()] = reference.values()[n.index()];
            } else {
                SpmdProgram single = singleGpu(logical);
                PlanDag singleDag = Materialize.run("reference", "reference", single, 1);
                for (int mb = 0; mb < plan.pipeline().microBatches(); mb++) {
                    Evaluator.Run reference = new Evaluator(logical, single, singleDag, seed, decode, context, Map.of()).runAs(mb);
                    if (reference.failure() != null) {
                        return new Report(false, 0, 0, 0, 0, "the unpartitioned model, " + reference.failure().node().name(), reference.failure().message());
                    }
                    references.add(reference.values());
                }
            }
            return null;
        }

        /** Compares node {@code n}'s value (null: none); false at the first disagreement. */
        boolean check(DagNode n, Value v) {
            if (problem != null) return false;
            if (v == null) return true;
            SpmdNode sn = plan.nodes().get(n.program());
            if (!(v instanceof Tensor got) || sn.sharding().isPartial()) return true;
            if (!(references.get(n.microBatch())[sn.origin()] instanceof Tensor full)) return true;
            Tensor want = Layout.shard(full, sn.sharding(), plan.mesh(), n.gpu());
            String wrong = compare(got, want);
            double scale = 1;
            double abs = 0;
            for (int i = 0; wrong == null && i < want.data.length; i++) {
                if (!Double.isInfinite(want.data[i])) scale = Math.max(scale, Math.abs(want.data[i]));
                if (got.data[i] == want.data[i]) continue;
                double diff = Math.abs(got.data[i] - want.data[i]);
                abs = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : Math.max(abs, diff);
            }
            nodes++;
            values += want.data.length;
            maxAbs = Math.max(maxAbs, abs);
            maxRel = Math.max(maxRel, abs / scale);
            if (wrong == null && abs > TOLERANCE * scale) {
                wrong = String.format(Locale.ROOT, "values differ by %.3e (tolerance %.1e x %.3g)", abs, TOLERANCE, scale);
            }
            if (wrong == null) return true;
            problem = wrong;
            where = where(n);
            return false;
        }

        Report report() {
            return new Report(problem == null, maxAbs, maxRel, values, nodes, where, problem);
        }
    }

    private static String where(DagNode n) {
        return "GPU " + n.gpu() + ", node " + n.id() + " (" + n.op() + (n.layer() >= 0 ? ", layer " + n.layer() : "")
                + (n.microBatch() > 0 ? ", micro-batch " + n.microBatch() : "") + ")";
    }

    private static String compare(Tensor got, Tensor want) {
        if (!java.util.Arrays.equals(got.shape, want.shape)) {
            return "shape " + java.util.Arrays.toString(got.shape) + " where the model's shard is " + java.util.Arrays.toString(want.shape);
        }
        if (want.index != null && (got.index == null || !java.util.Arrays.equals(got.index, want.index))) return "routing chose other experts";
        for (double x : got.data) if (Double.isNaN(x)) return "NaN in the result";
        return null;
    }

    /** The logical IR as a program for one GPU: every value whole, no collectives. */
    static SpmdProgram singleGpu(Graph g) {
        return singleGpu(g, pdagc.mesh.Pipeline.NONE);
    }

    /** As above, running {@code pipeline}'s micro-batches (a training step's reference). */
    static SpmdProgram singleGpu(Graph g, pdagc.mesh.Pipeline pipeline) {
        List<SpmdNode> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            List<Boolean> routing = new ArrayList<>();
            for (int i = 0; i < n.inputs().size(); i++) routing.add(false);
            nodes.add(new SpmdNode(n.id(), n.name(), n.op(), n.inputs(), routing, n.shape(), Sharding.replicated(n.shape().rank()), n.shape(),
                    n.layer(), n.span(), g.original(n.id()), 0));
        }
        return new SpmdProgram(new Mesh(List.of()), g.dtype(), pipeline, nodes, g.backwardStart());
    }
}
