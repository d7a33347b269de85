package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.Golden;
import pdagc.dag.DagNode;
import pdagc.dag.PlanDag;
import pdagc.driver.Compile;

/**
 * The deployment view: the cluster's nodes as boxes holding their GPUs, each GPU labelled with its
 * coordinates, experts and stage and holding one layer's ops; collectives as hubs marked where they
 * cross the network; what is not drawn summarized with its count; the budget respected; and the
 * default view and layer choices for MoE models.
 */
class DeploymentViewTest {
    /** 16 GPUs on 4 nodes of 4, mesh [ep 8, tp 2], 8 experts, 4 layers of which the first is dense. */
    static final String SMALL = """
            import std.hardware
            import std.blocks

            model SmallMoe {
              vocab 1024  hidden 128  heads 4  layers 4  ffn 256  first_dense 1
              experts 8  top 2  norm rmsnorm  act silu
            }
            cluster Quad { gpu H100  count 16  per_node 4 }
            workload Prefill { batch 8  seq 32  phase prefill  dtype bf16 }
            strategy Ep8Tp2 { mesh [ep 8, tp 2] }
            deploy Small = SmallMoe on Quad with Ep8Tp2 for Prefill
            """;

    static PlanDag small;
    static PlanDag seed;

    @BeforeAll
    static void compile() {
        small = Compile.source(SMALL).dag();
        seed = Compile.file("examples/seed_moe_ep16_tp4.pdag").dag();
    }

