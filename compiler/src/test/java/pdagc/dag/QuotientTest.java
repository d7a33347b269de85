package pdagc.dag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pdagc.analysis.Analysis;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;
import pdagc.validate.Validate;

/**
 * Validation and analysis walk a plan up to its symmetry (one GPU per role). They must say exactly
 * what walking every node says: here each plan is also given node by node, without its closed
 * form, so that it is its own quotient, and the two results are compared figure by figure.
 */
class QuotientTest {

    static Stream<Arguments> plans() {
        List<Arguments> all = new ArrayList<>();
        pdagc.verify.StrategyMatrixTest.strategies().forEach(all::add);
        for (String f : List.of("examples/seed_moe_ep16_tp4.pdag", "examples/llama3_8b_dp_tp_pp.pdag", "examples/mixtral_ep_etp_pp.pdag")) {
            all.add(Arguments.of(f, null));
        }
        // Groups that cross cluster nodes on some GPUs of a role and not on others (tp 4 in nodes of 6; pp with tp 3 in nodes of 8).
        all.add(Arguments.of("tp groups straddling nodes", """
                import std.hardware
                import std.blocks
                model M { vocab 1024  hidden 64  heads 8  layers 2  ffn 128  experts 6  top 2  norm layernorm  act gelu  layer moe_layer }
                cluster C { gpu H100  count 12  per_node 6 }
                workload W { batch 6  seq 6  phase prefill  dtype bf16 }
                strategy S { mesh [ep 3, tp 4] }
                deploy D = M on C with S for W
                """));
        all.add(Arguments.of("pp and tp 3 straddling nodes", """
                import std.hardware
                import std.blocks
                model M { vocab 768  hidden 48  heads 6  layers 4  ffn 96  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 24  per_node 8 }
                workload W { batch 8  seq 6  phase prefill  dtype bf16 }
                strategy S { mesh [dp 4, pp 2, tp 3] micro_batches 2 }
                deploy D = M on C with S for W
                """));
        return all.stream();
    }

    static MaterializedPlan compile(String name, String source) {
        return source == null ? Compile.file(name) : Compile.source(source);
    }

