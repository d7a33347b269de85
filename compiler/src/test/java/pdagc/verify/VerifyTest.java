package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.Repo;
import pdagc.dag.DagNode;
import pdagc.dag.Materialize;
import pdagc.dag.PlanDag;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/** The seed verifies, and plans broken in each of three ways are caught, with the GPU and node named. */
public class VerifyTest {
    static MaterializedPlan plan;

    @BeforeAll
    static void shrinkSeed() {
        Compiler c = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
        List<MaterializedPlan> plans = c.check(Repo.file("examples/seed_moe_ep16_tp4.pdag"), "seed");
        plan = plans.get(0);
    }

    private static Verify.Report verify(SpmdProgram p, PlanDag dag, Map<Integer, Integer> override) {
        return Verify.run(plan.graph(), p, dag, 1, false, 4, override);
    }

    @Test
    void theSeedAgreesWithTheUnpartitionedModel() {
        Verify.Report r = verify(plan.spmd(), plan.dag(), Map.of());
        assertTrue(r.ok(), r.summary());
        assertTrue(r.nodes() > 1000 && r.maxRel() < 1e-12, r.summary());
    }

    @Test
    void removingAnAllReduceIsCaught() {
        SpmdProgram broken = without(plan.spmd(), "layers.0.a.y.all_reduce");
        Verify.Report r = verify(broken, Materialize.run("broken", "broken", broken, 8), Map.of());
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().contains("layer 0"), r.summary());
    }

    @Test
    void removingTheDispatchAllToAllIsCaught() {
        SpmdProgram broken = without(plan.spmd(), "layers.1.moe.sent.all_to_all");
        Verify.Report r = verify(broken, Materialize.run("broken", "broken", broken, 8), Map.of());
        assertFalse(r.ok(), r.summary());
    }

    @Test
    void aWrongGroupIsCaught() {
        List<DagNode> nodes = new ArrayList<>(plan.dag().nodes());
        for (int i = 0; i < nodes.size(); i++) {
            DagNode n = nodes.get(i);
            if (n.gpu() == 0 && n.name().equals("layers.0.a.y.all_reduce")) {
                nodes.set(i, new DagNode(n.index(), n.id(), n.gpu(), n.name(), n.op(), n.kind(), n.layer(), n.inputs(), n.output(),
                        n.collective(), List.of(0, 1, 2, 7), n.program(), n.microBatch()));
            }
        }
        PlanDag d = plan.dag();
        PlanDag broken = new PlanDag.Listed(d.deployment(), d.source(), d.mesh(), d.gpusPerNode(), d.dtype(), d.gpus(), nodes, d.edges(), d.roles());
        assertFalse(nodes.equals(d.nodes()), "the mutation found its node");
        Verify.Report r = verify(plan.spmd(), broken, Map.of());
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU 0"), r.summary());
    }

    @Test
    void aSwappedShardIsCaught() {
        DagNode q = plan.dag().nodes().stream().filter(n -> n.gpu() == 5 && n.name().equals("layers.1.a.q")).findFirst().orElseThrow();
        Verify.Report r = verify(plan.spmd(), plan.dag(), Map.of(q.index(), 6));
        assertFalse(r.ok(), r.summary());
        assertTrue(r.where().startsWith("GPU 5"), r.summary());
    }

    /**
     * Bucket shapes are the balanced expectation of routing, not a bound on it: the evaluator
     * routes every token to its top-k experts (no capacity, nothing dropped), so an expert's GPU
     * may receive more tokens than its buckets' shape holds, and the plan is still proven. The
     * seed in decode, shrunk as {@code verify} shrinks it.
     */
    @Test
    void routedTokensNeedNotFitTheBalancedBuckets() {
        String source = """
                import std.hardware
                import std.blocks
                model Moe16 {
                  vocab 32000  hidden 512  heads 8  layers 2  ffn 2048
                  experts 16  top 2  norm layernorm  act gelu
                  layer moe_layer
                }
                cluster Pod64 { gpu H100 { memory 64 GB }  count 64  per_node 8 }
                workload Decode { batch 64  context 4096  phase decode  dtype bf16 }
                strategy Ep16Tp4 { mesh [ep 16, tp 4] }
                deploy SeedDecode = Moe16 on Pod64 with Ep16Tp4 for Decode
                """;
        Compiler c = new Compiler(Set.of()).rewriting(d -> Shrink.run(d).deployment());
        MaterializedPlan p = c.check(pdagc.source.SourceFile.of("seed_decode.pdag", null, source)).get(0);
        Evaluator.Run run = new Evaluator(p.graph(), p.spmd(), p.dag(), 1, true, (int) p.deployment().workload().context(), Map.of()).run();
        assertTrue(run.failure() == null, () -> run.failure().message());
        long most = 0;
        long balanced = -1;
        for (DagNode n : p.dag().nodes()) {
            if (!n.name().equals("layers.0.moe.sent.all_to_all")) continue;
            long entries = 0;
            for (List<Buckets.Entry> bucket : ((Buckets) run.values()[n.index()]).experts) entries += bucket.size();
            most = Math.max(most, entries);
            balanced = n.output().dim(0) * n.output().dim(1);
        }
        assertTrue(most > balanced, "the busiest expert GPU received " + most + " tokens, its buckets' shape " + balanced);
        Verify.Report r = p.verify(1);
        assertTrue(r.ok(), r.summary());
    }

    /** The program with one op removed and its uses rewired to its input. */
    public static SpmdProgram without(SpmdProgram p, String name) {
        int victim = -1;
        for (SpmdNode n : p.nodes()) if (n.name().equals(name)) victim = n.id();
        if (victim < 0) throw new AssertionError("no op " + name);
        int replacement = p.nodes().get(victim).inputs().get(0);
        List<SpmdNode> out = new ArrayList<>();
        for (SpmdNode n : p.nodes()) {
            if (n.id() == victim) continue;
            List<Integer> inputs = new ArrayList<>();
            for (int i : n.inputs()) {
                int j = i == victim ? replacement : i;
                inputs.add(j > victim ? j - 1 : j);
            }
            int id = n.id() > victim ? n.id() - 1 : n.id();
            out.add(new SpmdNode(id, n.name(), n.op(), inputs, n.routing(), n.shape(), n.sharding(), n.local(), n.layer(), n.span(), n.origin(), n.chunk()));
        }
        assertFalse(out.stream().anyMatch(n -> n.op() instanceof Op.Collective && n.name().equals(name)));
        int backward = p.backwardStart() > victim ? p.backwardStart() - 1 : p.backwardStart();
        return new SpmdProgram(p.mesh(), p.dtype(), p.pipeline(), out, backward);
    }
}
