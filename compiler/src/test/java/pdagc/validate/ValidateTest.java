package pdagc.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagEdge;
import pdagc.dag.DagNode;
import pdagc.dag.EdgeKind;
import pdagc.dag.Materialize;
import pdagc.dag.PlanDag;
import pdagc.dag.Quotient;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.Op;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.SpmdProgram;

/**
 * Validation accepts a correct plan and names what is wrong in broken copies of it: given node by
 * node (every GPU its own role), and in closed form, through the symmetric quotient (one GPU per
 * pipeline stage) that the compiler validates in production ({@code Compiler.materialize}).
 */
class ValidateTest {
    static MaterializedPlan seed;
    static PlanDag plan;

    @BeforeAll
    static void compile() {
        seed = Compile.file("examples/seed_moe_ep16_tp4.pdag");
        plan = seed.dag().snapshot();
    }

    static PlanDag with(List<DagNode> nodes, List<DagEdge> edges) {
        return new PlanDag.Listed(plan.deployment(), plan.source(), plan.mesh(), plan.gpusPerNode(), plan.dtype(), plan.gpus(), nodes, edges, plan.roles());
    }

    static int find(int gpu, String name) {
        for (DagNode n : plan.nodes()) if (n.gpu() == gpu && n.name().equals(name)) return n.index();
        throw new AssertionError(name);
    }

    @Test
    void theSeedIsValid() {
        assertEquals(List.of(), Validate.run(plan));
    }

    @Test
    void aMemberThatNamesAnotherGroupIsCaught() {
        List<DagNode> nodes = new ArrayList<>(plan.nodes());
        int i = find(1, "layers.2.a.y.all_reduce");
        DagNode n = nodes.get(i);
        nodes.set(i, new DagNode(n.index(), n.id(), n.gpu(), n.name(), n.op(), n.kind(), n.layer(), n.inputs(), n.output(), n.collective(),
                List.of(0, 1, 2, 5), n.program(), n.microBatch()));
        List<String> problems = Validate.run(with(nodes, plan.edges()));
        assertTrue(problems.stream().anyMatch(p -> p.contains("layers.2.a.y.all_reduce") && p.contains("differs")), problems.toString());
    }

    @Test
    void collectivesIssuedInAnotherOrderDeadlock() {
        // On GPU 3, swap the collective ids of two all-reduces of its tp group: it waits on the second first.
        List<DagNode> nodes = new ArrayList<>(plan.nodes());
        int a = find(3, "layers.0.a.y.all_reduce");
        int b = find(3, "layers.1.a.y.all_reduce");
        DagNode x = nodes.get(a);
        DagNode y = nodes.get(b);
        nodes.set(a, new DagNode(x.index(), x.id(), x.gpu(), x.name(), x.op(), x.kind(), x.layer(), x.inputs(), x.output(), y.collective(),
                x.group(), x.program(), x.microBatch()));
        nodes.set(b, new DagNode(y.index(), y.id(), y.gpu(), y.name(), y.op(), y.kind(), y.layer(), y.inputs(), y.output(), x.collective(),
                y.group(), y.program(), y.microBatch()));
        List<String> problems = Validate.run(with(nodes, plan.edges()));
        assertTrue(problems.stream().anyMatch(p -> p.contains("deadlock") && p.contains("GPU 0 waits")), problems.toString());
    }

    @Test
    void aCycleIsNamed() {
        List<DagEdge> edges = new ArrayList<>(plan.edges());
        int q = find(0, "layers.0.a.q");
        int n = find(0, "layers.0.a.n");
        edges.add(new DagEdge(q, n, EdgeKind.DATA));
        List<String> problems = Validate.run(with(plan.nodes(), edges));
        assertTrue(problems.stream().anyMatch(p -> p.contains("cycle") && p.contains("0:layers.0.a.")), problems.toString());
    }

    // The same breakages in closed form: the SPMD program is broken, materialized, and validated as
    // Compiler.materialize does, through Quotient.of or Quotient.structural.

