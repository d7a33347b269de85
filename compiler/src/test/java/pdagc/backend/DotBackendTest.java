package pdagc.backend;

import pdagc.Golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import pdagc.dag.PlanDag;
import pdagc.mesh.Mesh;

class DotBackendTest {
    private final PlanDag plan = SmallPlans.moe();

    static String dot(PlanDag plan, View view) {
        return DotBackend.render(plan, Views.select(plan, view));
    }

    @Test
    void oneGpuViewMatchesGolden() throws IOException {
        Golden.check("tiny-gpu1.dot", dot(plan, new View.Gpu(1)));
    }

    @Test
    void allToAllHubMatchesGolden() throws IOException {
        Golden.check("tiny-all-to-all.dot", dot(SmallPlans.allToAll(4, false), new View.Whole()));
    }

    @Test
    void rolesViewMatchesGolden() throws IOException {
        Golden.check("tiny-roles.dot", dot(plan, new View.Roles()));
    }

    @Test
    void drawsTheSeedConventions() {
        String dot = dot(plan, new View.Whole());
        for (int g = 0; g < 4; g++) assertTrue(dot.contains("subgraph cluster_gpu" + g + " {"));
        assertTrue(dot.contains("n3 [label=\"all_reduce\\nlayers.0.attn.all_reduce\\nGPU 0\\n[2,16,64] -> [2,16,64]\\ngroup 0,1\""
                + " shape=ellipse style=\"filled\" fillcolor=\"" + NodeStyle.ALL_REDUCE + "\"];"), dot);
        assertTrue(dot.contains("n6 [label=\"all_to_all\\nlayers.0.moe.all_to_all\\nGPU 0\\n[2,2,16,64] -> [2,2,16,64]\\ngroup 0,2\""
                + " shape=ellipse style=\"filled\" fillcolor=\"" + NodeStyle.ALL_TO_ALL + "\"];"), dot);
        assertTrue(dot.contains("shape=parallelogram style=\"filled\" fillcolor=\"" + NodeStyle.ROUTER + "\""));
        assertTrue(dot.contains("n1 [label=\"layernorm\\nlayers.0.norm\\nGPU 0\\n[2,16,64] -> [2,16,64]\" shape=diamond"));
        assertTrue(dot.contains("n0 [label=\"input\\nGPU 0\\n-> [2,16,64]\" shape=box style=\"filled,rounded\" fillcolor=\"#ffffff\"]"));
        assertTrue(dot.contains("n4 -> n5 [style=dashed color=\"" + DotBackend.ROUTING_EDGE + "\"];"));
        assertTrue(dot.contains("n10 -> n3;"), "cross-GPU edge from GPU 1's linear into GPU 0's all-reduce");
        assertTrue(dot.contains("rankdir=TB"));
        assertFalse(dot.contains("newrank"), "small views keep the default layout");
        assertFalse(dot.contains("\n    s"), "the whole view needs no stubs");
    }

    @Test
    void colorsByExpertGroup() {
        assertEquals(Palette.fill(plan, 0), Palette.fill(plan, 1));
        assertEquals(Palette.fill(plan, 2), Palette.fill(plan, 3));
        assertNotEquals(Palette.fill(plan, 0), Palette.fill(plan, 2));
        PlanDag chain = SmallPlans.chain(3, 2, 1);
        assertNotEquals(Palette.fill(chain, 0), Palette.fill(chain, 1));
        for (int k = 0; k < 64; k++) assertTrue(Palette.color(k).matches("#[0-9a-f]{6}"));
        assertEquals(16, java.util.stream.IntStream.range(0, 16).mapToObj(Palette::color).distinct().count());
    }

    @Test
    void stubsNameThePeersOfAOneGpuView() {
        String dot = dot(plan, new View.Gpu(1));
        assertTrue(dot.contains("s11 [label=\"from GPU 0\" shape=plaintext fontsize=8];"), dot);
        assertTrue(dot.contains("s11 -> n11 [style=dotted];"));
        assertTrue(dot.contains("s14 [label=\"from GPU 3\""));
        assertFalse(dot.contains("n2 "), "GPU 0's nodes are not drawn");
    }

