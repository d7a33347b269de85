package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;

/**
 * Model states under mixed-precision Adam (Rajbhandari et al. 2020, ZeRO, section 3 and Fig. 1;
 * in ../shared/reference): fp16 weights and gradients and fp32 optimizer states (master weights,
 * momentum, variance) take {@code (2 + 2 + 12)Ψ} bytes per GPU under plain data parallelism; ZeRO
 * stage 1 shards the optimizer states over the Nd data-parallel ranks, {@code 4Ψ + 12Ψ/Nd}, stage 2
 * the gradients too, {@code 2Ψ + 14Ψ/Nd}, stage 3 the weights as well, {@code 16Ψ/Nd}. The paper's
 * example, Ψ = 7.5B and Nd = 64: 120 GB, 31.4 GB, 16.6 GB and 1.9 GB.
 *
 * <p>The model is GPT-3 6.7B's layers (h 4096, 32 layers, 32 heads, a GELU MLP of 4h, LayerNorms
 * and biases) with Llama 3's vocabulary of 128,256 and an untied output projection: pdagc counts
 * Ψ = 7,494,836,224 parameters, and the weights, gradients and optimizer states of each GPU of its
 * {@code phase train} plan on {@code mesh [dp 64]} are the paper's formulas at that Ψ exactly, in
 * bytes; in GB they round to the paper's figures.
 */
class ZeroModelStatesTest {
    static final long PSI = 7_494_836_224L;
    static final long ND = 64;

    static MaterializedPlan plan(int zero) {
        return Compile.source("""
                import std.hardware
                import std.blocks
                model Gpt7b {
                  vocab 128256  hidden 4096  heads 32  layers 32  ffn 4 * hidden  norm layernorm  act gelu
                  layer gpt2_layer  head layernorm_lm_head
                }
                cluster C { gpu H100 { memory 1 TB }  count 64  per_node 8 }
                workload W { batch 64  seq 256  phase train  dtype bf16 }
                strategy T { mesh [dp 64]  zero %d }
                deploy D = Gpt7b on C with T for W
                """.formatted(zero));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void weightsGradientsAndOptimizerStatesAreZerosFormulaExactly(int zero) {
        MaterializedPlan p = plan(zero);
        long psi = pdagc.lower.ModelStats.of(p.deployment().model(), p.deployment().program(), new pdagc.diag.Diagnostics()).orElseThrow().totalParams();
        assertEquals(PSI, psi, "pdagc's own parameter count");
        long expected = switch (zero) {
            case 0 -> (2 + 2 + 12) * psi;
            case 1 -> 4 * psi + 12 * psi / ND;
            case 2 -> 2 * psi + 14 * psi / ND;
            default -> 16 * psi / ND;
        };
        double paperGb = switch (zero) {
            case 0 -> 120;
            case 1 -> 31.4;
            case 2 -> 16.6;
            default -> 1.9;
        };
        assertEquals(0, psi % ND, "every GPU's shard is whole");
        for (Analysis.GpuFigures g : p.analysis().gpus()) {
            Memory.PerGpu m = g.memory();
            assertEquals(zero == 3 ? 2 * psi / ND : 2 * psi, m.weightBytes(), "bf16 weights, GPU " + g.gpu());
            assertEquals(zero >= 2 ? 2 * psi / ND : 2 * psi, m.gradientBytes(), "bf16 gradients, GPU " + g.gpu());
            assertEquals(zero >= 1 ? 12 * psi / ND : 12 * psi, m.optimizerBytes(), "fp32 master, momentum and variance, GPU " + g.gpu());
            long states = m.weightBytes() + m.gradientBytes() + m.optimizerBytes();
            assertEquals(expected, states, "GPU " + g.gpu());
            // The paper's figure at its precision: 120 GB to the unit, 31.4 and 16.6 GB to a tenth.
            double gb = states / 1e9;
            assertEquals(paperGb, zero == 0 ? Math.round(gb) : Math.round(gb * 10) / 10.0, gb + " GB");
        }
    }
}
