package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;

class ViewsTest {
    private final PlanDag plan = SmallPlans.moe();

    @Test
    void parsesSpecs() {
        assertEquals(Optional.of(new View.Whole()), Views.parse("whole"));
        assertEquals(Optional.of(new View.Gpu(5)), Views.parse("gpu:5"));
        assertEquals(Optional.of(new View.Layer(3)), Views.parse(" layer:3 "));
        assertEquals(Optional.of(new View.Roles()), Views.parse("roles"));
        assertEquals(Optional.of(new View.RolesLayer(0)), Views.parse("roles:layer:0"));
        for (String bad : List.of("", "gpu", "gpu:", "gpu:-1", "gpu:x", "gpu:1:2", "layers:1", "Whole", "roles:2", "gpu:99999999999")) {
            assertEquals(Optional.empty(), Views.parse(bad), bad);
        }
        for (String spec : List.of("whole", "gpu:5", "layer:3", "roles", "roles:layer:7")) {
            assertEquals(spec, Views.parse(spec).orElseThrow().spec());
        }
    }

    @Test
    void selectsTheNodesOfEachView() {
        assertEquals(32, Views.select(plan, new View.Whole()).size());
        assertEquals(4, Views.select(plan, new View.Whole()).lanes().size());
        Selection gpu = Views.select(plan, new View.Gpu(2));
        assertEquals(List.of("cluster_gpu2"), gpu.lanes().stream().map(Selection.Lane::cluster).toList());
        assertEquals("GPU 2 (ep 1, tp 0) on node 1", gpu.lanes().get(0).title());
        assertTrue(gpu.lanes().get(0).nodes().stream().allMatch(n -> n.gpu() == 2));
        Selection layer = Views.select(plan, new View.Layer(0));
        assertEquals(24, layer.size());
        assertTrue(layer.lanes().stream().flatMap(l -> l.nodes().stream()).allMatch(n -> n.layer() == 0));
        Selection roles = Views.select(plan, new View.Roles());
        assertEquals(1, roles.lanes().size());
        assertEquals("role 0: GPUs 0-3 (x4)", roles.lanes().get(0).title());
        assertEquals("cluster_role0", roles.lanes().get(0).cluster());
        assertEquals(8, roles.size());
        assertEquals(6, Views.select(plan, new View.RolesLayer(0)).size());
        assertTrue(roles.contains(0) && !roles.contains(8));
    }

    @Test
    void keepsPlanOrderInsideALane() {
        List<DagNode> nodes = Views.select(plan, new View.Gpu(1)).lanes().get(0).nodes();
        for (int i = 1; i < nodes.size(); i++) assertTrue(nodes.get(i - 1).index() < nodes.get(i).index());
    }

