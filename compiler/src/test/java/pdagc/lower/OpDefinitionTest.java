package pdagc.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.analysis.OpCost;
import pdagc.diag.DiagnosticRenderer;
import pdagc.driver.Compiler;
import pdagc.driver.MaterializedPlan;
import pdagc.ir.ContractionDef;
import pdagc.ir.Elementwise;
import pdagc.ir.OpSet;
import pdagc.ir.Parallel;
import pdagc.ir.Shape;
import pdagc.source.SourceFile;
import pdagc.spmd.SpmdNode;
import pdagc.spmd.WeightLayout;
import pdagc.verify.Shrink;
import pdagc.verify.StrategyMatrixTest;

/**
 * Adding an operation takes one definition: this test adds an elementwise function and a
 * contraction that pdagc does not have, each as one definition here in the test sources, and a
 * model whose MLP calls them is lowered, partitioned (its collectives derived from the
 * contraction's factor spec), costed and proven equal to the unsharded model by {@code verify}.
 */
class OpDefinitionTest {
    /** softplus(x) = log(1 + e^x): a name, FLOPs per element and a kernel. */
    record Softplus() implements Elementwise {
        public String text() { return "softplus"; }
        public long flopsPerElement() { return 3; }
        public double apply(double x) { return Math.log1p(Math.exp(x)); }
    }

    /** The same function with its derivative, sigmoid(x): what training needs of it. */
    record DifferentiableSoftplus() implements Elementwise {
        public String text() { return "softplus"; }
        public long flopsPerElement() { return 3; }
        public double apply(double x) { return Math.log1p(Math.exp(x)); }
        public boolean derivative() { return true; }
        public double slope(double x) { return 1 / (1 + Math.exp(-x)); }
    }

    /** A linear whose weight is stored [out, in], as PyTorch's nn.Linear keeps it: one line of spec. */
    static final ContractionDef LINEAR_T = new ContractionDef("linear_t", "bsk,nk->bsn", List.of("out", "in"),
            Set.of(Parallel.Style.COLUMN, Parallel.Style.ROW));

    static final OpSet OPS = OpSet.STANDARD.with(new Softplus()).with(LINEAR_T);

    static final String MODEL = """
            block softplus_mlp(x: [B, S, hidden]) -> [B, S, hidden] {
              n    = norm(x)
              up   = linear_t(n, out: ffn) @column(tp)
              h    = softplus(up)
              down = linear_t(h, out: hidden) @row(tp)
              return x + down
            }
            block my_layer(x: [B, S, hidden]) -> [B, S, hidden] {
              a = attention(x)
              return softplus_mlp(a)
            }
            model M { vocab 64 hidden 16 heads 4 layers 2 ffn 32 layer my_layer }
            """;

    private static List<MaterializedPlan> compile(Compiler c, String strategy, String workload, int gpus) {
        List<MaterializedPlan> plans = c.check(SourceFile.of("ops.pdag", null, StrategyMatrixTest.deploy(MODEL, gpus, strategy, workload)));
        assertFalse(c.diagnostics().hasErrors(), () -> DiagnosticRenderer.render(c.diagnostics().sorted()));
        assertEquals(1, plans.size());
        return plans;
    }

    @ParameterizedTest
    @ValueSource(strings = {"mesh [tp 2]", "mesh [dp 2, tp 2]", "mesh [tp 4]", "mesh [pp 2, tp 2] micro_batches 2 sequence_parallel true"})
    void aModelCallingTheNewOpsIsProvenEqualToTheUnshardedModel(String strategy) {
        int gpus = strategy.contains("dp 2") || strategy.contains("tp 4") || strategy.contains("pp 2") ? 4 : 2;
        List<String> workloads = strategy.contains("sequence_parallel") ? List.of(StrategyMatrixTest.PREFILL)
                : List.of(StrategyMatrixTest.PREFILL, "batch 16 phase decode context 64");
        for (String workload : workloads) {
            Compiler c = new Compiler(Set.of()).withOps(OPS).rewriting(d -> Shrink.run(d).deployment());
            MaterializedPlan plan = compile(c, strategy, workload, gpus).get(0);
            pdagc.verify.Verify.Report r = plan.verify(7);
            assertTrue(r.ok(), strategy + ", " + workload + ": " + r.summary());
        }
    }

