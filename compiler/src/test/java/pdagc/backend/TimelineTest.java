package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import pdagc.Repo;
import pdagc.cli.Main;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.units.Units;

/**
 * {@code --emit timeline}: the simulated step as an SVG Gantt chart. Its lanes are the report's
 * roles (or the GPUs asked for), its length is the step's time as the report gives it, and its
 * bars are each role's schedule with the critical-path simulation's start and finish.
 */
class TimelineTest {
    static final String SEED = "examples/seed_moe_ep16_tp4.pdag";
    static MaterializedPlan seed;
    static MaterializedPlan pipelined;

    /** A training step over two pipeline stages of two GPUs each, four micro-batches. */
    static final String PIPELINED = """
            import std.hardware
            import std.blocks
            model M { vocab 256 hidden 64 heads 8 kv_heads 8 layers 2 ffn 128 norm rmsnorm act silu layer gated_dense_layer }
            cluster C { gpu H100  count 4  per_node 8 }
            workload W { batch 8 seq 16 phase train }
            strategy S { mesh [pp 2, tp 2] micro_batches 4 schedule 1f1b }
            deploy D = M on C with S for W
            """;

    @BeforeAll
    static void compile() {
        seed = Compile.file(SEED);
        pipelined = Compile.source(PIPELINED);
    }

    static Document svg(Path dir, String... extra) throws Exception {
        Path out = dir.resolve("step.svg");
        List<String> args = new ArrayList<>(List.of(Repo.file(SEED).toString(), "--emit", "timeline", "-o", out.toString()));
        args.addAll(List.of(extra));
        StringWriter err = new StringWriter();
        int code = Main.run(args.toArray(String[]::new), new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.toFile());
    }

    static Document svg(StepTimeline t) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TimelineSvg.write(t, out);
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new java.io.ByteArrayInputStream(out.toByteArray()));
    }

    static List<Element> lanes(Document d) {
        List<Element> out = new ArrayList<>();
        NodeList g = d.getElementsByTagName("g");
        for (int i = 0; i < g.getLength(); i++) if (((Element) g.item(i)).getAttribute("class").equals("lane")) out.add((Element) g.item(i));
        return out;
    }

    static int bars(Element lane) {
        NodeList r = lane.getElementsByTagName("rect");
        int n = 0;
        for (int i = 0; i < r.getLength(); i++) if (((Element) r.item(i)).getAttribute("class").startsWith("bar")) n++;
        return n;
    }

    @Test
    void theSeedsTimelineHasOneLanePerRoleAndTheReportsTtft(@TempDir Path dir) throws Exception {
        Document d = svg(dir);
        List<Element> lanes = lanes(d);
        List<pdagc.dag.PlanDag.Role> roles = Roles.of(seed.dag()).all();
        assertEquals(roles.size(), lanes.size());
        for (int r = 0; r < roles.size(); r++) assertEquals(Integer.toString(roles.get(r).id()), lanes.get(r).getAttribute("data-role"));
        double seconds = Double.parseDouble(d.getDocumentElement().getAttribute("data-seconds"));
        assertEquals(seed.analysis().step().ttft(), seconds);
        // The report prints this figure as the TTFT.
        String report = ReportBackend.render(seed.deployment(), seed.dag(), seed.analysis());
        assertTrue(report.contains("  TTFT                          " + Units.seconds(seconds) + "\n"), report);
        // Every node of the role's GPU is a bar: 22016 nodes over 64 GPUs.
        assertEquals(seed.dag().nodes().size() / seed.dag().gpus().size(), bars(lanes.get(0)));
    }

    @Test
    void theTimelinesLastFinishIsTheStepAndCollectivesShareTheirTimes() {
        StepTimeline t = StepTimeline.of(seed.dag(), seed.spmd(), seed.analysis(), "seed", null);
        StepTimeline.Lane lane = t.lanes().get(0);
        assertEquals(t.seconds(), lane.last());
        assertEquals(0.0, lane.first());
        // On one GPU, each node starts after the one before it in the schedule has finished.
        for (int i = 1; i < lane.bars().size(); i++) assertTrue(lane.bars().get(i).start() >= lane.bars().get(i - 1).finish() - 1e-15);
        // The critical path is on the lane: its nodes' times add up to the step.
        double path = lane.bars().stream().filter(StepTimeline.Bar::critical).mapToDouble(StepTimeline.Bar::seconds).sum();
        assertEquals(t.seconds(), path, 1e-12 * t.seconds());
        long allToAll = lane.bars().stream().filter(b -> b.collective() == pdagc.ir.CollectiveKind.ALL_TO_ALL).count();
        assertEquals(32, allToAll);
        lane.bars().stream().filter(b -> b.collective() == pdagc.ir.CollectiveKind.ALL_TO_ALL).forEach(b -> assertEquals(16, b.dag().group().size()));
    }

    @Test
    void ranksDrawOneLanePerGpu(@TempDir Path dir) throws Exception {
        List<Element> lanes = lanes(svg(dir, "--ranks", "0-3,63"));
        assertEquals(5, lanes.size());
        assertEquals("63", lanes.get(4).getAttribute("data-gpu"));
        assertEquals(bars(lanes.get(0)), bars(lanes.get(4)));
    }

    @Test
    void aPipelinedTrainingStepHasALanePerStageBubblesAndPhases() throws Exception {
        StepTimeline t = StepTimeline.of(pipelined.dag(), pipelined.spmd(), pipelined.analysis(), "pp", null);
        int roles = Roles.of(pipelined.dag()).all().size();
        assertEquals(2, roles);
        assertEquals(roles, t.lanes().size());
        assertEquals(pipelined.analysis().step().seconds(), t.seconds());
        // The second stage waits for the first stage's first forward unit: its lane starts late.
        assertTrue(t.lanes().get(1).first() > 0);
        for (StepTimeline.Phase p : StepTimeline.Phase.values()) {
            assertTrue(t.lanes().get(0).bars().stream().anyMatch(b -> b.phase() == p), p.toString());
        }
        assertTrue(t.lanes().get(0).bars().stream().anyMatch(b -> b.collective() == pdagc.ir.CollectiveKind.SEND));
        Document d = svg(t);
        assertEquals(2, lanes(d).size());
        NodeList rects = d.getElementsByTagName("rect");
        int bubbles = 0;
        for (int i = 0; i < rects.getLength(); i++) if (((Element) rects.item(i)).getAttribute("fill").equals("url(#bubble)")) bubbles++;
        assertTrue(bubbles >= 2, "fill and drain of the stages");
    }
}
