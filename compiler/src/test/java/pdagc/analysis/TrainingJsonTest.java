package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pdagc.Repo;
import pdagc.cli.Main;
import pdagc.units.Units;

/**
 * A training step's figures in the JSON plan ({@code analysis.training}) are the report's: the
 * training example (GPT-3's layer, 32 GPUs, pp 2 under 1F1B, full recomputation) written by the
 * command line as JSON and as a report, and each JSON figure, formatted as the report formats it,
 * is the figure the report prints in its row. The JSON's own figures agree with each other (MFU and
 * HFU from the FLOPs, the step time and the peak) and with its step section.
 */
class TrainingJsonTest {
    static final String EXAMPLE = "examples/gpt3_layers_train.pdag";
    static JsonNode training;
    static JsonNode step;
    static List<String> report;

    @BeforeAll
    static void emit(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("train.json");
        Path text = dir.resolve("train.txt");
        run(Repo.file(EXAMPLE).toString(), "--emit", "json", "-o", json.toString());
        run(Repo.file(EXAMPLE).toString(), "--emit", "report", "-o", text.toString());
        String plan = Files.readString(json);
        try (InputStream schema = Main.class.getResourceAsStream("/pdagc/plan.schema.json")) {
            Schema s = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
            assertEquals(List.of(), s.validate(plan, InputFormat.JSON));
        }
        JsonNode analysis = new ObjectMapper().readTree(plan).get("analysis");
        training = analysis.get("training");
        step = analysis.get("step");
        report = Files.readAllLines(text);
    }

    private static void run(String... args) {
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, err.toString());
    }

    /** The value column of the report's row {@code label} (the first such row). */
    private static String row(String label) {
        for (String line : report) {
            String trimmed = line.strip();
            if (trimmed.startsWith(label + "  ")) return trimmed.substring(label.length()).strip();
        }
        return fail("no row " + label + " in the report:\n" + String.join("\n", report));
    }

    @Test
    void theFlopsAreTheReports() {
        BigInteger model = training.get("model_flops").bigIntegerValue();
        BigInteger hardware = training.get("hardware_flops").bigIntegerValue();
        assertTrue(row("model FLOPs").startsWith(Figures.flops(model.doubleValue()) + " ("), row("model FLOPs"));
        assertTrue(row("hardware FLOPs").startsWith(Figures.flops(hardware.doubleValue()) + " ("), row("hardware FLOPs"));
        // Full recomputation runs every layer's forward pass again: more hardware than model FLOPs.
        assertNotEquals(model, hardware);
        assertEquals(hardware.subtract(model), training.get("recomputed_flops").bigIntegerValue());
    }

    @Test
    void mfuAndHfuAreTheReportsAndFollowFromTheFlops() {
        assertTrue(row("MFU").startsWith(Figures.percent(training.get("mfu").asDouble()) + " ("), row("MFU"));
        assertTrue(row("HFU").startsWith(Figures.percent(training.get("hfu").asDouble()) + " ("), row("HFU"));
        assertTrue(row("MFU").contains(Figures.flops(training.get("peak_flops_per_gpu").asDouble()) + "/s"), row("MFU"));
        double denominator = training.get("step_s").asDouble() * training.get("gpus").asInt() * training.get("peak_flops_per_gpu").asDouble();
        double mfu = training.get("model_flops").bigIntegerValue().doubleValue() / denominator;
        double hfu = training.get("hardware_flops").bigIntegerValue().doubleValue() / denominator;
        assertEquals(mfu, training.get("mfu").asDouble(), 1e-15 * mfu);
        assertEquals(hfu, training.get("hfu").asDouble(), 1e-15 * hfu);
        assertEquals(32, training.get("gpus").asInt());
        assertEquals(989e12, training.get("peak_flops_per_gpu").asDouble(), "an H100's dense bf16 peak");
    }

    @Test
    void theStepTimeAndTheBubbleAreTheReports() {
        assertEquals(step.get("seconds").asDouble(), training.get("step_s").asDouble());
        assertTrue(row("step time").startsWith(Units.seconds(training.get("step_s").asDouble())), row("step time"));
        double bubble = training.get("pipeline_bubble").asDouble();
        assertEquals(step.get("pipeline_bubble").asDouble(), bubble);
        assertEquals(1.0 / (4 + 1), bubble, 1e-15, "(p - 1) / (m + p - 1) with p 2, m 4");
        assertTrue(row("pipeline bubble").startsWith(Figures.percent(bubble)), row("pipeline bubble"));
    }

    @Test
    void theStoredActivationsAreTheReports() {
        List<String> cells = new ArrayList<>();
        JsonNode layers = training.get("activations_stored_per_layer");
        assertEquals(4, layers.size());
        for (JsonNode l : layers) cells.add(Units.bytes(l.get("bytes").asLong()) + " (layer " + l.get("layer").asInt() + ")");
        // Layers that store the same bytes share one cell in the report (layers 0-3).
        long first = layers.get(0).get("bytes").asLong();
        for (JsonNode l : layers) assertEquals(first, l.get("bytes").asLong());
        assertEquals(Units.bytes(first) + " (layers 0-3)", row("activations stored per layer"));
    }
}