    @Test
    void choosesTheDeploymentWhenItFits() {
        ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, Views.choose(plan, Views.DEFAULT_BUDGET));
        assertEquals(new View.Deployment(), shown.selection().view());
        assertEquals("view: deployment (4 GPUs on nodes 0-1 of 2, layer 0, 24 of 32 nodes; layout 27 nodes, 38 edges)", shown.description());
    }

    @Test
    void fallsBackToTheWholePlanThenToRolesThenToOneLayerOfTheRoles() {
        // The deployment view lays out at least one GPU's layer, the notes of the others, two hubs and two sources: 12 nodes.
        ViewResult.Shown deployment = assertInstanceOf(ViewResult.Shown.class, Views.choose(plan, 12));
        assertEquals(new View.Deployment(), deployment.selection().view());
        assertEquals(1, deployment.selection().lanes().size());
        ViewResult.Shown roles = assertInstanceOf(ViewResult.Shown.class, Views.choose(plan, 10));
        assertEquals("view: roles (1 role x 4 GPUs, 8 of 32 nodes; layout 10 nodes, 10 edges; the deployment view and the whole plan are"
                + " over the budget of 10)", roles.description());
        // roles:layer:0 draws 6 of the plan's nodes and 3 stubs: it fits a budget of 9, not 8.
        ViewResult.Shown layer = assertInstanceOf(ViewResult.Shown.class, Views.choose(plan, 9));
        assertEquals(new View.RolesLayer(0), layer.selection().view());
        assertEquals("view: roles:layer:0 (1 role x 4 GPUs, 6 of 32 nodes; layout 9 nodes, 9 edges; the deployment view and the whole plan"
                + " are over the budget of 9)", layer.description());
        assertInstanceOf(ViewResult.Refused.class, Views.choose(plan, 8));
    }

    @Test
    void refusesWhenNothingFits() {
        ViewResult.Refused refused = assertInstanceOf(ViewResult.Refused.class, Views.choose(plan, 3));
        assertEquals("no view of this plan fits the budget of 3 nodes and 9 edges; the smallest is roles:layer:N"
                + " (largest roles:layer:0: 9 nodes, 9 edges): raise the budget or emit json instead", refused.message());
    }

    @Test
    void refusesARequestedViewOverTheBudgetNamingTheViewsThatFit() {
        ViewResult.Refused refused = assertInstanceOf(ViewResult.Refused.class, Views.request(plan, "layer:0", 10));
        assertEquals("view layer:0 has 24 nodes, over the budget of 10; views that fit: roles (10 nodes, 10 edges),"
                + " roles:layer:N (largest roles:layer:0: 9 nodes, 9 edges), gpu:N (largest gpu:0: 10 nodes, 10 edges)", refused.message());
    }

    @Test
    void countsEdgesAgainstTheBudgetToo() {
        // 30 nodes and 109 edges (an all-to-all over 10 GPUs missing one edge, so drawn edge by edge):
        // within a budget of 30 nodes, over its 90 edges.
        PlanDag dense = SmallPlans.allToAll(10, true);
        ViewResult.Refused refused = assertInstanceOf(ViewResult.Refused.class, Views.request(dense, "whole", 30));
        assertEquals("view whole lays out 30 nodes and 109 edges, over the budget of 30 nodes and 90 edges; views that fit:"
                + " deployment (16 nodes, 26 edges), roles (4 nodes, 3 edges), roles:layer:N (largest roles:layer:0: 4 nodes, 3 edges), gpu:N (largest gpu:0: 4 nodes, 3 edges)",
                refused.message());
        assertInstanceOf(ViewResult.Shown.class, Views.request(dense, "whole", 37));
        // The default draws the deployment: 2 of the 10 GPUs, the exchange through a hub, the others in notes.
        ViewResult.Shown chosen = assertInstanceOf(ViewResult.Shown.class, Views.choose(dense, 30));
        assertEquals(new View.Deployment(), chosen.selection().view());
        assertTrue(Views.fits(chosen.layout(), 30), chosen.description());
        // Complete, the same exchange is drawn through a hub and fits: 31 nodes, 30 edges.
        ViewResult.Shown hub = assertInstanceOf(ViewResult.Shown.class, Views.request(SmallPlans.allToAll(10, false), "whole", 31));
        assertEquals("view: whole (10 GPUs, 30 nodes; layout 31 nodes, 30 edges)", hub.description());
    }

    @Test
    void refusesUnknownAndEmptyViews() {
        assertEquals(new ViewResult.Refused("unknown view 'gpus:1': expected " + View.SYNTAX), Views.request(plan, "gpus:1", 100));
        assertEquals(new ViewResult.Refused("view gpu:9 is empty: the plan has GPUs 0-3 and layers 0"),
                Views.request(plan, "gpu:9", 100));
        assertEquals(new ViewResult.Refused("view layer:4 is empty: the plan has GPUs 0-3 and layers 0"),
                Views.request(plan, "layer:4", 100));
    }

    @Test
    void describesARequestedView() {
        ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, Views.request(plan, "gpu:1", 100));
        assertEquals("view: gpu:1 (1 GPU, 8 of 32 nodes; layout 10 nodes, 10 edges)", shown.description());
        shown = assertInstanceOf(ViewResult.Shown.class, Views.request(plan, "layer:0", 100));
        assertEquals("view: layer:0 (4 GPUs, 24 of 32 nodes; layout 28 nodes, 36 edges)", shown.description());
    }

    @Test
    void countsSeveralRoles() {
        PlanDag chain = SmallPlans.chain(3, 4, 2);
        ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, Views.request(chain, "roles", 100));
        assertEquals("view: roles (3 roles for 3 GPUs, 12 nodes; layout 12 nodes, 9 edges)", shown.description());
        assertEquals(List.of("role 0: GPU 0 (x1)", "role 1: GPU 1 (x1)", "role 2: GPU 2 (x1)"),
                shown.selection().lanes().stream().map(Selection.Lane::title).toList());
    }
}
