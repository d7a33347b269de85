package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import pdagc.Repo;
import pdagc.diag.DiagnosticRenderer;
import pdagc.diag.Diagnostics;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.importer.HfImport;
import pdagc.mesh.Sharding;
import pdagc.spmd.SpmdNode;

/**
 * Grouped-query attention under tensor parallelism larger than the key/value heads, as serving
 * engines run it: Llama-2-70B (64 query heads, 8 key/value heads), imported from its Hugging Face
 * config, decoding a batch of 16 over a context of 4096 on H100s. Each rank holds only the
 * key/value heads its query heads use, 8 / gcd(tp, 8) of them, so the KV cache per GPU stops
 * shrinking at tp 8 instead of growing back to every head at tp 16.
 */
class GroupedKvCacheTest {
    static final long BATCH = 16;
    static final long CONTEXT = 4096;

    @Test
    void llama2_70bDecodeHoldsOneKeyValueHeadPerGpuAtTp8AndTp16() throws IOException {
        JsonNode config = new ObjectMapper().readTree(Repo.reference("hf-configs/llama-2-70b.config.json").toFile());
        long layers = config.get("num_hidden_layers").asLong();
        long heads = config.get("num_attention_heads").asLong();
        long kv = config.get("num_key_value_heads").asLong();
        long headDim = config.get("hidden_size").asLong() / heads;
        String model = imported();

        MaterializedPlan tp8 = Compile.source(deploy(model, 8));
        MaterializedPlan tp16 = Compile.source(deploy(model, 16));
        for (MaterializedPlan p : List.of(tp8, tp16)) {
            int tp = p.dag().gpus().size();
            long localKv = kv / gcd(tp, kv);
            assertEquals(1, localKv, "tp " + tp + ": one of the 8 key/value heads per GPU");
            // keys and values, every layer, the rank's heads, every sequence and position, bf16
            long expected = 2 * layers * localKv * headDim * BATCH * CONTEXT * 2;
            for (Analysis.GpuFigures g : p.analysis().gpus()) assertEquals(expected, g.memory().kvCacheBytes(), "tp " + tp + " GPU " + g.gpu());
            SpmdNode k = node(p, "layers.0.a.k");
            assertEquals("[" + BATCH + ",1," + localKv * headDim + "]", k.local().toString(), "tp " + tp + ": the key projection's shard");
        }
        assertEquals(2_684_354_560L, worst(tp16).kvCacheBytes());
        assertTrue(worst(tp16).total() < worst(tp8).total(), "tp 16 needs less memory per GPU than tp 8: " + worst(tp16) + " vs " + worst(tp8));

        // tp 16 = tp.0 8 x tp.1 2: key/value heads split over the major factor, shared by the pairs of tp.1.
        Sharding k16 = node(tp16, "layers.0.a.k").sharding();
        assertEquals(List.of("tp.0"), k16.axes(2));
        assertEquals(List.of("tp.0", "tp.1"), node(tp16, "layers.0.a.q").sharding().axes(2));
    }

    static String imported() {
        Diagnostics d = new Diagnostics();
        Optional<HfImport.Result> r = HfImport.run(Repo.reference("hf-configs/llama-2-70b.config.json"), "llama-2-70b.config.json", "Llama2_70b", d);
        assertFalse(d.hasErrors(), () -> DiagnosticRenderer.render(d.sorted()));
        return r.orElseThrow().text();
    }

    static String deploy(String model, int tp) {
        return "import std.hardware\n" + model + "\n"
                + "cluster C { gpu H100  count " + tp + "  per_node 8 }\n"
                + "workload Decode { batch " + BATCH + "  phase decode  context " + CONTEXT + "  dtype bf16 }\n"
                + "strategy S { mesh [tp " + tp + "] }\n"
                + "deploy D = Llama2_70b on C with S for Decode\n";
    }

    static SpmdNode node(MaterializedPlan p, String name) {
        return p.spmd().nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    static Memory.PerGpu worst(MaterializedPlan p) {
        Memory.PerGpu m = p.analysis().gpus().get(0).memory();
        for (Analysis.GpuFigures g : p.analysis().gpus()) if (g.memory().total() > m.total()) m = g.memory();
        return m;
    }

    static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