    @Test
    void theContractionsRulesAreReadOffItsSpec() {
        MaterializedPlan plan = compile(new Compiler(Set.of()).withOps(OPS), "mesh [tp 2]", StrategyMatrixTest.PREFILL, 2).get(0);
        List<SpmdNode> nodes = plan.spmd().nodes();
        SpmdNode up = nodes.stream().filter(n -> n.name().endsWith("mlp.up")).findFirst().orElseThrow();
        SpmdNode down = nodes.stream().filter(n -> n.name().endsWith("mlp.down")).findFirst().orElseThrow();
        // Weights [out, in]: @column splits `out` (the up weight's rows), @row splits `in` (the down weight's columns).
        assertEquals(new Shape(32, 16), up.op().weight());
        assertEquals(List.of(List.of("tp"), List.of()), WeightLayout.of(up, plan.spmd()).dims());
        assertEquals(List.of(List.of(), List.of("tp")), WeightLayout.of(down, plan.spmd()).dims());
        // The row-parallel product is a partial sum: one all-reduce over tp follows it, and none follows the column-parallel one.
        long reduces = nodes.stream().filter(n -> n.op() instanceof pdagc.ir.Op.Collective k
                && k.collective() == pdagc.ir.CollectiveKind.ALL_REDUCE && n.name().contains("mlp")).count();
        assertEquals(2, reduces, "one all-reduce per layer's MLP");
        // FLOPs: 2 per multiply-add over the local iteration space [B, S, k, n/2].
        assertEquals(2L * 16 * 32 * 16 * 16, OpCost.of(up.op(), List.of(new Shape(16, 32, 16)), up.local(), 16 * 16, 2).flops());
        assertEquals(up.local(), new Shape(16, 32, 16));
        assertEquals(3L * 16 * 32 * 16, OpCost.of(new pdagc.ir.Op.Unary(new Softplus()), List.of(up.local()), up.local(), 0, 2).flops());
    }

    static final String TRAIN = "batch 16 seq 32 phase train";

    /**
     * Every built-in operation has a gradient rule, so E0318 is reached only here: a function added
     * without its derivative cannot be trained, and the diagnostic says where it is called.
     */
    @Test
    void aFunctionWithoutItsDerivativeCannotBeTrained() {
        Compiler c = new Compiler(Set.of()).withOps(OPS);
        c.check(SourceFile.of("ops.pdag", null, StrategyMatrixTest.deploy(MODEL, 4, "mesh [dp 2, tp 2]", TRAIN)));
        String out = DiagnosticRenderer.render(c.diagnostics().sorted());
        assertTrue(out.contains("error[E0318]: `M` cannot be trained yet: operation `softplus` has no gradient rule"), out);
        assertTrue(out.contains("h    = softplus(up)") && out.contains("define `softplus`'s derivative"), out);
    }

    /** With its derivative the same function trains: its gradient and the contraction's are derived and proven. */
    @ParameterizedTest
    @ValueSource(strings = {"mesh [dp 2, tp 2]", "mesh [tp 4] sequence_parallel true"})
    void aFunctionWithItsDerivativeTrainsAndVerifies(String strategy) {
        OpSet ops = OpSet.STANDARD.with(new DifferentiableSoftplus()).with(LINEAR_T);
        Compiler c = new Compiler(Set.of()).withOps(ops).rewriting(d -> Shrink.run(d).deployment());
        MaterializedPlan plan = compile(c, strategy, TRAIN, 4).get(0);
        assertTrue(plan.spmd().nodes().stream().anyMatch(n -> n.name().endsWith("mlp.h.grad")), "softplus has its gradient");
        pdagc.verify.Verify.Report r = plan.verify(7);
        assertTrue(r.ok(), strategy + ": " + r.summary());
    }

    @Test
    void withoutTheDefinitionsTheNamesAreUnknown() {
        Compiler c = new Compiler(Set.of());
        c.check(SourceFile.of("ops.pdag", null, StrategyMatrixTest.deploy(MODEL, 2, "mesh [tp 2]", StrategyMatrixTest.PREFILL)));
        String out = DiagnosticRenderer.render(c.diagnostics().sorted());
        assertTrue(out.contains("E0404") && out.contains("`linear_t`"), out);
        assertFalse(Builtins.names().contains("softplus"));
    }
}
