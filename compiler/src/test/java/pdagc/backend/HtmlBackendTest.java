package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.analysis.Analysis;
import pdagc.dag.PlanDag;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.units.Units;

/**
 * {@code --emit html}: one self-contained page whose embedded data is the plan once per role (not
 * per GPU), with the analysis' figures as the report prints them. What the page does with them in a
 * browser is {@code ViewerBrowserTest}'s.
 */
class HtmlBackendTest {
    static MaterializedPlan seed;
    static String html;
    static JsonNode data;

    @BeforeAll
    static void write() throws Exception {
        seed = Compile.file("examples/seed_moe_ep16_tp4.pdag");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HtmlBackend.write(seed, "seed", out);
        html = out.toString(StandardCharsets.UTF_8);
        data = new ObjectMapper().readTree(embedded(html));
    }

    static String embedded(String page) {
        String open = "<script type=\"application/json\" id=\"pdagc-plan\">";
        int from = page.indexOf(open) + open.length();
        return page.substring(from, page.indexOf("</script>", from));
    }

    @Test
    void thePageNeedsNothingFromTheNetwork() {
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("<script src"), "every script is inline");
        assertFalse(html.contains("<link"), "every style is inline");
        assertEquals(2, html.split("<script", -1).length - 1, "the data and the viewer");
    }

    @Test
    void theDataIsKeptOncePerRole() {
        List<PlanDag.Role> roles = Roles.of(seed.dag()).all();
        assertEquals(roles.size(), data.get("roles").size());
        JsonNode role = data.get("roles").get(0);
        assertEquals(64, role.get("gpus").size());
        // One GPU's program, not 64 copies: 22016 nodes over 64 GPUs.
        assertEquals(seed.dag().nodes().size() / 64, role.get("nodes").get("name").size());
        assertEquals(seed.dag().nodes().size(), data.get("nodeCount").asInt());
        // The data is a small part of the page next to the viewer's script.
        int json = embedded(html).length();
        assertTrue(json < 100_000, json + " characters of data");
    }

    @Test
    void theFiguresAreTheReports() {
        Analysis a = seed.analysis();
        assertEquals(a.step().ttft(), data.get("stepSeconds").asDouble());
        assertEquals(Units.seconds(a.step().ttft()), data.get("stepText").asText());
        assertEquals(a.schedule().seconds(), data.get("scheduleSeconds").asDouble());
        PlanDag.Role role = Roles.of(seed.dag()).all().get(0);
        var m = a.role(role).memory();
        JsonNode mem = data.get("roles").get(0).get("memory");
        assertEquals(m.weightBytes(), mem.get("weights").get("bytes").asLong());
        assertEquals(m.kvCacheBytes(), mem.get("kv").get("bytes").asLong());
        assertEquals(m.activationBytes(), mem.get("activations").get("bytes").asLong());
        assertEquals(m.workspaceBytes(), mem.get("workspace").get("bytes").asLong());
        assertEquals(Units.bytes(m.total()), mem.get("total").get("text").asText());
        // The live activations peak at the report's activation figure.
        long peak = 0;
        for (JsonNode v : data.get("roles").get(0).get("nodes").get("live")) peak = Math.max(peak, v.asLong());
        assertEquals(m.activationBytes(), peak);
    }

    @Test
    void aPipelinedTrainingStepHasItsStagesLinkedAndItsModelStates() throws Exception {
        MaterializedPlan pp = Compile.source(TimelineTest.PIPELINED);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HtmlBackend.write(pp, "pp", out);
        JsonNode d = new ObjectMapper().readTree(embedded(out.toString(StandardCharsets.UTF_8)));
        assertEquals(2, d.get("roles").size());
        assertTrue(d.get("training").asBoolean());
        assertEquals(2, d.get("stages").asInt());
        // The second stage receives from the first: edges across roles, [role, node there, node here].
        JsonNode across = d.get("roles").get(1).get("crossEdges");
        assertTrue(across.size() > 0);
        for (JsonNode e : across) assertEquals(0, e.get(0).asInt());
        // Forward, backward and optimizer nodes; gradients and optimizer states as the report gives them.
        java.util.Set<Integer> phases = new java.util.HashSet<>();
        d.get("roles").get(0).get("nodes").get("phase").forEach(x -> phases.add(x.asInt()));
        assertEquals(java.util.Set.of(0, 1, 2), phases);
        for (int r = 0; r < 2; r++) {
            var m = pp.analysis().role(Roles.of(pp.dag()).all().get(r)).memory();
            JsonNode mem = d.get("roles").get(r).get("memory");
            assertEquals(m.gradientBytes(), mem.get("gradients").get("bytes").asLong());
            assertEquals(m.optimizerBytes(), mem.get("optimizer").get("bytes").asLong());
            assertEquals(pp.analysis().step().seconds(), d.get("stepSeconds").asDouble());
        }
    }

    @Test
    void namesCannotEndTheScriptElement() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HtmlBackend.write(seed, "</script><b>x</b>", out);
        String page = out.toString(StandardCharsets.UTF_8);
        assertTrue(page.contains("<title>&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;</title>"));
        assertTrue(embedded(page).contains("\\u003C/script\\u003E"), embedded(page).substring(0, 200));
        assertEquals("</script><b>x</b>", new ObjectMapper().readTree(embedded(page)).get("title").asText());
    }
}
