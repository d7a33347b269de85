package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compile;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.sem.Phase;
import pdagc.source.SourceFile;

/**
 * A serving workload ({@code input}, {@code output}) gives what serving benchmarks report, every
 * figure from the plans of its steps: each is checked here against the same steps compiled as
 * workloads of their own, and the mean decode step against every decode step compiled. The GPU is
 * one without microbenchmarks (the B200), whose figures are piecewise affine in the context, where
 * the mean is exact; measured efficiencies, interpolated between measured contexts, bend within
 * the mean search's millionth.
 */
class ServingTest {

    private static String deploy(String strategy, int gpus, String workload) {
        return """
                import std.hardware
                import std.blocks
                model M { vocab 1024  hidden 256  heads 8  kv_heads 2  layers 4  ffn 1024  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu B200  count %d  per_node 8 }
                workload W { %s }
                strategy S { %s }
                deploy D = M on C with S for W
                """.formatted(gpus, workload, strategy);
    }

    private static double relative(double expected) {
        return 1e-12 * Math.abs(expected);
    }

    /** TTFT is the prefill step compiled alone; TPOT the mean of every decode step compiled alone; the rest follows. */
    private static void checkAgainstTheSteps(String strategy, int gpus, long batch, long input, long output) {
        MaterializedPlan p = Compile.source(deploy(strategy, gpus, "batch " + batch + "  input " + input + "  output " + output));
        Serving s = p.analysis().serving();
        assertNotNull(s);
        MaterializedPlan prefill = Compile.source(deploy(strategy, gpus, "batch " + batch + "  seq " + input + "  phase prefill"));
        assertEquals(prefill.analysis().step().seconds(), s.ttft());
        double sum = 0;
        List<MaterializedPlan> decodes = new ArrayList<>();
        for (long c = input + 1; c <= input + output - 1; c++) {
            MaterializedPlan d = Compile.source(deploy(strategy, gpus, "batch " + batch + "  phase decode  context " + c));
            decodes.add(d);
            sum += d.analysis().step().seconds();
        }
        double tpot = sum / (output - 1);
        assertEquals(tpot, s.tpot(), relative(tpot), "the mean over contexts " + (input + 1) + " to " + (input + output - 1));
        assertTrue(s.decode().exact());
        assertEquals(output - 1, s.decodeSteps());
        double e2e = s.ttft() + (output - 1) * tpot;
        assertEquals(e2e, s.endToEnd(), relative(e2e));
        assertEquals(batch * output / e2e, s.throughput(), relative(batch * output / e2e));
        assertEquals(s.throughput() / gpus, s.throughputPerGpu(), relative(s.throughput() / gpus));
        // The plan written is the last decode step's, with its memory: the largest KV cache.
        MaterializedPlan last = decodes.get(decodes.size() - 1);
        assertEquals(Phase.DECODE, p.deployment().workload().phase());
        assertEquals(input + output - 1, p.deployment().workload().context());
        assertEquals(last.analysis().largestMemory().memory(), p.analysis().largestMemory().memory());
        assertEquals(last.analysis().step().seconds(), p.analysis().step().seconds());
        long peak = Math.max(last.analysis().largestMemory().memory().total(), prefill.analysis().largestMemory().memory().total());
        assertEquals(peak, s.peakMemory().memory().total());
        // Each role's split of the mean decode step is the mean of the steps' splits.
        for (int r = 0; r < s.decode().roles().size(); r++) {
            double compute = 0, communication = 0, idle = 0;
            for (MaterializedPlan d : decodes) {
                Serving.RoleTimes t = Serving.times(d.dag(), d.analysis()).get(r);
                compute += t.computeSeconds();
                communication += t.communicationSeconds();
                idle += t.idleSeconds();
            }
            Serving.RoleTimes mean = s.decode().roles().get(r);
            assertEquals(compute / decodes.size(), mean.computeSeconds(), relative(compute / decodes.size()));
            assertEquals(communication / decodes.size(), mean.communicationSeconds(), relative(communication / decodes.size()) + 1e-18);
            assertEquals(idle / decodes.size(), mean.idleSeconds(), 1e-12 * tpot);
        }
        // The plans that run (and that verify proves): the prefill's and the last decode step's.
        assertEquals(List.of(Phase.PREFILL, Phase.DECODE), p.steps().stream().map(x -> x.deployment().workload().phase()).toList());
    }

    @Test
    void tensorParallelServingIsItsStepsCompiledAlone() {
        checkAgainstTheSteps("mesh [tp 2]", 2, 2, 32, 16);
    }

    /** Decode over pipeline stages runs in its steady state; the serving figures are still those of the steps compiled alone. */
    @Test
    void pipelinedServingIsItsStepsCompiledAlone() {
        checkAgainstTheSteps("mesh [pp 2, tp 2]  micro_batches 2", 4, 4, 40, 12);
    }

    @Test
    void oneOutputTokenIsThePrefillAlone() {
        MaterializedPlan p = Compile.source(deploy("mesh [tp 2]", 2, "batch 2  input 32  output 1"));
        Serving s = p.analysis().serving();
        assertNull(s.decode());
        assertTrue(Double.isNaN(s.tpot()));
        assertEquals(s.ttft(), s.endToEnd());
        assertEquals(2 / s.ttft(), s.throughput(), relative(2 / s.ttft()));
        assertEquals(Phase.PREFILL, p.deployment().workload().phase(), "the plan written is the prefill's");
        assertEquals(List.of(), s.decodeContexts());
    }

