package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import pdagc.dag.DagNode;
import pdagc.driver.Compile;
import pdagc.driver.MaterializedPlan;
import pdagc.spmd.SpmdNode;

/**
 * FLOPs of a training step, from the plan's nodes (../shared/reference): the matrix products of
 * every GPU's nodes over the step's micro-batches, forward and backward, are exactly Megatron's
 * count {@code 72·B·s·l·h²·(1 + s/(6h) + V/(12lh))} (Korthikanti et al. 2022's model FLOPs, from
 * Narayanan et al. 2021's count: the forward pass 24Bsh² + 4Bs²h per layer and the logits 2BshV,
 * the backward twice the forward),
 * and with full recomputation (one more forward of every layer, not of the logits) exactly their
 * eq. 3, {@code 96·B·s·l·h²·(1 + s/(6h) + V/(16lh))}. Both count attention's full score square
 * (4Bs²h per layer forward: QK^T and the weighted sum over all s keys), as pdagc's attention ops do;
 * Kaplan et al.'s {@code 6N} per token with its attention term {@code 6·l·s·h} (3 x 2·n_layer·n_ctx·
 * d_attn, the causal average) is the same count with half the square. The model is the paper's
 * GPT layer at GPT-3 175B's width (h 12288, a 96, s 2048, V 51200) over 4 layers, on 32 GPUs
 * (tp 8, pp 2, dp 2) with 4 micro-batches of 2 sequences.
 */
class TrainingFlopsTest {
    static final long H = 12288, S = 2048, V = 51200, L = 4, B = 16;

    static MaterializedPlan plan(String recompute) {
        return Compile.source("""
                import std.hardware
                import std.blocks
                %s
                model Gpt3Width {
                  vocab 51200  hidden 12288  heads 96  layers 4  ffn 4 * hidden
                  norm layernorm  act gelu  dropout 0.1
                  layer paper_layer  head layernorm_lm_head
                }
                cluster C { gpu H100 { memory 1 TB }  count 32  per_node 8 }
                workload W { batch 16  seq 2048  phase train  dtype bf16 }
                strategy T { mesh [dp 2, pp 2, tp 8]  sequence_parallel true  micro_batches 4  schedule 1f1b  zero 1  recompute %s }
                deploy D = Gpt3Width on C with T for W
                """.formatted(KorthikantiTest.LAYER, recompute));
    }

    /** 72·B·s·l·h² + 12·B·s²·l·h + 6·B·s·h·V: Megatron's formula multiplied out, in integers. */
    static BigInteger megatron() {
        return big(72 * B * S * L * H * H + 12 * B * S * S * L * H + 6 * B * S * H * V);
    }

    /** 96·B·s·l·h² + 16·B·s²·l·h + 6·B·s·h·V: Narayanan et al.'s eq. 3 multiplied out. */
    static BigInteger narayanan() {
        return big(96 * B * S * L * H * H + 16 * B * S * S * L * H + 6 * B * S * H * V);
    }

    @Test
    void modelFlopsAreMegatronsFormulaExactly() {
        MaterializedPlan p = plan("none");
        Analysis.Training t = p.analysis().training();
        assertEquals(megatron(), t.modelFlops());
        assertEquals(t.modelFlops(), t.hardwareFlops(), "nothing recomputed");
        // The same sum node by node over every GPU's DAG, not by roles.
        assertEquals(megatron(), productFlops(p));
    }

    @Test
    void withFullRecomputationHardwareFlopsAreEquation3AndModelFlopsStayMegatrons() {
        MaterializedPlan p = plan("full");
        Analysis.Training t = p.analysis().training();
        assertEquals(narayanan(), t.hardwareFlops());
        assertEquals(megatron(), t.modelFlops());
        assertEquals(narayanan().doubleValue() / megatron().doubleValue(), t.hfu() / t.mfu(), 1e-12);
        assertTrue(t.mfu() > 0 && t.hfu() < 1, t.mfu() + " " + t.hfu());
    }

    /**
     * Kaplan et al.'s 6N per token, N the weights of the products (the layers' 12·l·h², and the
     * logits' h·V that their approximation leaves out), plus attention: twice their causal
     * {@code 6·l·s·h}, the full square.
     */
    @Test
    void perTokenTheyAre6NPlusTwiceKaplansCausalAttentionTerm() {
        MaterializedPlan p = plan("none");
        long n = 12 * L * H * H + H * V;
        long tokens = B * S;
        assertEquals(big(6 * n * tokens + 2 * 6 * L * S * H * tokens), p.analysis().training().modelFlops());
    }

    /** MFU and HFU as the papers define them: FLOPs per second per GPU over the GPU's peak (989 TFLOP/s dense bf16 on an H100). */
    @Test
    void mfuIsModelFlopsPerSecondPerGpuOverThePeak() {
        MaterializedPlan p = plan("selective");
        Analysis.Training t = p.analysis().training();
        assertEquals(989e12, t.peakFlops());
        assertEquals(32, t.gpus());
        assertEquals(p.analysis().step().seconds(), t.seconds());
        assertEquals(t.modelFlops().doubleValue() / (t.seconds() * 32 * 989e12), t.mfu(), 1e-15);
        // Selective recomputation runs QK^T again: 2·B·s²·h per layer.
        assertEquals(megatron().add(big(2 * B * S * S * H * L)), t.hardwareFlops());
    }

    private static BigInteger productFlops(MaterializedPlan p) {
        BigInteger sum = BigInteger.ZERO;
        for (DagNode n : p.dag().nodes()) {
            SpmdNode op = p.spmd().nodes().get(n.program());
            if (OpCost.isProduct(op.op())) sum = sum.add(big(p.analysis().nodes().flops(n.index())));
        }
        return sum;
    }

    private static BigInteger big(long v) {
        return BigInteger.valueOf(v);
    }
}
