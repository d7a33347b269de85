package pdagc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Repo;

/** The foundation's acceptance checks read off the seed's emitted JSON plan, through the command line. */
class SeedJsonTest {
    static byte[] json;
    static JsonNode plan;

    static byte[] emit(Path dir, String name) throws Exception {
        Path out = dir.resolve(name);
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {Repo.file("examples/seed_moe_ep16_tp4.pdag").toString(), "--emit", "json", "-o", out.toString()},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        return Files.readAllBytes(out);
    }

    @BeforeAll
    static void compile(@TempDir Path dir) throws Exception {
        json = emit(dir, "seed.json");
        plan = new ObjectMapper().readTree(json);
    }

    @Test
    void validatesAgainstTheSchema() throws Exception {
        try (InputStream schema = Main.class.getResourceAsStream("/pdagc/plan.schema.json")) {
            Schema s = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
            List<Error> errors = s.validate(new String(json, StandardCharsets.UTF_8), InputFormat.JSON);
            assertEquals(List.of(), errors);
        }
    }

    @Test
    void aPipelinedPlanValidatesToo(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("pp.json");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {Repo.file("examples/llama3_8b_dp_tp_pp.pdag").toString(), "--emit", "json", "-o", out.toString()},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        String text = Files.readString(out);
        assertTrue(text.contains("\"op\":\"send\"") && text.contains("\"kind\":\"order\"") && text.contains("\"micro_batch\":7"));
        try (InputStream schema = Main.class.getResourceAsStream("/pdagc/plan.schema.json")) {
            Schema s = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
            assertEquals(List.of(), s.validate(text, InputFormat.JSON));
        }
    }

    /**
     * A training step's plan: its phase, its backward and optimizer nodes and its model states are
     * in the schema, and the memory's parts add up to its total on every GPU.
     */
    @Test
    void aTrainingPlanValidatesToo(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("train.pdag");
        Files.writeString(source, """
                import std.hardware
                import std.blocks
                model M { vocab 64  hidden 64  heads 8  kv_heads 2  layers 2  ffn 128  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 8 }
                workload W { batch 8  seq 16  phase train }
                strategy S { mesh [dp 2, pp 2, tp 2]  zero 1  micro_batches 2  schedule 1f1b }
                deploy D = M on C with S for W
                """);
        Path out = dir.resolve("train.json");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {source.toString(), "--emit", "json", "-o", out.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(0, code, err.toString());
        String text = Files.readString(out);
        try (InputStream schema = Main.class.getResourceAsStream("/pdagc/plan.schema.json")) {
            Schema s = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
            assertEquals(List.of(), s.validate(text, InputFormat.JSON));
        }
        JsonNode train = new ObjectMapper().readTree(text);
        assertEquals("train", train.get("analysis").get("step").get("phase").asText());
        Set<String> kinds = new HashSet<>();
        for (JsonNode n : train.get("nodes")) kinds.add(n.get("kind").asText());
        assertTrue(kinds.contains("backward") && kinds.contains("optimizer"), kinds.toString());
        for (JsonNode g : train.get("analysis").get("gpus")) {
            assertTrue(g.get("optimizer_bytes").asLong() > 0 && g.get("gradient_bytes").asLong() > 0, g.toString());
            long parts = 0;
            for (String f : List.of("weights_bytes", "kv_cache_bytes", "activation_bytes", "workspace_bytes", "gradient_bytes", "optimizer_bytes")) {
                parts += g.get(f).asLong();
            }
            assertEquals(g.get("memory_bytes").asLong(), parts, g.toString());
        }
    }

    @Test
    void theSeedPlanHasEveryCollectiveTheDeploymentNeeds() {
        assertEquals(64, plan.get("gpus").size());
        Map<String, Integer> tpOf = new HashMap<>();
        for (JsonNode g : plan.get("gpus")) tpOf.put(g.get("id").asText(), g.get("coords").get("tp").asInt());
        Map<String, List<JsonNode>> byGpuLayer = new HashMap<>();
        Map<String, Set<Integer>> members = new HashMap<>();
        Set<String> ids = new HashSet<>();
        for (JsonNode n : plan.get("nodes")) {
            ids.add(n.get("id").asText());
            assertTrue(n.get("gpu").isInt() && n.get("output").size() > 0, n.toString());
            if (!n.get("layer").isNull()) byGpuLayer.computeIfAbsent(n.get("gpu").asText() + "/" + n.get("layer").asInt(), k -> new ArrayList<>()).add(n);
            if (n.get("kind").asText().equals("collective")) {
                members.computeIfAbsent(n.get("collective").asText(), k -> new HashSet<>()).add(n.get("gpu").asInt());
                assertTrue(n.get("group").size() < 64, "no collective spans all 64 GPUs: " + n);
            }
        }
        for (JsonNode n : plan.get("nodes")) {
            if (!n.get("kind").asText().equals("collective")) continue;
            Set<Integer> group = new HashSet<>();
            n.get("group").forEach(g -> group.add(g.asInt()));
            assertEquals(group, members.get(n.get("collective").asText()), "every member has a node with the collective's id");
        }
        for (int gpu = 0; gpu < 64; gpu++) {
            int tp = tpOf.get(String.valueOf(gpu));
            List<Integer> expertGroup = new ArrayList<>();
            for (int g = 0; g < 64; g++) if (tpOf.get(String.valueOf(g)) == tp) expertGroup.add(g);
            List<Integer> tpGroup = new ArrayList<>();
            for (int g = gpu - gpu % 4; g < gpu - gpu % 4 + 4; g++) tpGroup.add(g);
            for (int layer = 0; layer < 16; layer++) {
                List<JsonNode> nodes = byGpuLayer.get(gpu + "/" + layer);
                assertTrue(nodes.stream().anyMatch(n -> n.get("kind").asText().equals("routing")), "a routing node");
                List<JsonNode> a2a = nodes.stream().filter(n -> n.get("op").asText().equals("all_to_all")).toList();
                assertEquals(2, a2a.size());
                for (JsonNode n : a2a) assertEquals(expertGroup, ints(n.get("group")));
                List<JsonNode> ar = nodes.stream().filter(n -> n.get("op").asText().equals("all_reduce")).toList();
                assertTrue(ar.size() >= 2);
                for (JsonNode n : ar) assertEquals(tpGroup, ints(n.get("group")));
            }
        }
        for (JsonNode e : plan.get("edges")) {
            assertTrue(ids.contains(e.get("from").asText()) && ids.contains(e.get("to").asText()), e.toString());
        }
    }

    @Test
    void twoRunsAreByteIdenticalEvenUnderAnotherLocale(@TempDir Path dir) throws Exception {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            assertArrayEquals(json, emit(dir, "again.json"));
        } finally {
            Locale.setDefault(before);
        }
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asInt()));
        return out;
    }
}
