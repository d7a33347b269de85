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
import pdagc.dag.PlanDag;
import pdagc.driver.Compile;

/** Validation accepts a correct plan and names what is wrong in broken copies of it. */
class ValidateTest {
    static PlanDag plan;

    @BeforeAll
    static void compile() {
        plan = Compile.file("examples/seed_moe_ep16_tp4.pdag").dag().snapshot();
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
}