    static String dot(PlanDag plan, View view, int budget) {
        ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, Views.request(plan, view, budget));
        return DotBackend.render(plan, shown.selection(), shown.layout());
    }

    static String dot(PlanDag plan) {
        return dot(plan, new View.Deployment(), Views.DEFAULT_BUDGET);
    }

    @Test
    void tinyDeploymentMatchesGolden() {
        PlanDag tiny = SmallPlans.moe();
        Golden.check("tiny-deployment.dot", DotBackend.render(tiny, Views.select(tiny, new View.Deployment())));
    }

    @Test
    void parsesTheDeploymentView() {
        assertEquals(Optional.of(new View.Deployment()), Views.parse("deployment"));
        assertEquals(Optional.of(new View.Deployment(3)), Views.parse("deployment:layer:3"));
        assertEquals("deployment", new View.Deployment().spec());
        assertEquals("deployment:layer:3", new View.Deployment(3).spec());
        for (String bad : List.of("deployment:", "deployment:layer:", "deployment:layer:x", "deployment:3", "deployments")) {
            assertEquals(Optional.empty(), Views.parse(bad), bad);
        }
    }

    @Test
    void drawsTheClusterNodesAsBoxesHoldingTheirGpus() {
        String dot = dot(small);
        // Nodes 0 and 1 in full, each GPU a box inside its node's box, in GPU order.
        assertEquals(List.of("cluster_node0", "cluster_gpu0", "cluster_gpu1", "cluster_gpu2", "cluster_gpu3",
                "cluster_node1", "cluster_gpu4", "cluster_gpu5", "cluster_gpu6", "cluster_gpu7", "cluster_nodes2_3"), clusters(dot));
        assertTrue(dot.contains("label=\"node 0: GPUs 0-3\""), dot);
        assertTrue(dot.contains("label=\"node 1: GPUs 4-7\""), dot);
        assertFalse(dot.contains("cluster_gpu8"), "nodes 2-3 are summarized, not drawn");
    }

    @Test
    void labelsEachGpuWithItsCoordinatesAndExperts() {
        String dot = dot(small);
        assertTrue(dot.contains("label=\"GPU 0\\nep 0, tp 0\\nexpert 0\""), dot);
        assertTrue(dot.contains("label=\"GPU 5\\nep 2, tp 1\\nexpert 2\""), dot);
        String seedDot = dot(seed);
        assertTrue(seedDot.contains("label=\"GPU 13\\nep 3, tp 1\\nexpert 3\""), seedDot);
        // Mixtral: 8 experts over ep 8, each GPU one expert, halved by tp.
        String mixtral = dot(Compile.file("examples/mixtral_ep_etp_pp.pdag").dag());
        assertTrue(mixtral.contains("label=\"GPU 2\\npp 0, dp 0, tp 2\\nexperts 2-3\\nstage 0: layers 0-15\""), mixtral);
        assertTrue(mixtral.contains("label=\"GPU 9\\npp 1, dp 0, tp 1\\nexperts 0-1\\nstage 1: layers 16-31\""), mixtral);
    }

    @Test
    void drawsOneMoeLayerOfEachGpuInTheSeedsShapesAndColours() {
        String dot = dot(small);
        Selection s = Views.select(small, new View.Deployment());
        for (Selection.Lane lane : s.lanes()) {
            assertFalse(lane.nodes().isEmpty(), lane.title());
            for (DagNode n : lane.nodes()) {
                assertEquals(1, n.layer(), "layer 0 is dense: the view draws the first MoE layer");
                assertEquals(0, n.microBatch());
            }
            assertTrue(lane.nodes().stream().anyMatch(n -> n.op() instanceof pdagc.ir.Op.ExpertLinear), lane.title());
        }
        assertTrue(dot.contains("shape=parallelogram style=\"filled\" fillcolor=\"" + NodeStyle.ROUTER + "\""), "the router, gold");
        assertTrue(dot.contains("shape=ellipse style=\"filled\" fillcolor=\"" + NodeStyle.ALL_TO_ALL + "\""), "all-to-all, orange");
        assertTrue(dot.contains("shape=ellipse style=\"filled\" fillcolor=\"" + NodeStyle.ALL_REDUCE + "\""), "all-reduce, red");
        assertTrue(dot.contains("shape=diamond"), "norms");
        assertTrue(dot.contains("style=dashed color=\"" + DotBackend.ROUTING_EDGE + "\""), "routing edges");
        assertTrue(dot.contains("label=\"expert_linear\\nmoe.up\\n"), dot);
        assertTrue(dot.contains("every GPU: layer 1 (MoE) drawn, x 2 more layers like this (2-3); layer 0 dense, not drawn"), dot);
    }

    @Test
    void marksTheCollectivesThatCrossTheNetwork() {
        String dot = dot(small);
        // The expert exchange over ep joins GPUs 0,2,...,14 on all four nodes: one hub, blue and bold.
        Matcher hub = Pattern.compile("  (h\\d+) \\[label=\"all_to_all moe.sent\\\\nGPUs 0,2,...,14 \\(4 of 8 drawn\\)\\\\nnetwork: 4 nodes\""
                + " shape=ellipse style=\"filled\" peripheries=2 color=\"" + DeploymentView.NETWORK + "\" penwidth=2").matcher(dot);
        assertTrue(hub.find(), dot);
        String h = hub.group(1);
        assertEquals(4, count(dot, "  n\\d+ -> " + h + " \\[color=\"" + DeploymentView.NETWORK + "\" penwidth=2.5\\];"), "one edge in per drawn member");
        assertEquals(4, count(dot, "  " + h + " -> n\\d+ \\[color=\"" + DeploymentView.NETWORK + "\" penwidth=2.5\\];"), "one edge out per drawn member");
        assertEquals(1, count(dot, "  " + h + " -> note\\d+ \\[dir=both style=dashed"), "one edge to the note of its members not drawn");
        // The tensor-parallel pairs stay inside a node: their edges are green (NVLink).
        assertTrue(dot.contains("color=\"" + DeploymentView.NVLINK + "\" penwidth=1.5"), dot);
        // In the seed, tp 4 is a group of 4 GPUs inside one node: a hub inside the node's box, marked NVLink.
        String seedDot = dot(seed);
        assertTrue(seedDot.contains("    h11 [label=\"all_reduce a.y\\nGPUs 0-3\\nNVLink\" shape=ellipse style=\"filled\" peripheries=2 color=\""
                + DeploymentView.NVLINK + "\""), seedDot);
        assertTrue(seedDot.contains("all_to_all moe.sent\\nGPUs 0,4,...,60 (4 of 16 drawn)\\nnetwork: 8 nodes"), seedDot);
    }

    @Test
    void summarizesWhatIsNotDrawnWithItsCount() {
        String dot = dot(small);
        assertTrue(dot.contains("label=\"nodes 2-3 (2 nodes)\""), dot);
        assertTrue(dot.contains("[label=\"8 GPUs (8-15)\\nsame as node 0,\\nGPUs differ by their ep coordinate (ep 4-7)\\nexperts 4-7\" shape=note"), dot);
        String seedDot = dot(seed);
        assertTrue(seedDot.contains("label=\"nodes 2-7 (6 nodes)\""), seedDot);
        assertTrue(seedDot.contains("[label=\"48 GPUs (16-63)\\nsame as node 0,\\nGPUs differ by their ep coordinate (ep 4-15)\\nexperts 4-15\""), seedDot);
        assertTrue(seedDot.contains("every GPU: layer 0 (MoE) drawn, x 15 more layers like this (1-15)"), seedDot);
        // Under a smaller budget, fewer GPUs of node 0 are drawn and the others are a note inside its box.
        String four = dot(seed, new View.Deployment(), 100);
        assertEquals(List.of("cluster_node0", "cluster_gpu0", "cluster_gpu1", "cluster_gpu2", "cluster_gpu3", "cluster_nodes1_7"), clusters(four));
        assertTrue(four.contains("[label=\"GPUs 4-7, 4 more GPUs of node 0\\nsame as GPUs 0-3,\\nGPUs differ by their ep coordinate (ep 1)\\nexpert 1\""), four);
        assertTrue(four.contains("[label=\"56 GPUs (8-63)\\nsame as node 0,\\nGPUs differ by their ep coordinate (ep 2-15)\\nexperts 2-15\""), four);
    }

    @Test
    void drawsTheSameFewGpusAtAThousandGpusAndSummarizesTheRest() {
        String big = SMALL.replace("count 16", "count 1024").replace("ep 8, tp 2", "ep 512, tp 2").replace("experts 8", "experts 512")
                .replace("batch 8", "batch 512");
        PlanDag plan = Compile.source(big).dag();
        ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, Views.choose(plan, Views.DEFAULT_BUDGET));
        assertEquals(new View.Deployment(), shown.selection().view());
        assertEquals(8, shown.selection().lanes().size());
        String dot = DotBackend.render(plan, shown.selection(), shown.layout());
        assertTrue(dot.contains("label=\"nodes 2-255 (254 nodes)\""), dot);
        assertTrue(dot.contains("[label=\"1016 GPUs (8-1023)\\nsame as node 0,\\nGPUs differ by their ep coordinate (ep 4-511)\\nexperts 4-511\""), dot);
        assertTrue(dot.contains("all_to_all moe.sent\\nGPUs 0,2,...,1022 (4 of 512 drawn)\\nnetwork: 256 nodes"), dot);
        assertTrue(shown.layout().nodes() < 200, shown.description());
    }

    @Test
    void drawsThePipelinesTransfersBetweenTheStages() {
        String dot = dot(Compile.file("examples/mixtral_ep_etp_pp.pdag").dag());
        // pp 2 over the two nodes: GPU g of stage 0 (node 0) sends to GPU g + 8 (node 1), over the network.
        assertEquals(8, count(dot, "constraint=false style=bold color=\"" + DeploymentView.NETWORK + "\" penwidth=2.5 xlabel=\"pipeline send\""), dot);
        assertTrue(dot.contains("stage 0: layer 0 (MoE) drawn, x 15 more layers like this (1-15)"), dot);
        assertTrue(dot.contains("stage 1: layer 16 (MoE) drawn, x 15 more layers like this (17-31)"), dot);
        assertTrue(dot.contains("micro-batch 0 of 8 drawn"), dot);
    }

    @Test
    void fitsTheBudgetCountingWhatItLaysOut() {
        for (int budget : List.of(2000, 400, 200, 100, 40)) {
            ViewResult r = Views.request(seed, new View.Deployment(), budget);
            ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, r, "budget " + budget);
            String dot = DotBackend.render(seed, shown.selection(), shown.layout());
            int nodes = count(dot, "\\n *[a-z]+\\w* \\[(label|shape)=") ;
            int edges = count(dot, "\\n *\\w+ -> \\w+");
            assertEquals(shown.layout().nodes(), nodes, "nodes drawn at budget " + budget);
            assertEquals(shown.layout().edges(), edges, "edges drawn at budget " + budget);
            assertTrue(Views.fits(shown.layout(), budget), shown.description());
        }
        ViewResult.Refused refused = assertInstanceOf(ViewResult.Refused.class, Views.request(seed, new View.Deployment(), 20));
        assertTrue(refused.message().startsWith("view deployment lays out at least 31 nodes and 38 edges (one GPU), over the budget of 20"),
                refused.message());
        assertEquals(new ViewResult.Refused("view deployment:layer:99 is empty: the plan has GPUs 0-63 and layers 0-15"),
                Views.request(seed, "deployment:layer:99", 2000));
    }

    @Test
    void drawsTheLayerAskedFor() {
        String dot = dot(small, new View.Deployment(0), Views.DEFAULT_BUDGET);
        assertTrue(dot.contains("every GPU: layer 0 (dense) drawn; layers 1-3 unlike it, not drawn"), dot);
        assertFalse(dot.contains("expert_linear"), dot);
    }

    @Test
    void theDefaultViewIsTheDeploymentWhenItFits() {
        ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, Views.choose(seed, Views.DEFAULT_BUDGET));
        assertEquals(new View.Deployment(), shown.selection().view());
        assertEquals("view: deployment (16 of 64 GPUs on nodes 0-1 of 8, layer 0, 336 of 22016 nodes; layout 356 nodes, 491 edges)",
                shown.description());
        shown = assertInstanceOf(ViewResult.Shown.class, Views.choose(small, Views.DEFAULT_BUDGET));
        assertEquals(new View.Deployment(), shown.selection().view());
        assertTrue(shown.description().startsWith("view: deployment (8 of 16 GPUs on nodes 0-1 of 4, layer 1, "), shown.description());
    }

    @Test
    void deepSeeksDefaultDrawingShowsAnMoeLayerAndTheExpertsOfEachGpu() {
        PlanDag deepseek = Compile.file("bench/deepseek_v3_decode.pdag").dag();
        ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, Views.choose(deepseek, Views.DEFAULT_BUDGET));
        assertTrue(shown.description().startsWith("view: deployment (16 of 320 GPUs on nodes 0-1 of 40, layer 3, "), shown.description());
        String dot = DotBackend.render(deepseek, shown.selection(), shown.layout());
        assertTrue(dot.contains("every GPU: layer 3 (MoE) drawn, x 57 more layers like this (4-60); layers 0-2 dense, not drawn"), dot);
        // The experts fold the attention's dp 80 x tp 4 as ep 320: one expert per GPU.
        assertTrue(dot.contains("label=\"GPU 5\\ndp 1, tp 1\\nexpert 5\""), dot);
        assertTrue(dot.contains("all_to_all moe.sent\\nGPUs 0-319 (16 of 320 drawn)\\nnetwork: 40 nodes"), dot);
        assertTrue(dot.contains("label=\"nodes 2-39 (38 nodes)\""), dot);
        // Below the deployment view's budget, the roles view of one layer shows an MoE layer too.
        ViewResult.Shown layer = assertInstanceOf(ViewResult.Shown.class, Views.request(deepseek, new View.RolesLayer(3), Views.DEFAULT_BUDGET));
        assertEquals(new View.RolesLayer(3), layer.selection().view());
        assertEquals(3, Views.defaultLayer(deepseek, ViewSizes.of(deepseek, Roles.of(deepseek))));
    }

    @Test
    void theDefaultLayerOfAnMoeModelIsAnMoeLayer() {
        // Below what one GPU of the deployment view lays out, the default falls to the roles of one layer: layer 1, the first MoE one.
        ViewResult.Shown shown = assertInstanceOf(ViewResult.Shown.class, Views.choose(small, 30));
        assertEquals(new View.RolesLayer(1), shown.selection().view(), shown.description());
        assertTrue(shown.description().endsWith("; the deployment view and the whole plan are over the budget of 30)"), shown.description());
        // A dense model keeps its first layer.
        PlanDag dense = SmallPlans.chain(3, 4, 2);
        assertEquals(0, Views.defaultLayer(dense, ViewSizes.of(dense, Roles.of(dense))));
    }

    @Test
    void theGpuBoxesComeOutInGpuOrder() {
        // Context parallelism across the nodes: with Graphviz's default crossing minimization, viz.js puts node 1's box left of node 0's.
        String dot = dot(Compile.file("examples/long_context_cp_tp.pdag").dag());
        List<SvgBackend> engines = new ArrayList<>(List.of(new SvgBackend("")));
        if (new SvgBackend().nativeDot().isPresent()) engines.add(new SvgBackend());
        for (SvgBackend engine : engines) {
            SvgResult.Rendered svg = assertInstanceOf(SvgResult.Rendered.class, engine.render(dot));
            Matcher m = Pattern.compile("<title>cluster_gpu(\\d+)</title>\\s*<(?:polygon|path)[^>]*?(?:points=\"|d=\"M)([\\d.-]+),").matcher(svg.svg());
            List<double[]> boxes = new ArrayList<>();
            while (m.find()) boxes.add(new double[] {Double.parseDouble(m.group(2)), Integer.parseInt(m.group(1))});
            boxes.sort((a, b) -> Double.compare(a[0], b[0]));
            List<Integer> order = boxes.stream().map(b -> (int) b[1]).toList();
            assertEquals(java.util.stream.IntStream.range(0, 16).boxed().toList(), order, svg.engine().description());
        }
    }

    private static List<String> clusters(String dot) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("subgraph (cluster_\\w+) \\{").matcher(dot);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }
}
