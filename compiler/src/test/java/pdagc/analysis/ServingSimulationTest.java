package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The request-by-request simulation of serving at a rate ({@link ServingSimulation}), held against
 * what queueing theory says of the cases it has a closed form for, and against its own rules.
 */
class ServingSimulationTest {

    /** Step times where a prefill costs {@code perPrompt} per prompt and a decode step {@code decode}. */
    private static ServingSimulation.StepTimes linear(double perPrompt, double decode) {
        return new ServingSimulation.StepTimes() {
            public double prefill(long prompts) {
                return perPrompt * prompts;
            }

            public double decode(long sequences) {
                return decode;
            }
        };
    }

    @Test
    void oneAtATimeWithOneTokenIsTheQueueOfDeterministicService() {
        // Output 1, one prompt per iteration, each s long: an M/D/1 queue, whose mean wait is
        // rho s / (2 (1 - rho)) (Pollaczek-Khinchine).
        double s = 0.010;
        for (double rho : new double[] {0.3, 0.6, 0.8}) {
            ServingSimulation.Result r = ServingSimulation.run(rho / s, 200_000, 100, 1, new ServingSimulation.Engine(1, 1), linear(s, 1));
            double expected = s + rho * s / (2 * (1 - rho));
            assertEquals(expected, r.ttft().mean(), 0.03 * expected, "rho " + rho);
            assertTrue(Double.isNaN(r.tpot().mean()), "one output token has no time per output token");
            assertEquals(r.ttft().mean(), r.endToEnd().mean(), 1e-15);
        }
    }

    @Test
    void aLoneRequestTakesItsPrefillAndItsDecodeSteps() {
        // So slow a rate that no two requests meet: TTFT is the prefill of one prompt, each later token one decode step of one.
        ServingSimulation.Result r = ServingSimulation.run(0.001, 50, 100, 11, ServingSimulation.Engine.of(100, 64), linear(0.010, 0.002));
        assertEquals(0.010, r.ttft().p99(), 1e-9, "times subtract arrivals thousands of seconds in");
        assertEquals(0.002, r.tpot().mean(), 1e-9);
        assertEquals(0.010 + 10 * 0.002, r.endToEnd().mean(), 1e-9);
        assertEquals(1, r.mostInFlight());
    }

    @Test
    void iterationsThatAdmitNothingAreTakenTogetherAsTheyWouldBeOneByOne() {
        // Sparse arrivals and long generations, and a busy engine: the strides of iterations that admit nothing give what
        // iterating one by one gives (the reference below: the same rules, one iteration at a time).
        for (double rate : new double[] {0.5, 40}) {
            ServingSimulation.Engine engine = new ServingSimulation.Engine(3, 24);
            ServingSimulation.StepTimes steps = new ServingSimulation.StepTimes() {
                public double prefill(long prompts) {
                    return 0.004 + 0.003 * prompts;
                }

                public double decode(long sequences) {
                    return 0.001 + 0.0002 * sequences;
                }
            };
            ServingSimulation.Result r = ServingSimulation.run(rate, 300, 64, 500, engine, steps);
            double[] ref = oneByOne(rate, 300, 500, engine, steps);
            assertEquals(ref[0], r.ttft().mean(), 1e-9 * ref[0], "TTFT at " + rate);
            assertEquals(ref[1], r.tpot().mean(), 1e-9 * ref[1], "TPOT at " + rate);
        }
    }

