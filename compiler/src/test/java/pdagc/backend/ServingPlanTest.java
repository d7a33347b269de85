package pdagc.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pdagc.Golden;
import pdagc.Repo;
import pdagc.analysis.Serving;
import pdagc.cli.Main;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * The serving example (Llama-2-70B on 4 H100s, tp 4, one request of 128 tokens in and 128 out):
 * its report (a golden file), its JSON plan against the schema, and `verify` proving both plans.
 * A pipelined decode plan's steady state is in the JSON too.
 */
class ServingPlanTest {
    static final String EXAMPLE = "examples/llama2_70b_serving.pdag";
    static MaterializedPlan plan;

    @BeforeAll
    static void compile() {
        plan = Compile.file(EXAMPLE);
    }

    private static JsonNode json(MaterializedPlan p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonBackend.write(p.dag(), p.analysis(), out);
        return new ObjectMapper().readTree(out.toByteArray());
    }

    @Test
    void theReportShowsTheServingFiguresAndBothSteps() {
        String report = ReportBackend.render(plan.deployment(), plan.dag(), plan.analysis());
        Serving s = plan.analysis().serving();
        assertTrue(report.contains("  workload   Chat: serving, batch 1, input 128, output 128, bf16\n"), report);
        assertTrue(report.contains("  time per output token (TPOT)  " + pdagc.units.Units.seconds(s.tpot())
                + " (mean of the 127 decode steps, contexts 129 to 255)\n"), report);
        assertTrue(report.contains("\nPrefill step (1 x 128 tokens)\n"), report);
        assertTrue(report.contains("\nDecode step at context 255 "), report);
        Golden.check("llama2_70b_serving.report.txt", report);
    }

    /** A workload at a request rate: its report says the steady state, its JSON carries it and validates. */
    @Test
    void aWorkloadAtARateReportsItsSteadyStateAndValidates() throws IOException {
        MaterializedPlan p = Compile.file("examples/llama3_8b_serving_rate.pdag");
        Serving s = p.analysis().serving();
        String report = ReportBackend.render(p.deployment(), p.dag(), p.analysis());
        assertTrue(report.contains("  workload   Requests: serving, 4 req/s, input 1024, output 256, bf16\n"), report);
        assertTrue(report.contains("\nServing at 4 req/s (Poisson arrivals, "), report);
        assertTrue(report.contains("; 1000 requests simulated one by one)\n"), report);
        assertTrue(report.contains("  time to first token (TTFT)    mean " + pdagc.units.Units.seconds(s.ttft()) + "; p50 "), report);
        assertTrue(report.contains("\nPrefill step (1 x 1024 tokens)\n"), report);
        JsonNode j = json(p);
        assertEquals(List.of(), JsonBackendTest.validate(j));
        JsonNode a = j.get("analysis").get("serving").get("arrivals");
        assertEquals(4.0, a.get("rate_req_s").asDouble(), 1e-12);
        assertEquals(s.arrivals().inFlight(), a.get("in_flight").asDouble(), 1e-9);
        assertEquals(s.arrivals().decodeBatch(), a.get("decode_batch").asLong());
        JsonNode run = a.get("simulated");
        assertEquals(1000, run.get("requests").asLong());
        assertEquals(s.ttft(), run.get("ttft_s").get("mean").asDouble(), 1e-15, "the serving figures are the simulated run's means");
        assertEquals(j.get("analysis").get("serving").get("tpot_s").asDouble(), run.get("tpot_s").get("mean").asDouble(), 1e-15);
        assertTrue(run.get("ttft_s").get("p99").asDouble() > run.get("ttft_s").get("p50").asDouble(), run.toString());
        assertTrue(json(plan).get("analysis").get("serving").get("arrivals").isNull(), "a fixed batch has no arrivals");
    }

    @Test
    void theJsonPlanCarriesTheServingFiguresAndValidates() throws IOException {
        JsonNode j = json(plan);
        assertEquals(List.of(), JsonBackendTest.validate(j));
        JsonNode s = j.get("analysis").get("serving");
        Serving f = plan.analysis().serving();
        assertEquals(128, s.get("input").asLong());
        assertEquals(128, s.get("output").asLong());
        assertEquals(f.ttft(), s.get("ttft_s").asDouble());
        assertEquals(f.tpot(), s.get("tpot_s").asDouble());
        assertEquals(f.endToEnd(), s.get("e2e_s").asDouble());
        assertEquals(f.throughputPerGpu(), s.get("throughput_tok_s_per_gpu").asDouble());
        assertEquals(127, s.get("decode_steps").asLong());
        assertEquals("[129,192,255]", s.get("decode_contexts_compiled").toString());
        assertTrue(s.get("tpot_exact").asBoolean());
        assertEquals(255, s.get("peak_memory_context").asLong());
        assertEquals("decode", j.get("analysis").get("step").get("phase").asText(), "the DAG written is the last decode step's");
    }

    @Test
    void aPipelinedDecodePlanValidatesWithItsSteadyState() throws IOException {
        MaterializedPlan p = Compile.source("""
                import std.hardware
                import std.blocks
                model M { vocab 1024  hidden 256  heads 8  layers 4  ffn 1024  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 4  per_node 8 }
                workload W { batch 4  input 16  output 8 }
                strategy S { mesh [pp 2, tp 2]  micro_batches 2 }
                deploy D = M on C with S for W
                """);
        JsonNode j = json(p);
        assertEquals(List.of(), JsonBackendTest.validate(j));
        JsonNode st = j.get("analysis").get("step").get("steady_state");
        assertEquals(2, st.get("micro_batches").asInt());
        assertEquals(p.analysis().step().steady().loopSeconds(), st.get("loop_s").asDouble());
        assertTrue(j.get("analysis").get("serving").get("steps").size() == 4);
    }

    @Test
    void verifyProvesThePrefillAndTheDecodePlans() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"verify", Repo.file(EXAMPLE).toString()}, out, new PrintWriter(err));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, err + text);
        assertTrue(text.contains("verify Llama70bChat (prefill step of serving workload Chat)"), text);
        assertTrue(text.contains("verify Llama70bChat (decode step of serving workload Chat)"), text);
        assertEquals(2, text.split("\n  agree: ", -1).length - 1, text);
    }
}
