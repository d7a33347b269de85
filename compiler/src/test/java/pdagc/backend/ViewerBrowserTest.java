package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import pdagc.Repo;
import pdagc.analysis.Analysis;
import pdagc.cli.Main;
import pdagc.dag.PlanDag;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.units.Units;

/**
 * The seed's page from {@code --emit html}, opened in headless Chromium (Debian's {@code chromium},
 * driven by puppeteer-core from the viewer's npm packages: viewer/test/browser.mjs), checked against
 * the report's figures: no console errors and no network request; the roles view is drawn; expanding
 * a layer adds its nodes; a click on an all-to-all highlights its 16 members on their GPUs; the
 * timeline has one lane per role and the TTFT's length; the memory bars are the report's. Screenshots
 * go to compiler/target/viewer-test/. The time to interactive is printed, not asserted. Without a
 * Chromium the test is skipped with a message, except under CI=true, where it fails.
 */
class ViewerBrowserTest {
    static final String SEED = "examples/seed_moe_ep16_tp4.pdag";

    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    static Optional<Path> chromium() {
        String given = System.getenv("CHROMIUM");
        if (given != null && Files.isExecutable(Path.of(given))) return Optional.of(Path.of(given));
        for (String name : List.of("chromium", "chromium-browser")) {
            Optional<Path> p = onPath(name);
            if (p.isPresent()) return p;
        }
        return Optional.empty();
    }

