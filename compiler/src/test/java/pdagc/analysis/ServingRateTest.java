package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * A serving workload at a request rate ({@link Serving.Arrivals}): the steady state of an engine
 * that batches at every iteration. The requests in flight keep up with the rate, the decode steps
 * are stretched by the prefills between them, the first token waits for the GPU, and the
 * throughput is the rate's tokens.
 */
class ServingRateTest {
    static final String DEPLOY = """
            import std.hardware
            import std.models.llama_3_8b
            cluster C { gpu H100  count %d }
            workload W { input 1024  output %d  rate %s req/s  dtype bf16%s }
            strategy S { mesh [%s] }
            deploy D = Llama_3_8b on C with S for W
            """;

    private static Serving at(String rate, int output, int gpus, String mesh) {
        return at(rate, output, gpus, mesh, "");
    }

    private static Serving at(String rate, int output, int gpus, String mesh, String more) {
        MaterializedPlan p = Compile.source(String.format(DEPLOY, gpus, output, rate, more, mesh));
        return p.analysis().serving();
    }

    @Test
    void theRequestsInFlightKeepUpWithTheRate() {
        Serving s = at("4", 256, 1, "tp 1");
        Serving.Arrivals r = s.arrivals();
        double prefill = s.prefill().analysis().step().seconds();
        assertEquals(4 * prefill, r.prefillShare(), 1e-12, "each request's prefill step, 4 a second");
        assertEquals(4.0 * 256 * r.decodeStepSeconds() / (1 - r.prefillShare()), r.inFlight(), 1e-9 * r.inFlight(),
                "N (1 - share) / T_d tokens a second, the rate's 4 x 256");
        assertTrue(r.decodeBatch() >= r.inFlight() && r.decodeBatch() < r.inFlight() + 1, r.decodeBatch() + " compiled for " + r.inFlight());
        ServingSimulation.Result run = r.simulated();
        assertEquals(1000, run.requests(), "the requests a run sends unless the workload says");
        assertEquals(run.tpot().mean(), s.tpot(), 1e-15, "TPOT is the simulated run's mean");
        assertEquals(run.ttft().mean(), s.ttft(), 1e-15, "and so is TTFT");
        // At a rate the engine keeps up with, the run and the steady state agree on the averages.
        double steady = r.decodeStepSeconds() / (1 - r.prefillShare());
        assertEquals(steady, s.tpot(), 0.05 * steady);
        assertEquals(r.inFlight(), run.meanInFlight(), 0.1 * r.inFlight(), "Little's law: the requests in flight");
        assertEquals(Serving.Arrivals.ttft(prefill, r.decodeStepSeconds(), r.prefillShare()), s.ttft(), 0.15 * s.ttft());
        assertEquals(4.0 * 256, s.throughput(), 1e-9);
        assertTrue(s.ttft() > prefill, "the first token waits for the GPU: " + s.ttft() + " against " + prefill);
        assertTrue(run.ttft().p99() > 1.3 * run.ttft().p50(), "arrivals that meet wait: a tail " + run.ttft());
        assertEquals(s.ttft() + 255 * s.tpot(), s.endToEnd(), 1e-12);
        assertEquals(1152, s.decodeFirst().context(), "the decode step at the requests' mean context, input + output/2");
    }

    @Test
    void aHigherRateHoldsMoreRequestsAndSlowsEachToken() {
        Serving slow = at("1", 256, 1, "tp 1"), busy = at("16", 256, 1, "tp 1");
        assertTrue(busy.arrivals().inFlight() > 8 * slow.arrivals().inFlight(), busy.arrivals().inFlight() + " against " + slow.arrivals().inFlight());
        assertTrue(busy.tpot() > slow.tpot() && busy.ttft() > slow.ttft());
        assertEquals(16 * 256, busy.throughput(), 1e-9);
    }

    @Test
    void dataParallelReplicasPrefillOneRequestEachAndSplitTheBatch() {
        Serving s = at("8", 128, 2, "dp 2");
        assertEquals(2, s.arrivals().prefillBatch());
        assertEquals(0, s.arrivals().decodeBatch() % 2, "the decode batch is split over dp 2");
        assertEquals(8.0 * 128 / 2, s.throughputPerGpu(), 1e-9);
    }