    /** Materializes a program and validates it the way the compiler does; the quotient must be the symmetric one. */
    static List<String> validateClosedForm(MaterializedPlan p, List<SpmdNode> nodes) {
        SpmdProgram program = new SpmdProgram(p.spmd().mesh(), p.spmd().dtype(), p.spmd().pipeline(), nodes);
        PlanDag dag = Materialize.run(p.deployment().name(), "broken", program, p.deployment().cluster().perNode());
        Quotient quotient = Quotient.of(dag);
        Quotient structure = quotient.symmetric() ? quotient : Quotient.structural(dag);
        assertTrue(structure.symmetric(), "validated one GPU per stage");
        assertTrue(structure.roles() < dag.gpus().size(), "fewer roles than GPUs");
        return Validate.run(structure);
    }

    static int op(MaterializedPlan p, String name) {
        for (SpmdNode n : p.spmd().nodes()) if (n.name().equals(name)) return n.id();
        throw new AssertionError(name);
    }

    static SpmdNode with(SpmdNode n, Op op, List<Integer> inputs, List<Boolean> routing, int chunk) {
        return new SpmdNode(n.id(), n.name(), op, inputs, routing, n.shape(), n.sharding(), n.local(), n.layer(), n.span(), n.origin(), chunk);
    }

    @Test
    void theSeedIsValidInClosedForm() {
        assertEquals(List.of(), validateClosedForm(seed, seed.spmd().nodes()));
        MaterializedPlan pp = Compile.file("examples/llama3_8b_dp_tp_pp.pdag");
        assertEquals(List.of(), validateClosedForm(pp, pp.spmd().nodes()));
    }

    @Test
    void aCycleIsNamedInClosedForm() {
        // layers.0.a.n also reads layers.0.a.q, which reads it: a cycle on every GPU, and on the quotient's one.
        List<SpmdNode> nodes = new ArrayList<>(seed.spmd().nodes());
        int n = op(seed, "layers.0.a.n");
        int q = op(seed, "layers.0.a.q");
        SpmdNode norm = nodes.get(n);
        List<Integer> inputs = new ArrayList<>(norm.inputs());
        inputs.add(q);
        List<Boolean> routing = new ArrayList<>(norm.routing());
        routing.add(false);
        nodes.set(n, with(norm, norm.op(), inputs, routing, norm.chunk()));
        List<String> problems = validateClosedForm(seed, nodes);
        assertTrue(problems.stream().anyMatch(p -> p.contains("cycle") && p.contains("0:layers.0.a.")), problems.toString());
    }

    @Test
    void aGroupOutsideItsStageIsCaughtInClosedForm() {
        // In closed form every member's group comes from the mesh, so a wrong group is one the
        // arithmetic gives for the wrong axes: an all-reduce over pp and tp names GPUs of other
        // pipeline stages, which run another schedule (the closed-form version of GPU 1 naming
        // [0, 1, 2, 5] above).
        MaterializedPlan pp = Compile.file("examples/llama3_8b_dp_tp_pp.pdag");
        List<SpmdNode> nodes = new ArrayList<>(pp.spmd().nodes());
        int i = op(pp, "layers.0.a.y.all_reduce");
        SpmdNode n = nodes.get(i);
        Op.Collective c = (Op.Collective) n.op();
        nodes.set(i, with(n, new Op.Collective(c.collective(), List.of("pp", "tp"), c.dim(), c.toDim()), n.inputs(), n.routing(), n.chunk()));
        List<String> problems = validateClosedForm(pp, nodes);
        assertTrue(problems.stream().anyMatch(p -> p.contains("group over [pp, tp]") && p.contains("inconsistent")), problems.toString());
    }

    static SpmdNode withLocal(SpmdNode n, pdagc.ir.Shape local) {
        return new SpmdNode(n.id(), n.name(), n.op(), n.inputs(), n.routing(), n.shape(), n.sharding(), local, n.layer(), n.span(), n.origin(),
                n.chunk());
    }