    @Test
    void theSeedsPageInHeadlessChromium() throws Exception {
        Optional<Path> browser = chromium();
        Optional<Path> node = onPath("node");
        if (browser.isEmpty() || node.isEmpty()) {
            String why = browser.isEmpty() ? "no Chromium found (Debian's chromium package, or CHROMIUM=path)" : "no node on the PATH";
            if ("true".equals(System.getenv("CI"))) fail("CI=true, but " + why + ": the viewer's browser test must run");
            Assumptions.abort("the viewer's browser test is skipped: " + why);
        }
        Path dir = Repo.file("compiler/target/viewer-test");
        Files.createDirectories(dir);
        Path page = dir.resolve("seed.html");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {Repo.file(SEED).toString(), "--emit", "html", "-o", page.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(0, code, err.toString());

        List<String> cmd = new ArrayList<>(List.of(node.get().toString(), "test/browser.mjs", page.toString(), dir.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Repo.file("viewer").toFile());
        pb.environment().put("CHROMIUM", browser.get().toString());
        Path log = dir.resolve("browser.log");
        pb.redirectError(log.toFile());
        Process p = pb.start();
        byte[] stdout = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the browser test took over 300 s");
        }
        String logText = Files.readString(log);
        assertEquals(0, p.exitValue(), "node test/browser.mjs failed:\n" + logText);
        JsonNode seen = new ObjectMapper().readTree(new String(stdout, StandardCharsets.UTF_8));

        MaterializedPlan seed = Compile.file(SEED);
        Analysis a = seed.analysis();
        List<PlanDag.Role> roles = Roles.of(seed.dag()).all();

        assertEquals(0, seen.get("errors").size(), seen.get("errors").toString());
        assertEquals(0, seen.get("network").size(), "the page asked the network for " + seen.get("network"));
        // The roles view: one box per role, the 16 layers collapsed.
        assertEquals(roles.size(), seen.get("roleBoxes").asInt());
        assertEquals(16, seen.get("layerBoxes").asInt());
        // Expanding layer 0 draws its nodes.
        int layerOps = seen.get("layerOps").asInt();
        assertTrue(layerOps > 0);
        assertEquals(seen.get("nodesBefore").asInt() + layerOps, seen.get("nodesAfter").asInt());
        // The role expanded to its 64 GPUs; GPU 0's first all-to-all highlights its 16 members, one per GPU of its group.
        assertEquals(64, seen.get("gpuBoxes").asInt());
        assertTrue(seen.get("allToAllFound").asBoolean());
        List<Integer> group = seed.dag().nodes().stream()
                .filter(n -> n.gpu() == 0 && n.op() instanceof pdagc.ir.Op.Collective c && c.collective() == pdagc.ir.CollectiveKind.ALL_TO_ALL)
                .findFirst().orElseThrow().group();
        assertEquals(16, group.size());
        assertEquals(16, seen.get("members").asInt());
        List<Integer> members = new ArrayList<>();
        seen.get("memberGpus").forEach(x -> members.add(x.asInt()));
        assertEquals(group, members);
        // The search marks every drawn node whose name matches, and each collapsed layer holding one: on each of
        // the 64 GPUs, layer 0's all-to-alls and the 15 collapsed layers'.
        java.util.function.Predicate<pdagc.dag.DagNode> a2a = n -> n.gpu() == 0 && n.name().contains("all_to_all");
        long inLayer0 = seed.dag().nodes().stream().filter(a2a).filter(n -> n.layer() == 0).count();
        long layersHolding = seed.dag().nodes().stream().filter(a2a).filter(n -> n.layer() > 0).map(pdagc.dag.DagNode::layer).distinct().count();
        assertEquals(2, inLayer0);
        assertEquals(64 * (inLayer0 + layersHolding), seen.get("searchMatches").asLong());
        // The critical path on demand: GPU 0's nodes on it, drawn or in a collapsed layer, on each GPU.
        java.util.Set<Integer> path = new java.util.HashSet<>(a.step().path());
        List<pdagc.dag.DagNode> onPath = seed.dag().nodes().stream().filter(n -> n.gpu() == 0 && path.contains(n.index())).toList();
        long drawnOnPath = onPath.stream().filter(n -> n.layer() <= 0).count();
        long layersOnPath = onPath.stream().filter(n -> n.layer() > 0).map(pdagc.dag.DagNode::layer).distinct().count();
        assertEquals(64 * (drawnOnPath + layersOnPath), seen.get("criticalShown").asLong());
        // The timeline: one lane per role, as long as the report's TTFT; hovering a bar names its node.
        String hovered = seen.get("hovered").get("name").asText();
        assertTrue(seen.get("hover").asText().startsWith("node " + hovered + "\n"), seen.get("hover").asText());
        assertTrue(seed.dag().nodes().stream().anyMatch(n -> n.gpu() == 0 && n.name().equals(hovered)), hovered);
        List<Integer> lanes = new ArrayList<>();
        seen.get("lanes").forEach(x -> lanes.add(x.asInt()));
        assertEquals(roles.stream().map(PlanDag.Role::id).toList(), lanes);
        assertEquals(a.step().ttft(), seen.get("timelineSeconds").asDouble());
        assertEquals(a.step().ttft(), seen.get("barsEnd").asDouble());
        String report = ReportBackend.render(seed.deployment(), seed.dag(), a);
        String ttft = Units.seconds(a.step().ttft());
        assertTrue(report.contains("  TTFT                          " + ttft + "\n"));
        assertEquals("simulated step: " + ttft, seen.get("timelineText").asText());
        assertEquals(seed.dag().nodes().size() / 64, seen.get("bars").asInt());
        assertEquals(64, seen.get("gpuLanes").asInt());
        // Linked tabs: a bar's "show in graph" expands its layer and selects its node; the node's bars are marked.
        int asked = seen.get("revealed").get("asked").asInt();
        assertTrue(seen.get("revealed").get("selected").size() > 0);
        seen.get("revealed").get("selected").forEach(x -> assertEquals(asked, x.asInt()));
        assertTrue(seen.get("timelineMarked").asInt() > 0);
        // The memory bars: the report's figures, in bytes and as the report prints them.
        assertEquals(roles.size(), seen.get("memory").size());
        for (int r = 0; r < roles.size(); r++) {
            JsonNode shown = seen.get("memory").get(r);
            var m = a.role(roles.get(r)).memory();
            JsonNode parts = shown.get("parts");
            assertEquals(m.weightBytes(), parts.get("weights").get("bytes").asLong());
            assertEquals(m.kvCacheBytes(), parts.get("kv").get("bytes").asLong());
            assertEquals(m.activationBytes(), parts.get("activations").get("bytes").asLong());
            assertEquals(m.workspaceBytes(), parts.get("workspace").get("bytes").asLong());
            for (String[] row : new String[][] {{"weights", "weights"}, {"kv", "KV cache"}, {"activations", "activations (peak)"},
                    {"workspace", "collective workspace"}}) {
                String text = parts.get(row[0]).get("text").asText();
                assertTrue(report.contains("  " + String.format(java.util.Locale.ROOT, "%-30s", row[1]) + text), row[1] + " " + text + "\n" + report);
            }
            assertTrue(report.contains("  memory total                  " + shown.get("total").asText()), report);
        }
        assertEquals(roles.size(), seen.get("liveLines").asInt());
        for (String shot : List.of("viewer-1-roles.png", "viewer-2-layer0.png", "viewer-3-gpus-all-to-all.png", "viewer-4-timeline.png", "viewer-5-memory.png",
                "viewer-6-revealed.png")) {
            assertTrue(Files.size(dir.resolve(shot)) > 10_000, shot);
        }
        System.out.printf(java.util.Locale.ROOT, "viewer: the seed's page (%d bytes) became interactive %.0f ms after navigation start in headless %s;"
                + " laying out its 64 GPUs took %d ms; screenshots in %s%n", Files.size(page), seen.get("interactiveMs").asDouble(), browser.get().getFileName(),
                seen.get("gpuLayoutMs").asInt(), Repo.root().relativize(dir));
    }
}
