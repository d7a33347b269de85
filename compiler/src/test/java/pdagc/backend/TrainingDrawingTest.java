package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.dag.PlanDag;
import pdagc.driver.Compile;

/**
 * Drawings of a training step (the training example: Llama-3-8B's shapes on dp 2 x pp 4 x tp 4,
 * 8 micro-batches under 1F1B, ZeRO 1, selective recomputation): gradients in light blue dashed
 * boxes, optimizer steps in green octagons, every other op of the backward pass and of the
 * once-per-step part with a dashed outline, forward ops as in serving; each stage's schedule in the
 * title, 1F1B's warm-up, steady state and cool-down; each stage drawn with one of its own layers;
 * and one GPU's view joins its units by order edges in the schedule's order.
 */
class TrainingDrawingTest {
    static final Pattern NODE = Pattern.compile("\\n\\s*n\\d+ \\[label=\"[^\"]*\" tooltip=\"([^\\\\\"]*)\\\\n([^\\\\\"]*)\\\\n[^\"]*\""
            + " shape=(\\w+) style=\"([^\"]*)\" fillcolor=\"([^\"]*)\"\\]");
    static PlanDag example;
    static String deployment;

    @BeforeAll
    static void draw() {
        example = Compile.file("examples/llama3_8b_train.pdag").dag();
        deployment = DeploymentViewTest.dot(example);
    }

    /** A drawn node: its op, its full name and its style. */
    record Drawn(String op, String name, String shape, String style, String fill) {}

    static List<Drawn> nodes(String dot) {
        List<Drawn> out = new ArrayList<>();
        Matcher m = NODE.matcher(dot);
        while (m.find()) out.add(new Drawn(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)));
        return out;
    }

    /** 1F1B (PipeDream-Flush) on p stages with m micro-batches, written out from its definition: stage s warms up with p - s - 1 forwards. */
    static String oneFOneB(int p, int m, int s) {
        int w = Math.min(p - s - 1, m);
        List<String> warm = new ArrayList<>();
        List<String> steady = new ArrayList<>();
        List<String> cool = new ArrayList<>();
        for (int i = 0; i < w; i++) warm.add("F" + i);
        for (int i = 0; i < m - w; i++) {
            steady.add("F" + (w + i));
            steady.add("B" + i);
        }
        for (int i = m - w; i < m; i++) cool.add("B" + i);
        List<String> parts = new ArrayList<>();
        if (!warm.isEmpty()) parts.add("warm-up " + String.join(" ", warm));
        parts.add("steady " + String.join(" ", steady));
        if (!cool.isEmpty()) parts.add("cool-down " + String.join(" ", cool));
        parts.add("step");
        return "stage " + s + " (1f1b, " + m + " micro-batches): " + String.join(" | ", parts);
    }

    @Test
    void theTitleGivesEachStagesScheduleIn1F1BOrder() {
        for (int s = 0; s < 4; s++) assertTrue(deployment.contains("\\n" + oneFOneB(4, 8, s) + "\\n"), oneFOneB(4, 8, s) + "\n" + title());
        assertTrue(deployment.contains("stage 0 (1f1b, 8 micro-batches): warm-up F0 F1 F2 | steady F3 B0 F4 B1"), title());
        assertTrue(deployment.contains("stage 3 (1f1b, 8 micro-batches): steady F0 B0 F1 B1"), title());
    }

    @Test
    void eachStageIsDrawnWithOneOfItsOwnLayers() {
        // 32 layers over 4 stages: stage s holds layers 8s to 8s + 7 (a gradient of the stage before's last layer is summed
        // here, not drawn); the budget draws one cluster node, GPUs 0-7: stages 0 and 1.
        assertTrue(deployment.contains("\\nstage 0: layer 0 drawn, x 6 more layers like this (1-6); layer 7 unlike it"), title());
        assertTrue(deployment.contains("\\nstage 1: layer 8 drawn, x 6 more layers like this (9-14); layer 15 unlike it"), title());
    }

    @Test
    void gradientsOptimizerStepsAndTheBackwardPassHaveTheirOwnLook() {
        List<Drawn> drawn = nodes(deployment);
        assertTrue(drawn.size() > 100, "nodes parsed: " + drawn.size());
        int gradients = 0, steps = 0, backwardCollectives = 0, forward = 0;
        for (Drawn d : drawn) {
            if (d.op().endsWith("_grad") || d.op().endsWith("_wgrad") || d.op().equals("accumulate")) {
                assertEquals(List.of("box", "filled,dashed", NodeStyle.BACKWARD), List.of(d.shape(), d.style(), d.fill()), d.toString());
                gradients++;
            } else if (d.op().equals("adam")) {
                assertEquals(List.of("octagon", "filled", NodeStyle.OPTIMIZER), List.of(d.shape(), d.style(), d.fill()), d.toString());
                steps++;
            } else if (d.name().contains(".grad") || d.name().contains(".accumulate.") || d.name().contains(".adam.") || d.name().endsWith("#2")
                    || d.name().contains(".recompute")) {
                // the backward pass's collectives and sums, the recomputed ops, the once-per-step reduction and gather
                assertTrue(d.style().endsWith(",dashed"), d.toString());
                assertFalse(d.fill().equals(NodeStyle.BACKWARD) || d.fill().equals(NodeStyle.OPTIMIZER), d.toString());
                if (d.shape().equals("ellipse")) backwardCollectives++;
            } else if (!d.op().equals("new_weight")) {
                assertFalse(d.style().contains("dashed"), d.toString());
                forward++;
            }
        }
        // Per drawn layer: 9 weights (q, k, v, the attention output, gate, up, down, 2 norms) each with a weight
        // gradient and an accumulation, and an optimizer step; on the 8 GPUs drawn.
        assertEquals(8, count(deployment, "subgraph cluster_gpu"), title());
        assertEquals(8 * 9, steps);
        assertTrue(gradients > 8 * 9 * 2 && backwardCollectives > 0 && forward > 0, gradients + " " + backwardCollectives + " " + forward);
        assertTrue(deployment.contains(TrainingMarks.legend()), title());
    }

    @Test
    void oneGpusViewJoinsItsUnitsInScheduleOrder() {
        PlanDag small = Compile.source("""
                import std.hardware
                import std.blocks
                model M { vocab 256 hidden 64 heads 8 kv_heads 8 layers 2 ffn 128 norm rmsnorm act silu layer gated_dense_layer }
                cluster C { gpu H100  count 2  per_node 8 }
                workload W { batch 8 seq 16 phase train }
                strategy S { mesh [pp 2] micro_batches 4 schedule 1f1b }
                deploy D = M on C with S for W
                """).dag();
        String dot = DeploymentViewTest.dot(small, new View.Gpu(0), Views.DEFAULT_BUDGET);
        // GPU 0 (stage 0) runs 4 forward units, 4 backward units and the step: 8 order edges between them.
        assertEquals(8, count(dot, "arrowhead=empty"), dot);
        assertTrue(dot.contains(oneFOneB(2, 4, 0)), dot.substring(0, Math.min(dot.length(), 2000)));
        assertTrue(dot.contains("stage 0 (1f1b, 4 micro-batches): warm-up F0 | steady F1 B0 F2 B1 F3 B2 | cool-down B3 | step"));
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    private static String title() {
        int start = deployment.indexOf("label=");
        return deployment.substring(start, deployment.indexOf('\n', start));
    }
}