    @Test
    void largeViewsAskForTheFastLayout() {
        PlanDag big = SmallPlans.chain(3, 700, 7);
        String dot = dot(big, new View.Whole());
        assertTrue(dot.contains("newrank=true nslimit=0.1 nslimit1=0.1 mclimit=0.1 splines=false"));
        assertFalse(dot(big, new View.Gpu(0)).contains("newrank"));
    }

    @Test
    void drawsAnAllToAllThroughOneHubWithAnEdgePerMember() {
        for (int n : List.of(3, 16, 64)) {
            PlanDag plan = SmallPlans.allToAll(n, false);
            String dot = dot(plan, new View.Whole());
            DotBackend.Layout layout = DotBackend.layout(plan, Views.select(plan, new View.Whole()));
            // n producers into the hub, the hub into n members, and each member into its consumer: 3n, not n x n + n.
            assertEquals(3 * n, edgeLines(dot), dot);
            assertEquals(3 * n, layout.edges());
            assertEquals(3 * n + 1, layout.nodes());
            assertEquals(1, layout.hubs());
            String hub = "h1 [label=\"all_to_all\\nlayers.0.moe.all_to_all\\n" + n + " members: GPUs 0-" + (n - 1) + "\" shape=ellipse"
                    + " style=\"filled\" peripheries=2 fillcolor=\"" + NodeStyle.ALL_TO_ALL + "\"];";
            assertTrue(dot.contains(hub), dot);
            for (int g = 0; g < n; g++) {
                assertTrue(dot.contains("  n" + 3 * g + " -> h1;\n"), "GPU " + g + "'s input goes into the exchange");
                assertTrue(dot.contains("  h1 -> n" + (3 * g + 1) + ";\n"), "GPU " + g + "'s result comes out of it");
            }
        }
    }

    @Test
    void drawsTheEdgesAsTheyAreWhereAHubWouldChangeTheirMeaning() {
        // GPU 1's all-to-all does not depend on GPU 0: a hub would say it does.
        PlanDag plan = SmallPlans.allToAll(8, true);
        String dot = dot(plan, new View.Whole());
        assertFalse(dot.contains("peripheries=2"), dot);
        assertEquals(8 * 8 - 1 + 8, edgeLines(dot));
        assertFalse(dot.contains("n0 -> n4;"));
        assertTrue(dot.contains("n0 -> n1;") && dot.contains("n3 -> n4;"));
    }

    @Test
    void aPairOrAOneGpuViewNeedsNoHub() {
        assertFalse(dot(plan, new View.Whole()).contains("peripheries"), "pairs keep their two edges each");
        PlanDag big = SmallPlans.allToAll(16, false);
        String one = dot(big, new View.Gpu(3));
        assertFalse(one.contains("peripheries"), one);
        assertTrue(one.contains("s10 [label=\"from GPUs 0-2,4-15\""), one);
    }

    private static int edgeLines(String dot) {
        return (int) dot.lines().filter(l -> l.matches("\\s+\\w+ -> \\w+( \\[.*\\])?;")).count();
    }

    @Test
    void isIdenticalAcrossRunsAndLocales() {
        String first = dot(plan, new View.Whole());
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals(first, dot(SmallPlans.moe(), new View.Whole()));
            Locale.setDefault(new Locale("ar", "EG"));
            assertEquals(first, dot(SmallPlans.moe(), new View.Whole()));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void paletteFallsBackToGpuIdsWithoutAnEpAxis() {
        PlanDag noEp = new SmallPlans.Builder(new Mesh(List.of(new Mesh.Axis("tp", 2)))).plan("x", List.of());
        assertEquals(Palette.color(1), Palette.fill(noEp, 1));
        assertEquals(Palette.color(1), Palette.fill(plan, 2));
    }
}
