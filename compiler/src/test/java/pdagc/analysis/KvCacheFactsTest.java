package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.Repo;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.sem.ModelSpec;

/**
 * KV-cache bytes per token of the four reference models, from hand-written .pdag models of them
 * (compiler/src/test/resources/models), against the table in ../shared/reference/README.md, read in
 * place. Each .pdag model is first checked against its Hugging Face config, so the model and the
 * fact come from the same published numbers.
 */
class KvCacheFactsTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-3-8b", "llama-2-70b", "mixtral-8x7b", "olmoe-1b-7b-0924"})
    void kvBytesPerTokenEqualTheReferenceTable(String model) throws IOException {
        MaterializedPlan plan = Compile.file("compiler/src/test/resources/models/" + model + ".pdag");
        JsonNode config = new ObjectMapper().readTree(Repo.reference("hf-configs/" + model + ".config.json").toFile());
        ModelSpec m = plan.deployment().model();
        assertEquals(config.get("hidden_size").asLong(), m.param("hidden"));
        assertEquals(config.get("num_attention_heads").asLong(), m.param("heads"));
        assertEquals(config.get("num_key_value_heads").asLong(), m.param("kv_heads"));
        assertEquals(config.get("num_hidden_layers").asLong(), m.param("layers"));
        assertEquals(config.get("vocab_size").asLong(), m.param("vocab"));
        assertEquals(config.get("intermediate_size").asLong(), m.isMoe() ? m.param("expert_ffn") : m.param("ffn"));
        assertEquals(2, plan.deployment().workload().dtype().bytes(), "the table is for bf16");

        long expected = referenceTable().get(model + ".config.json");
        assertEquals(expected, Memory.kvBytesPerToken(plan.graph()));
        assertEquals(expected, plan.analysis().kvBytesPerToken());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-3-8b", "llama-2-70b"})
    void thePerGpuCachesOfATensorParallelGroupAddUpToTheModelsCache(String model) {
        MaterializedPlan plan = Compile.file("compiler/src/test/resources/models/" + model + ".pdag");
        long sequencesTimesContext = plan.deployment().workload().batch() * plan.deployment().workload().context();
        long sum = 0;
        for (Analysis.GpuFigures g : plan.analysis().gpus()) sum += g.memory().kvCacheBytes();
        assertEquals(plan.analysis().kvBytesPerToken() * sequencesTimesContext, sum, "tp 8 splits the 8 key/value heads, no replica");
    }

    /** The "KV cache per token, bf16" column of the reference README, by config file. */
    static Map<String, Long> referenceTable() throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (String line : Files.readAllLines(Repo.reference("README.md"))) {
            String[] cells = line.split("\\|");
            if (cells.length < 6 || !cells[1].trim().endsWith(".config.json")) continue;
            String kv = cells[5].trim();
            assertTrue(kv.endsWith(" B"), kv);
            out.put(cells[1].trim(), Long.parseLong(kv.substring(0, kv.length() - 2).replace(",", "")));
        }
        assertEquals(4, out.size(), "four models in the reference table");
        return out;
    }
}