    /** Mean TTFT and TPOT of the same run, iteration by iteration. */
    private static double[] oneByOne(double rate, int n, long output, ServingSimulation.Engine engine, ServingSimulation.StepTimes steps) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(ServingSimulation.SEED);
        double[] arrival = new double[n];
        double t = 0;
        for (int i = 0; i < n; i++) arrival[i] = t += -Math.log(1 - random.nextDouble()) / rate;
        double[] first = new double[n];
        long[] made = new long[n];
        List<Integer> running = new ArrayList<>();
        double now = arrival[0], ttft = 0, tpot = 0;
        int next = 0, done = 0;
        while (done < n) {
            if (running.isEmpty() && next < n && arrival[next] > now) now = arrival[next];
            int admitted = next;
            while (admitted < n && arrival[admitted] <= now && admitted - next < engine.promptsPerIteration()
                    && running.size() + admitted - next < engine.inFlight()) admitted++;
            int prompts = admitted - next;
            now += (prompts > 0 ? steps.prefill(prompts) : 0) + (running.isEmpty() ? 0 : steps.decode(running.size()));
            List<Integer> still = new ArrayList<>();
            for (int r : running) {
                if (++made[r] == output) {
                    tpot += (now - first[r]) / (output - 1);
                    done++;
                } else {
                    still.add(r);
                }
            }
            for (int r = next; r < admitted; r++) {
                first[r] = now;
                ttft += now - arrival[r];
                made[r] = 1;
                still.add(r);
            }
            running = still;
            next = admitted;
        }
        return new double[] {ttft / n, tpot / n};
    }

    @Test
    void theRunIsTheSameEveryTime() {
        ServingSimulation.Result a = ServingSimulation.run(40, 2000, 512, 64, ServingSimulation.Engine.of(512, 256), linear(0.004, 0.006));
        ServingSimulation.Result b = ServingSimulation.run(40, 2000, 512, 64, ServingSimulation.Engine.of(512, 256), linear(0.004, 0.006));
        assertEquals(a, b);
    }

    @Test
    void aRunThatKeepsUpMakesTheRatesTokensAndObeysLittlesLaw() {
        double rate = 30;
        long output = 50;
        ServingSimulation.Result r = ServingSimulation.run(rate, 20_000, 256, output, ServingSimulation.Engine.of(256, 1000), linear(0.003, 0.008));
        assertEquals(rate, r.requests() / r.seconds(), 0.02 * rate, "requests served a second");
        // Requests in the engine: each from the start of the iteration that prefills it to its last token, TTFT less its wait.
        double inEngine = r.meanInFlight() / rate;
        assertTrue(inEngine < r.endToEnd().mean() && inEngine > r.endToEnd().mean() - r.ttft().mean(),
                inEngine + " s in the engine, end to end " + r.endToEnd().mean());
        assertEquals(r.ttft().mean() + (output - 1) * r.tpot().mean(), r.endToEnd().mean(), 1e-9 * r.endToEnd().mean(),
                "every request has output - 1 tokens after its first");
        assertTrue(r.tpot().mean() > 0.008, "prefills in the iterations stretch the decode steps: " + r.tpot().mean());
        assertTrue(r.ttft().p50() <= r.ttft().p90() && r.ttft().p90() <= r.ttft().p99(), r.ttft().toString());
    }

    @Test
    void aRateBeyondTheEngineQueuesMoreTheLongerItRuns() {
        // Prefills alone take 1.5 times the time there is: the queue, and the wait, grow with the requests sent.
        ServingSimulation.StepTimes steps = linear(0.015, 0.001);
        ServingSimulation.Engine oneAtATime = new ServingSimulation.Engine(1, 4);
        double shortRun = ServingSimulation.run(100, 500, 64, 2, oneAtATime, steps).ttft().mean();
        double longRun = ServingSimulation.run(100, 5000, 64, 2, oneAtATime, steps).ttft().mean();
        assertTrue(longRun > 5 * shortRun, longRun + " against " + shortRun);
    }

    @Test
    void theEngineAdmitsNoMoreThanItsLimits() {
        ServingSimulation.Result r = ServingSimulation.run(200, 3000, 128, 20, new ServingSimulation.Engine(2, 6), linear(0.001, 0.004));
        assertEquals(6, r.mostInFlight());
        List<Long> prompts = new ArrayList<>();
        ServingSimulation.run(200, 300, 128, 20, new ServingSimulation.Engine(2, 6), new ServingSimulation.StepTimes() {
            public double prefill(long n) {
                prompts.add(n);
                return 0.001 * n;
            }

            public double decode(long sequences) {
                assertTrue(sequences <= 6, sequences + " in flight");
                return 0.004;
            }
        });
        assertTrue(prompts.stream().allMatch(n -> n <= 2) && prompts.contains(2L), prompts.toString());
    }

    @Test
    void prefillingArrivalsTogetherShortensTheirWait() {
        // A prefill that costs the same for one prompt or eight (the weights read once): batching them helps at a high rate.
        ServingSimulation.StepTimes shared = new ServingSimulation.StepTimes() {
            public double prefill(long prompts) {
                return 0.008;
            }

            public double decode(long sequences) {
                return 0.002;
            }
        };
        double together = ServingSimulation.run(100, 5000, 128, 8, new ServingSimulation.Engine(8, 512), shared).ttft().mean();
        double alone = ServingSimulation.run(100, 5000, 128, 8, new ServingSimulation.Engine(1, 512), shared).ttft().mean();
        assertTrue(together < alone, together + " against " + alone);
        assertEquals(8192 / 1000, ServingSimulation.Engine.of(1000, 10).promptsPerIteration());
        assertEquals(1, ServingSimulation.Engine.of(20_000, 10).promptsPerIteration(), "a prompt longer than the budget still runs, alone");
    }

    @Test
    void chunkedPrefillSpreadsALongPromptOverIterationsBetweenDecodes() {
        // Prompts of 4,096 tokens at 32 ms each (linear in their tokens), decode steps of 5 ms: whole prompts stall the decoding
        // requests for one long iteration; chunks of what a 512-token budget leaves spread the prompt over iterations that
        // still decode, so the decoding requests' worst iterations are shorter and the prompt's first token later.
        ServingSimulation.StepTimes steps = linear(0.032, 0.005);
        ServingSimulation.Result whole = ServingSimulation.run(3, 3000, 4096, 64, new ServingSimulation.Engine(2, 256), steps);
        ServingSimulation.Result chunked = ServingSimulation.run(3, 3000, 4096, 64, ServingSimulation.Engine.of(4096, 512, 256, 0, true), steps);
        assertTrue(chunked.engine().chunked() && chunked.engine().tokenBudget() == 512, chunked.engine().toString());
        assertTrue(chunked.tpot().p99() < whole.tpot().p99(), chunked.tpot() + " against " + whole.tpot());
        assertTrue(chunked.ttft().mean() > whole.ttft().mean(), chunked.ttft() + " against " + whole.ttft());
        // Alone, a prompt's chunks add up to the prompt: a lone request's first token is its whole prefill.
        ServingSimulation.Result lone = ServingSimulation.run(0.001, 20, 1000, 1, ServingSimulation.Engine.of(1000, 300, 4, 0, true), linear(0.010, 0.002));
        assertEquals(0.010, lone.ttft().p99(), 1e-9);
    }

    @Test
    void aChunkCostsItsShareOfThePromptsPrefill() {
        ServingSimulation.StepTimes steps = new ServingSimulation.StepTimes() {
            public double prefill(long prompts) {
                return prompts == 1 ? 0.010 : prompts == 2 ? 0.016 : 0.020;
            }

            public double decode(long sequences) {
                return 0.001;
            }
        };
        assertEquals(0.016, ServingSimulation.prefillTokens(steps, 2000, 1000), 0, "whole prompts: their step");
        assertEquals(0.0025, ServingSimulation.prefillTokens(steps, 250, 1000), 1e-15, "a chunk of a quarter: a quarter of one prompt's");
        assertEquals(0.013, ServingSimulation.prefillTokens(steps, 1500, 1000), 1e-15, "between whole prompts: linear");
    }

    @Test
    void stepTimesAreAskedAtPowersOfTwoAndLinearBetween() {
        List<Long> asked = new ArrayList<>();
        LongToDoubleFunction f = ServingSimulation.onPowersOfTwo(n -> {
            asked.add(n);
            return n * n;
        });
        assertEquals(16, f.applyAsDouble(4), 0);
        assertEquals(16 + (64 - 16) * 2 / 4.0, f.applyAsDouble(6), 1e-12);
        assertEquals(1, f.applyAsDouble(1), 0);
        f.applyAsDouble(5);
        f.applyAsDouble(7);
        assertEquals(List.of(4L, 8L, 1L), asked, "each power of two once");
        assertThrows(IllegalArgumentException.class, () -> f.applyAsDouble(0));
    }
}
