package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import pdagc.diag.Code;
import pdagc.diag.Diagnostic;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.source.SourceFile;
import pdagc.units.Units;

/** {@code require} clauses against the analysis: a violated one is E0501 at the clause, with the figure and the limit. */
class RequirementsTest {
    static final String HEAD = """
            import std.hardware
            import std.blocks
            model M { vocab 1024  hidden 64  heads 8  layers 2  ffn 128  experts 4  top 2  norm layernorm  act gelu  layer moe_layer }
            cluster C { gpu H100%s  count 8  per_node 8 }
            workload W { batch 8  seq 8  phase %s  dtype bf16 }
            strategy S { mesh [ep 4, tp 2] }
            """;

    record Run(List<Diagnostic> diagnostics, List<MaterializedPlan> plans, String rendered) {
        Diagnostic only(Code code) {
            List<Diagnostic> d = diagnostics.stream().filter(x -> x.code() == code).toList();
            assertEquals(1, d.size(), rendered);
            return d.get(0);
        }
    }

    static Run check(String gpu, String phase, String requirements) {
        String text = HEAD.formatted(gpu, phase) + "deploy D = M on C with S for W {\n" + requirements + "\n}\n";
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of("inline.pdag", null, text));
        return new Run(c.diagnostics().sorted(), plans, DiagnosticRenderer.render(c.diagnostics().sorted()));
    }

    @Test
    void metRequirementsSayNothing() {
        Run r = check("", "prefill", "  require ttft <= 10 s\n  require latency <= 10 s\n  require throughput >= 1 tok/s\n  require memory <= 64 GB per gpu");
        assertEquals(List.of(), r.diagnostics(), r.rendered());
        assertTrue(r.plans().get(0).analysis().requirements().stream().allMatch(Requirements.Result::holds));
    }

    @Test
    void aViolatedTimeIsAnErrorAtTheClauseWithTheFigureAndTheLimit() {
        Run r = check("", "prefill", "  require ttft <= 1 us");
        Diagnostic d = r.only(Code.E0501);
        assertEquals("require ttft <= 1 us", d.span().text());
        double ttft = r.plans().get(0).analysis().step().seconds();
        assertTrue(d.message().startsWith("requirement not met: ttft is " + Units.seconds(ttft) + ", limit <= 1"), d.message());
        assertTrue(d.notes().get(0).startsWith("critical path " + Units.seconds(ttft)), d.notes().toString());
    }

    @Test
    void latencyAndThroughputAreCheckedEitherWay() {
        Run r = check("", "prefill", "  require latency <= 1 ns\n  require throughput >= 1000 TFLOP/s");
        assertTrue(r.diagnostics().stream().anyMatch(d -> d.code() == Code.E0205), "throughput needs tok/s: " + r.rendered());
        Run t = check("", "prefill", "  require throughput >= 1000000000000 tok/s");
        assertTrue(t.only(Code.E0501).message().contains("throughput is "), t.rendered());
        Run l = check("", "decode  context 64", "  require latency <= 1 ns");
        assertTrue(l.only(Code.E0501).message().contains("latency (decode step) is "), l.rendered());
    }

    @Test
    void aFigureTheWorkloadDoesNotHaveIsAWarningNotAGuess() {
        Run prefill = check("", "prefill", "  require tpot <= 1 s");
        assertEquals("require tpot <= 1 s", prefill.only(Code.W0504).span().text());
        assertFalse(prefill.diagnostics().stream().anyMatch(d -> d.severity() == pdagc.diag.Severity.ERROR), prefill.rendered());
        Run decode = check("", "decode  context 64", "  require ttft <= 1 s\n  require tpot <= 10 s");
        assertEquals("require ttft <= 1 s", decode.only(Code.W0504).span().text());
        Requirements.Result tpot = decode.plans().get(0).analysis().requirements().get(1);
        assertTrue(tpot.applicable() && tpot.holds());
    }

    @Test
    void memoryOverTheRequirementOrTheCapacityIsAnErrorWithTheBreakdown() {
        Run req = check("", "prefill", "  require memory <= 10 KB per gpu");
        Diagnostic d = req.only(Code.E0501);
        assertTrue(d.message().startsWith("requirement not met: memory per GPU is "), d.message());
        assertTrue(d.notes().get(0).matches("GPU 0: weights .* \\+ KV cache .* \\+ activations .* \\+ collective workspace .*"), d.notes().toString());
        Run cap = check(" { memory 10 KB }", "prefill", "");
        assertTrue(cap.only(Code.E0503).message().startsWith("GPU 0 (and 7 others) needs "), cap.rendered());
    }

    /** A training step's breakdown names its model states too, so that its parts add up to the figure. */
    @Test
    void aTrainingStepsBreakdownNamesItsGradientsAndOptimizerStates() {
        String text = """
                import std.hardware
                import std.blocks
                model M { vocab 1024  hidden 64  heads 8  layers 2  ffn 128  norm rmsnorm  act silu  layer gated_dense_layer }
                cluster C { gpu H100  count 8  per_node 8 }
                workload W { batch 8  seq 8  phase train }
                strategy S { mesh [dp 2, tp 4]  zero 1 }
                deploy D = M on C with S for W {
                  require memory <= 10 KB per gpu
                }
                """;
        Compiler c = new Compiler(Set.of());
        List<MaterializedPlan> plans = c.check(SourceFile.of("inline.pdag", null, text));
        List<Diagnostic> d = c.diagnostics().sorted().stream().filter(x -> x.code() == Code.E0501).toList();
        assertEquals(1, d.size(), DiagnosticRenderer.render(c.diagnostics().sorted()));
        Memory.PerGpu m = plans.get(0).analysis().gpus().get(0).memory();
        assertTrue(m.gradientBytes() > 0 && m.optimizerBytes() > 0, m.toString());
        String note = d.get(0).notes().get(0);
        assertTrue(note.endsWith(" + gradients " + Units.bytes(m.gradientBytes()) + " + optimizer states " + Units.bytes(m.optimizerBytes())), note);
        assertTrue(d.get(0).message().contains(Units.bytes(m.total())), d.get(0).message());
    }

    @Test
    void theDiagnosticsAreTheSameEveryRun() {
        String first = check("", "prefill", "  require ttft <= 1 us\n  require memory <= 10 KB per gpu\n  require tpot <= 1 s").rendered();
        assertEquals(first, check("", "prefill", "  require ttft <= 1 us\n  require memory <= 10 KB per gpu\n  require tpot <= 1 s").rendered());
    }
}
