package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.backend.JsonBackend;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/** The JSON plan carries the analysis's figures: the per-node costs add up to each GPU's figures. */
class JsonAnalysisTest {
    static MaterializedPlan plan;
    static JsonNode json;

    @BeforeAll
    static void write() throws IOException {
        plan = Compile.file("examples/seed_moe_ep16_tp4.pdag");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonBackend.write(plan.dag(), plan.analysis(), out);
        json = new ObjectMapper().readTree(out.toByteArray());
    }

    @Test
    void nodeCostsAddUpToTheGpuFigures() {
        Map<Integer, long[]> sums = new HashMap<>();
        Map<Integer, double[]> times = new HashMap<>();
        for (JsonNode n : json.get("nodes")) {
            int gpu = n.get("gpu").asInt();
            boolean collective = n.get("kind").asText().equals("collective");
            long[] s = sums.computeIfAbsent(gpu, k -> new long[3]);
            s[0] += n.get("flops").asLong();
            s[collective ? 2 : 1] += n.get("bytes").asLong();
            times.computeIfAbsent(gpu, k -> new double[1])[0] += n.get("time_s").asDouble();
        }
        for (JsonNode g : json.get("analysis").get("gpus")) {
            long[] s = sums.get(g.get("gpu").asInt());
            assertEquals(g.get("flops").asLong(), s[0]);
            assertEquals(g.get("hbm_bytes").asLong(), s[1]);
            assertEquals(g.get("collective_sent_bytes").asLong(), s[2]);
            double busy = g.get("compute_s").asDouble() + g.get("communication_s").asDouble();
            assertEquals(busy, times.get(g.get("gpu").asInt())[0], 1e-12 * busy);
        }
    }

    @Test
    void theStepAndTheRequirementsAreThereInBaseUnits() {
        JsonNode a = json.get("analysis");
        Analysis.Step s = plan.analysis().step();
        assertEquals(s.seconds(), a.get("step").get("ttft_s").asDouble());
        assertEquals(true, a.get("step").get("tpot_s").isNull());
        assertEquals(s.throughput(), a.get("step").get("throughput_tok_s").asDouble());
        assertEquals(32768, a.get("model").get("kv_cache_bytes_per_token").asLong(), "16 layers x 2 x 512 x 2 bytes");
        assertEquals(57_578_496L, a.get("totals").get("largest_memory_bytes").asLong());
        assertEquals("ttft", a.get("requirements").get(0).get("metric").asText());
        assertEquals(10.0, a.get("requirements").get(0).get("limit").asDouble());
        assertEquals(true, a.get("requirements").get(0).get("holds").asBoolean());
        assertEquals(1, a.get("roles").size());
        assertEquals(64, a.get("roles").get(0).get("gpus").size());
    }
}
