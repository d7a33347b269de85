package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * {@code expert_kernels sm80}: the experts' grouped products run on kernels built for SM 80, at the
 * GPU's {@code sm80_compute}. On a Hopper GPU (half its dense rate there) a prefill whose expert
 * products are bound by their FLOPs gets slower, by no more than those products' time doubled; the
 * dense products do not change; on an A100 (no {@code sm80_compute}: SM 80 is its own) nothing
 * changes, and neither does a dense model.
 */
class ExpertKernelsSm80Test {
    static final String DEPLOY = """
            import std.hardware
            import std.models.%s
            cluster C { gpu %s  count 2  per_node 2 }
            workload W { batch 1  input 2048  output 1  dtype bf16  routing identical%s }
            strategy S { mesh [tp 2] }
            deploy D = %s on C with S for W
            """;

    private static MaterializedPlan plan(String module, String model, String gpu, boolean sm80) {
        return Compile.source(String.format(DEPLOY, module, gpu, sm80 ? "  expert_kernels sm80" : "", model));
    }

    private static double seconds(MaterializedPlan p) {
        return p.analysis().serving().ttft();
    }

    @Test
    void hopperRunsTheExpertsOfAnAmpereBuildAtHalfItsRate() {
        MaterializedPlan own = plan("mixtral_8x7b", "Mixtral_8x7b", "H100", false), sm80 = plan("mixtral_8x7b", "Mixtral_8x7b", "H100", true);
        double a = seconds(own), b = seconds(sm80);
        // Two experts take every one of 2,048 tokens: products of [2048, 4096] by [4096, 7168], bound by their FLOPs.
        assertTrue(b > 1.4 * a, b + " s against " + a + " s: the expert products are most of a Mixtral prefill");
        assertTrue(b < 2 * a, b + " s against " + a + " s: only the expert products slow down, at most twice");
    }

    @Test
    void anAmpereGpuRunsItsOwnKernels() {
        assertEquals(seconds(plan("mixtral_8x7b", "Mixtral_8x7b", "A100", false)), seconds(plan("mixtral_8x7b", "Mixtral_8x7b", "A100", true)), 1e-15);
    }

    @Test
    void aDenseModelHasNoExperts() {
        assertEquals(seconds(plan("llama_3_8b", "Llama_3_8b", "H100", false)), seconds(plan("llama_3_8b", "Llama_3_8b", "H100", true)), 1e-15);
    }
}