    @Test
    void aCollectiveThatDoesNotConserveDataIsCaught() {
        // The dispatch all-to-all of layer 0 giving twice what its members send (a padded receive
        // buffer): shapes still agree along every edge, since its consumers read its local shape.
        List<SpmdNode> nodes = new ArrayList<>(seed.spmd().nodes());
        int i = op(seed, "layers.0.moe.sent.all_to_all");
        SpmdNode n = nodes.get(i);
        assertEquals(new pdagc.ir.Shape(1, 2048, 512), n.local());
        nodes.set(i, withLocal(n, new pdagc.ir.Shape(1, 4096, 512)));
        List<String> problems = validateClosedForm(seed, nodes);
        assertTrue(problems.stream().anyMatch(p -> p.contains("layers.0.moe.sent.all_to_all") && p.contains("does not conserve data")
                && p.contains("total in = total out")), problems.toString());
        // And an all-reduce over tp on an input its members hold whole gives the input's shape.
        nodes = new ArrayList<>(seed.spmd().nodes());
        i = op(seed, "layers.0.a.y.all_reduce");
        nodes.set(i, withLocal(nodes.get(i), new pdagc.ir.Shape(8, 128, 128)));
        problems = validateClosedForm(seed, nodes);
        assertTrue(problems.stream().anyMatch(p -> p.contains("layers.0.a.y.all_reduce") && p.contains("output = input")), problems.toString());
    }

    @Test
    void aRecvThatGivesAnotherShapeThanItsSendTookIsCaught() {
        MaterializedPlan pp = Compile.file("examples/llama3_8b_dp_tp_pp.pdag");
        List<SpmdNode> nodes = new ArrayList<>(pp.spmd().nodes());
        SpmdNode recv = nodes.stream().filter(n -> n.op() instanceof Op.Transfer t && !t.send()).findFirst().orElseThrow();
        pdagc.ir.Shape s = recv.local();
        nodes.set(recv.id(), withLocal(recv, new pdagc.ir.Shape(s.dim(0), s.dim(1), s.dim(2) / 2)));
        List<String> problems = validateClosedForm(pp, nodes);
        assertTrue(problems.stream().anyMatch(p -> p.contains(recv.name()) && p.contains("recv of")), problems.toString());
    }

    @Test
    void aSendIssuedAfterARecvItFeedsDeadlocksInClosedForm() {
        // Interleaved, pp 2 x 2 chunks: stage 0 runs chunks 0 and 2, stage 1 chunks 1 and 3. Move
        // chunk 0's send to chunk 1 into chunk 2, after chunk 2's recv from chunk 1: stage 0 waits
        // for chunk 1's output, stage 1 for the send that would start chunk 1.
        MaterializedPlan p = Compile.source("""
                import std.hardware
                import std.blocks
                model M { vocab 256 hidden 64 heads 8 kv_heads 4 layers 8 ffn 128 norm rmsnorm act silu layer gated_dense_layer }
                cluster C { gpu H100  count 4  per_node 8 }
                workload W { batch 16 seq 32 phase prefill }
                strategy S { mesh [pp 2, tp 2] micro_batches 2 schedule interleaved virtual_stages 2 }
                deploy D = M on C with S for W
                """);
        assertEquals(List.of(), validateClosedForm(p, p.spmd().nodes()));
        List<SpmdNode> program = p.spmd().nodes();
        int send = -1;
        int recv = -1;
        for (SpmdNode n : program) {
            if (n.op() instanceof Op.Transfer t && t.send() && t.fromChunk() == 0 && t.toChunk() == 1 && send < 0) send = n.id();
            if (n.op() instanceof Op.Transfer t && !t.send() && t.fromChunk() == 1 && t.toChunk() == 2 && recv < 0) recv = n.id();
        }
        assertTrue(send >= 0 && recv > send, send + " " + recv);
        List<String> problems = validateClosedForm(p, moveAfter(program, send, recv, 2));
        assertTrue(problems.stream().anyMatch(x -> x.contains("deadlock") && x.contains("waits at") && x.contains("recv")), problems.toString());
    }

    /** The program with op {@code from} moved to just after op {@code after}, into {@code chunk}, ids and inputs renumbered. */
    static List<SpmdNode> moveAfter(List<SpmdNode> program, int from, int after, int chunk) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < program.size(); i++) {
            if (i == from) continue;
            order.add(i);
            if (i == after) order.add(from);
        }
        int[] newId = new int[program.size()];
        for (int k = 0; k < order.size(); k++) newId[order.get(k)] = k;
        List<SpmdNode> out = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) {
            SpmdNode n = program.get(order.get(k));
            List<Integer> inputs = new ArrayList<>();
            for (int in : n.inputs()) inputs.add(newId[in]);
            out.add(new SpmdNode(k, n.name(), n.op(), inputs, n.routing(), n.shape(), n.sharding(), n.local(), n.layer(), n.span(), n.origin(),
                    n.id() == from ? chunk : n.chunk()));
        }
        return out;
    }
}