    /** The same plan given node by node: no closed form, every GPU its own role. */
    static PlanDag explicit(PlanDag d) {
        PlanDag s = d.snapshot();
        return new PlanDag.Listed(s.deployment(), s.source(), s.mesh(), s.gpusPerNode(), s.dtype(), s.gpus(), s.nodes(), s.edges(), s.roles());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void theQuotientSaysWhatEveryNodeSays(String name, String source) {
        MaterializedPlan p = compile(name, source);
        assertTrue(p.dag() instanceof PlanDag.ClosedForm, "a materialized plan has its closed form");
        PlanDag.ClosedForm dag = (PlanDag.ClosedForm) p.dag();
        Quotient q = Quotient.of(dag);
        // Groups straddling cluster nodes on some GPUs of a role only: walked node by node.
        assertEquals(!name.contains("straddling"), q.symmetric(), "symmetric");
        if (q.symmetric()) assertEquals(dag.schedules().stages(), q.roles());
        PlanDag full = explicit(dag);
        Quotient identity = Quotient.of(full);
        assertEquals(dag.nodes().size(), identity.nodes().size());
        assertEquals(List.of(), Validate.run(q));
        assertEquals(List.of(), Validate.run(identity));
        // Validation does not depend on speed: it walks one GPU per stage even where costs differ.
        Quotient structure = Quotient.structural(dag);
        assertTrue(structure.symmetric());
        assertEquals(List.of(), Validate.run(structure));

        Analysis a = p.analysis();
        Analysis b = Analysis.run(p.deployment(), p.graph(), p.spmd(), identity);
        assertNull(b.problem());
        double step = b.step().seconds();
        assertEquals(step, a.step().seconds(), 1e-12 * step, "step");
        assertEquals(b.step().communicationSeconds(), a.step().communicationSeconds(), 1e-12 * step, "communication on the path");
        assertEquals(b.gpus().size(), a.gpus().size());
        for (int g = 0; g < a.gpus().size(); g++) {
            Analysis.GpuFigures x = a.gpus().get(g), y = b.gpus().get(g);
            assertEquals(y.memory(), x.memory(), "memory of GPU " + g);
            assertEquals(y.flops(), x.flops());
            assertEquals(y.hbmBytes(), x.hbmBytes());
            assertEquals(y.collectiveTrafficBytes(), x.collectiveTrafficBytes());
            assertEquals(y.computeSeconds(), x.computeSeconds(), 1e-12 * step, "compute of GPU " + g);
            assertEquals(y.communicationSeconds(), x.communicationSeconds(), 1e-12 * step, "communication of GPU " + g);
            assertEquals(y.idleSeconds(), x.idleSeconds(), 1e-12 * step, "idle time of GPU " + g);
        }
        for (int i = 0; i < dag.nodes().size(); i++) {
            assertEquals(b.nodes().flops(i), a.nodes().flops(i));
            assertEquals(b.nodes().bytes(i), a.nodes().bytes(i));
            assertEquals(b.nodes().seconds(i), a.nodes().seconds(i), 0.0, () -> "time of " + full.nodes().get(0).id());
        }
        // The path, mapped to plan nodes, is a path: consecutive nodes are joined by an edge or follow on one GPU.
        List<Integer> path = a.step().path();
        assertTrue(!path.isEmpty());
        for (int i = 0; i < path.size(); i++) assertTrue(path.get(i) >= 0 && path.get(i) < dag.nodes().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void theClosedFormFindsEveryNodesRankAndPosition(String name, String source) {
        PlanDag.ClosedForm dag = (PlanDag.ClosedForm) compile(name, source).dag();
        Schedules s = dag.schedules();
        long expected = 0;
        for (int r = 0; r < s.ranks(); r++) {
            assertEquals(expected, s.firstNode(r), "first node of rank " + r);
            expected += s.nodesPerRank(s.stageOf(r));
        }
        assertEquals(expected, s.nodeCount());
        for (int i = 0; i < dag.nodes().size(); i++) {
            int r = s.rankOfNode(i);
            assertEquals(dag.nodes().get(i).gpu(), r);
        }
        long edges = 0;
        for (int r = 0; r < s.ranks(); r++) {
            assertEquals(edges, s.firstEdgeOfRank(r));
            edges += s.edgesPerRank(s.stageOf(r));
        }
        for (int e = 0; e < dag.edges().size(); e++) assertEquals(dag.nodes().get(dag.edges().get(e).to()).gpu(), s.rankOfEdge(e));
    }

    /** A plan whose program is changed under it: the symmetric validation must still catch it. */
    static PlanDag mutated(MaterializedPlan p, java.util.function.UnaryOperator<SpmdNode> change) {
        SpmdProgram prog = p.spmd();
        List<SpmdNode> nodes = new ArrayList<>();
        for (SpmdNode n : prog.nodes()) nodes.add(change.apply(n));
        SpmdProgram broken = new SpmdProgram(prog.mesh(), prog.dtype(), prog.pipeline(), nodes);
        return Materialize.run(p.dag().deployment(), p.dag().source(), broken, p.dag().gpusPerNode());
    }

    static final String PP_TP = pdagc.verify.StrategyMatrixTest.deploy(pdagc.verify.StrategyMatrixTest.dense("8"), 8,
            "mesh [dp 2, pp 2, tp 2] micro_batches 2", pdagc.verify.StrategyMatrixTest.PREFILL);

    @Test
    void aCollectiveAcrossPipelineStagesIsCaught() {
        MaterializedPlan p = Compile.source(PP_TP);
        PlanDag broken = mutated(p, n -> n.op() instanceof Op.Collective c && c.axes().equals(List.of("tp"))
                ? new SpmdNode(n.id(), n.name(), new Op.Collective(c.collective(), List.of("pp", "tp"), c.dim(), c.toDim()), n.inputs(), n.routing(),
                        n.shape(), n.sharding(), n.local(), n.layer(), n.span(), n.origin(), n.chunk())
                : n);
        List<String> problems = Validate.run(broken);
        assertTrue(problems.stream().anyMatch(x -> x.contains("[pp, tp]") && x.contains("inconsistent")), problems.toString());
    }

    @Test
    void aConsumerScheduledBeforeItsProducerIsCaught() {
        MaterializedPlan p = Compile.source(PP_TP);
        List<SpmdNode> ops = p.spmd().nodes();
        // An op reads, instead of its first input, a value of the same shape that its chunk makes later.
        SpmdNode victim = null;
        SpmdNode late = null;
        for (SpmdNode v : ops) {
            if (v.inputs().isEmpty() || late != null) continue;
            for (SpmdNode l : ops) {
                if (l.id() > v.id() && l.chunk() == v.chunk() && l.local().equals(ops.get(v.inputs().get(0)).local())) {
                    victim = v;
                    late = l;
                }
            }
        }
        assertNotNull(late);
        List<Integer> inputs = new ArrayList<>(victim.inputs());
        inputs.set(0, late.id());
        int target = victim.id();
        PlanDag broken = mutated(p, n -> n.id() == target
                ? new SpmdNode(n.id(), n.name(), n.op(), List.copyOf(inputs), n.routing(), n.shape(), n.sharding(), n.local(), n.layer(), n.span(),
                        n.origin(), n.chunk())
                : n);
        List<String> problems = Validate.run(broken);
        assertTrue(problems.stream().anyMatch(x -> x.contains("cycle") || x.contains("before its input")), problems.toString());
    }
}
