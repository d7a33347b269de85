package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import pdagc.dag.PlanDag;

class JsonBackendTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    static byte[] json(PlanDag plan) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonBackend.write(plan, out);
        return out.toByteArray();
    }

    static List<Error> validate(JsonNode plan) throws IOException {
        try (InputStream schema = JsonBackend.class.getResourceAsStream(JsonBackend.SCHEMA_RESOURCE)) {
            Schema s = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
            return s.validate(plan);
        }
    }

    @Test
    void validatesAgainstTheSchema() throws IOException {
        JsonNode plan = MAPPER.readTree(json(SmallPlans.moe()));
        assertEquals(List.of(), validate(plan));
    }

    /** An MoE deployment in fp8 whose experts run in fp16. */
    static final String MIXED_PRECISION = pdagc.verify.StrategyMatrixTest.deploy(
            "model M { vocab 256 hidden 64 heads 8 layers 6 ffn 128 experts 8 top 2 first_dense 0 norm rmsnorm act silu }", 4, "mesh [ep 2, tp 2]",
            pdagc.verify.StrategyMatrixTest.PREFILL + "  dtype fp8 { experts fp16 }");

    @Test
    void writesEachNodesOwnElementType() throws IOException {
        pdagc.driver.MaterializedPlan p = pdagc.driver.Compile.source(MIXED_PRECISION);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonBackend.write(p.dag(), p.analysis(), out);
        JsonNode plan = MAPPER.readTree(out.toByteArray());
        assertEquals(List.of(), validate(plan));
        assertEquals("fp8", plan.get("dtype").asText());
        assertEquals("fp16", plan.get("expert_dtype").asText());
        assertEquals("bf16", plan.get("vocabulary_dtype").asText(), "fp8 keeps the embedding and head blocks in 16 bits");
        int experts = 0, vocabulary = 0;
        for (JsonNode n : plan.get("nodes")) {
            boolean expert = n.get("op").asText().equals("expert_linear");
            String name = n.get("name").asText();
            boolean table = name.startsWith("embed.") || name.startsWith("head.");
            if (expert) experts++;
            if (table) vocabulary++;
            assertEquals(expert ? "fp16" : table ? "bf16" : "fp8", n.get("dtype").asText(), n.get("id").asText());
        }
        assertTrue(experts > 0 && vocabulary > 0);
        JsonNode plain = MAPPER.readTree(json(SmallPlans.moe()));
        assertEquals("bf16", plain.get("expert_dtype").asText(), "a plan that does not say: its dtype");
        assertEquals("bf16", plain.get("vocabulary_dtype").asText(), "a plan that does not say: its dtype");
    }

    /** A training step: backward and optimizer nodes and the step's figures validate too. */
    @Test
    void aTrainingStepValidatesAgainstTheSchema() throws IOException {
        pdagc.driver.MaterializedPlan p = pdagc.driver.Compile.source(pdagc.verify.StrategyMatrixTest.deploy(pdagc.verify.StrategyMatrixTest.dense("8"), 4,
                "mesh [dp 2, pp 2] micro_batches 2 schedule 1f1b zero 1", "batch 8 seq 32 phase train"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonBackend.write(p.dag(), p.analysis(), out);
        JsonNode plan = MAPPER.readTree(out.toByteArray());
        assertEquals(List.of(), validate(plan));
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        for (JsonNode n : plan.get("nodes")) kinds.add(n.get("kind").asText());
        assertTrue(kinds.containsAll(List.of("backward", "optimizer")), kinds.toString());
    }

    /** The vocabulary-parallel loss's all-reduce of the max says it takes the maximum; the sums say nothing, and the schema holds both. */
    @Test
    void anAllReduceOfTheMaximumSaysSo() throws IOException {
        pdagc.driver.MaterializedPlan p = pdagc.driver.Compile.source(pdagc.verify.StrategyMatrixTest.deploy(pdagc.verify.StrategyMatrixTest.dense("8"), 4,
                "mesh [dp 2, tp 2]", "batch 8 seq 32 phase train"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonBackend.write(p.dag(), p.analysis(), out);
        JsonNode plan = MAPPER.readTree(out.toByteArray());
        assertEquals(List.of(), validate(plan));
        java.util.Set<String> maxima = new java.util.TreeSet<>();
        for (JsonNode n : plan.get("nodes")) {
            if (!n.has("reduction")) continue;
            assertEquals("max", n.get("reduction").asText());
            assertEquals("all_reduce", n.get("op").asText());
            maxima.add(n.get("name").asText());
        }
        assertEquals(java.util.Set.of("loss.max.all_reduce"), maxima);
    }

    @Test
    void writesTheDocumentedFields() throws IOException {
        JsonNode plan = MAPPER.readTree(json(SmallPlans.moe()));
        assertEquals("pdagc-plan", plan.get("format").asText());
        assertEquals(1, plan.get("version").asInt());
        assertEquals("bf16", plan.get("dtype").asText());
        assertEquals("[{\"axis\":\"ep\",\"size\":2},{\"axis\":\"tp\",\"size\":2}]", plan.get("mesh").toString());
        assertEquals("{\"id\":3,\"coords\":{\"ep\":1,\"tp\":1},\"node\":1}", plan.get("gpus").get(3).toString());
        JsonNode input = plan.get("nodes").get(0);
        assertTrue(input.get("layer").isNull());
        assertEquals("io", input.get("kind").asText());
        JsonNode allReduce = plan.get("nodes").get(8 + 3);
        assertEquals("{\"id\":\"1:layers.0.attn.all_reduce\",\"gpu\":1,\"op\":\"all_reduce\",\"kind\":\"collective\","
                + "\"layer\":0,\"name\":\"layers.0.attn.all_reduce\",\"inputs\":[[2,16,64]],\"output\":[2,16,64],"
                + "\"dtype\":\"bf16\",\"micro_batch\":0,\"collective\":\"layers.0.attn.all_reduce@0\",\"group\":[0,1]}", allReduce.toString());
        assertFalse(plan.get("nodes").get(1).has("group"));
        JsonNode routing = plan.get("edges").get(5);
        assertEquals("{\"from\":\"0:layers.0.moe.router\",\"to\":\"0:layers.0.moe.dispatch\",\"kind\":\"routing\"}",
                routing.toString());
    }

    @Test
    void putsOneElementPerLine() throws IOException {
        String text = new String(json(SmallPlans.moe()), StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        assertTrue(text.startsWith("{\"format\":\"pdagc-plan\",\n\"version\":1,\n"), text.substring(0, 60));
        assertTrue(text.endsWith("]}\n"));
        long nodeLines = java.util.Arrays.stream(lines).filter(l -> l.startsWith("{\"id\":\"")).count();
        assertEquals(32, nodeLines);
        long edgeLines = java.util.Arrays.stream(lines).filter(l -> l.startsWith("{\"from\":")).count();
        assertEquals(SmallPlans.moe().edges().size(), edgeLines);
    }

    @Test
    void isByteIdenticalAcrossRunsAndLocales() throws IOException {
        byte[] first = json(SmallPlans.moe());
        assertArrayEquals(first, json(SmallPlans.moe()));
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertArrayEquals(first, json(SmallPlans.moe()));
            Locale.setDefault(new Locale("tr", "TR"));
            assertArrayEquals(first, json(SmallPlans.moe()));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void doesNotCloseTheCallersStream() throws IOException {
        boolean[] closed = {false};
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        JsonBackend.write(SmallPlans.moe(), out);
        assertFalse(closed[0]);
        assertTrue(out.size() > 0);
    }

    @Test
    void schemaRejectsACollectiveWithoutItsGroup() throws IOException {
        ObjectNode plan = (ObjectNode) MAPPER.readTree(json(SmallPlans.moe()));
        ((ObjectNode) plan.get("nodes").get(3)).remove("group");
        List<Error> errors = validate(plan);
        assertFalse(errors.isEmpty());
        assertTrue(errors.toString().contains("group"), errors.toString());
    }

    @Test
    void schemaRejectsUnknownFieldsAndWrongKinds() throws IOException {
        ObjectNode plan = (ObjectNode) MAPPER.readTree(json(SmallPlans.moe()));
        ((ObjectNode) plan.get("nodes").get(1)).put("colour", "red");
        assertFalse(validate(plan).isEmpty());
        plan = (ObjectNode) MAPPER.readTree(json(SmallPlans.moe()));
        ((ObjectNode) plan.get("edges").get(0)).put("kind", "control");
        assertFalse(validate(plan).isEmpty());
        plan = (ObjectNode) MAPPER.readTree(json(SmallPlans.moe()));
        ((ArrayNode) plan.get("nodes").get(1).get("output")).add(-1);
        assertFalse(validate(plan).isEmpty());
        plan = (ObjectNode) MAPPER.readTree(json(SmallPlans.moe()));
        plan.remove("edges");
        assertFalse(validate(plan).isEmpty());
    }
}