    @Test
    void twoOutputTokensAreOneDecodeStep() {
        MaterializedPlan p = Compile.source(deploy("mesh [tp 2]", 2, "batch 2  input 32  output 2"));
        Serving s = p.analysis().serving();
        assertEquals(List.of(33L), s.decodeContexts());
        assertEquals(s.decodeLast().analysis().step().seconds(), s.tpot());
    }

    /** A workload of one step has no serving figures; its analysis is as before. */
    @Test
    void aWorkloadOfOneStepHasNone() {
        MaterializedPlan p = Compile.source(deploy("mesh [tp 2]", 2, "batch 2  seq 32  phase prefill"));
        assertNull(p.analysis().serving());
        assertEquals(List.of(p), p.steps());
    }

    /** The requirements of a serving workload read its figures: ttft the prefill, tpot the mean decode step, latency end to end. */
    @Test
    void requirementsReadTheServingFigures() {
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of("inline.pdag", null, deploy("mesh [tp 2]", 2, "batch 2  input 32  output 16")
                .replace("for W", "for W { require ttft <= 1 s  require tpot <= 1 s  require latency <= 1 ns  require throughput >= 1 tok/s }")));
        Serving s = plans.get(0).analysis().serving();
        List<Requirements.Result> r = plans.get(0).analysis().requirements();
        assertEquals(List.of(s.ttft(), s.tpot(), s.endToEnd(), s.throughput()), r.stream().map(Requirements.Result::value).toList());
        assertEquals(List.of(true, true, false, true), r.stream().map(Requirements.Result::holds).toList());
        String rendered = DiagnosticRenderer.render(c.diagnostics().sorted());
        assertTrue(rendered.contains("latency (end to end)"), rendered);
        assertTrue(rendered.contains("15 decode steps x TPOT"), rendered);
    }

    /** The search for the mean: three contexts when the figures are affine. */
    @Test
    void anAffineFigureNeedsThreeContexts() {
        List<Long> asked = new ArrayList<>();
        Serving.MeanSearch search = new Serving.MeanSearch(c -> {
            asked.add(c);
            return Optional.of(new double[] {3 + 0.5 * c});
        });
        search.values.put(10L, new double[] {8});
        search.values.put(110L, new double[] {58});
        double sum = search.sum(10, 110).get()[0];
        double expected = 0;
        for (long c = 10; c <= 110; c++) expected += 3 + 0.5 * c;
        assertEquals(expected, sum, 1e-9);
        assertEquals(List.of(60L), asked);
        assertTrue(search.exact);
    }

    /**
     * A convex figure with kinks (as a steady state that turns from loop-bound to stage-bound as
     * the context grows): the search splits at contexts off the line and sums each affine piece,
     * which gives the exact sum.
     */
    @Test
    void aKinkIsFoundAndTheSumStaysExact() {
        java.util.function.LongToDoubleFunction f = c -> Math.max(Math.max(2 + 0.25 * c, 0.5 * c - 20), 1.5 * c - 230);
        Serving.MeanSearch search = new Serving.MeanSearch(c -> Optional.of(new double[] {f.applyAsDouble(c)}));
        search.values.put(1L, new double[] {f.applyAsDouble(1)});
        search.values.put(300L, new double[] {f.applyAsDouble(300)});
        double sum = search.sum(1, 300).get()[0];
        double expected = 0;
        for (long c = 1; c <= 300; c++) expected += f.applyAsDouble(c);
        assertTrue(search.exact);
        assertEquals(expected, sum, 1e-9 * expected);
        assertTrue(search.values.size() <= Serving.MAX_DECODE_PLANS, "contexts compiled: " + search.values.keySet());
    }

    /**
     * A figure that curves a little (a cost model interpolating a table on a log scale, say) never
     * puts three contexts on a line; within a millionth of one, the pieces are taken as affine and
     * the sum is flagged as not exact.
     */
    @Test
    void aSlightCurveIsInterpolatedAndFlagged() {
        java.util.function.LongToDoubleFunction f = c -> 15e-3 + 1e-6 * Math.log(c);
        Serving.MeanSearch search = new Serving.MeanSearch(c -> Optional.of(new double[] {f.applyAsDouble(c)}));
        search.values.put(129L, new double[] {f.applyAsDouble(129)});
        search.values.put(255L, new double[] {f.applyAsDouble(255)});
        double sum = search.sum(129, 255).get()[0];
        double expected = 0;
        for (long c = 129; c <= 255; c++) expected += f.applyAsDouble(c);
        assertFalse(search.exact);
        assertEquals(expected, sum, 1e-6 * expected);
        assertTrue(search.values.size() < Serving.MAX_DECODE_PLANS, "contexts compiled: " + search.values.keySet());
    }

    /** Past the budget of plans, what is left is taken as affine: an upper bound for a convex figure, flagged as not exact. */
    @Test
    void pastTheBudgetTheSumIsAnUpperBound() {
        java.util.function.LongToDoubleFunction f = c -> c * (double) c;
        Serving.MeanSearch search = new Serving.MeanSearch(c -> Optional.of(new double[] {f.applyAsDouble(c)}));
        search.values.put(0L, new double[] {0});
        search.values.put(10_000L, new double[] {f.applyAsDouble(10_000)});
        double sum = search.sum(0, 10_000).get()[0];
        double expected = 0;
        for (long c = 0; c <= 10_000; c++) expected += f.applyAsDouble(c);
        assertFalse(search.exact);
        assertTrue(sum >= expected, sum + " vs " + expected);
        assertEquals(Serving.MAX_DECODE_PLANS, search.values.size());
    }
}