    @Test
    void theRunSendsTheRequestsTheWorkloadSays() {
        Serving s = at("8", 64, 1, "tp 1", "  requests 300");
        assertEquals(300, s.arrivals().simulated().requests());
        Serving split = at("8", 64, 2, "dp 2", "  requests 301");
        assertEquals(151, split.arrivals().simulated().requests(), "each split of the batch sends its share, rounded up");
    }

    @Test
    void theWorkloadSetsTheEnginesLimits() {
        Serving free = at("4", 256, 1, "tp 1"), limited = at("4", 256, 1, "tp 1", "  max_batch 12  token_budget 2048");
        ServingSimulation.Result a = free.arrivals().simulated(), b = limited.arrivals().simulated();
        assertEquals(8, a.engine().promptsPerIteration(), "8,192 tokens of 1,024-token prompts");
        assertTrue(a.engine().inFlight() > 100, "the KV cache's limit: " + a.engine());
        assertEquals(new ServingSimulation.Engine(2, 12, 2048, false), b.engine());
        assertTrue(at("4", 256, 1, "tp 1", "  chunked_prefill true  token_budget 512").arrivals().simulated().engine().chunked());
        assertTrue(b.mostInFlight() <= 12, b.toString());
        // A limit just above the steady state's 8 in flight: the bursts wait, the tail grows.
        assertTrue(b.ttft().p99() > 3 * a.ttft().p99(), a.ttft() + " against " + b.ttft());
    }

    @Test
    void longGenerationsSendFewerRequestsUnlessTheWorkloadSays() {
        // The run makes at most TOKEN_STEPS output tokens: 20,000 each leave 1,000 requests, 40,000 each 500.
        assertEquals(1000, ServingSimulation.mostRequests(20_000));
        assertEquals(500, ServingSimulation.mostRequests(40_000));
        Serving s = at("0.01", 40_000, 1, "tp 1");
        assertEquals(500, s.arrivals().simulated().requests());
    }

    @Test
    void aBusierEngineHasALongerTail() {
        Serving slow = at("1", 256, 1, "tp 1"), busy = at("16", 256, 1, "tp 1");
        ServingSimulation.Spread a = slow.arrivals().simulated().ttft(), b = busy.arrivals().simulated().ttft();
        assertTrue(b.p99() - b.p50() > 2 * (a.p99() - a.p50()), a + " against " + b);
    }

    @Test
    void percentileRequirementsReadTheRunsTail() {
        String source = String.format(DEPLOY, 1, 256, "8", "", "tp 1") .replace("for W\n", "for W {\n  require ttft_p99 <= 10 s\n  require tpot_p99 <= 10 s\n"
                + "  require ttft <= 10 s\n}\n");
        MaterializedPlan p = Compile.source(source);
        ServingSimulation.Result run = p.analysis().serving().arrivals().simulated();
        var results = p.analysis().requirements();
        assertEquals(run.ttft().p99(), results.get(0).value(), 0);
        assertEquals(run.tpot().p99(), results.get(1).value(), 0);
        assertEquals(run.ttft().mean(), results.get(2).value(), 0);
        assertTrue(results.get(0).value() > results.get(2).value(), "the tail is above the mean");
        // A fixed batch's sequences share their figures: the percentile is the figure.
        MaterializedPlan fixed = Compile.source(source.replace("rate 8 req/s", "batch 4"));
        var f = fixed.analysis().requirements();
        assertEquals(f.get(2).value(), f.get(0).value(), 0);
        assertEquals(fixed.analysis().serving().tpot(), f.get(1).value(), 0);
    }

    @Test
    void oneOutputTokenIsThePrefillAlone() {
        Serving s = at("2", 1, 1, "tp 1");
        assertNull(s.decode());
        assertTrue(Double.isNaN(s.tpot()));
        assertEquals(2.0, s.throughput(), 1e-12);
    }
}
