package pdagc.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pdagc.driver.Compile;

/**
 * Dropout in a training step: its mask is drawn per element from the seed and the element's
 * global position, so every rank's part is a slice of the unpartitioned model's mask and verify
 * compares the plan's values, gradients and updated weights exactly, under every parallel form
 * that splits or replicates the dropped tensors; a recomputation draws the same mask again.
 */
class DropoutTest {
    static final String MODEL = "model M { vocab 256 hidden 64 heads 8 layers 4 ffn 256 norm layernorm act gelu dropout 0.1 "
            + "layer gpt2_layer head layernorm_lm_head }";

    @ParameterizedTest
    @ValueSource(strings = {
        "4|mesh [tp 4]",
        "4|mesh [tp 4] sequence_parallel true",
        "4|mesh [dp 2, tp 2] zero 1 micro_batches 2",
        "4|mesh [dp 2, tp 2] sequence_parallel true zero 2",
        "4|mesh [pp 2, tp 2] micro_batches 2 schedule 1f1b",
        "2|mesh [cp 2]",
        "4|mesh [dp 2, tp 2] recompute full",
        "2|mesh [tp 2] sequence_parallel true recompute selective"})
    void trainingWithDropoutVerifies(String spec) {
        String[] parts = spec.split("\\|");
        String src = StrategyMatrixTest.deploy(MODEL, Integer.parseInt(parts[0]), parts[1], "batch 8 seq 16 phase train");
        pdagc.driver.MaterializedPlan plan = Compile.source(src);
        assertEquals(12, plan.spmd().nodes().stream().filter(n -> n.op() instanceof pdagc.ir.Op.Dropout && n.id() < plan.spmd().backwardStart()).count(),
                "three dropouts in each of the 4 layers");
        Verify.Report r = plan.verify(3);
        assertTrue(r.ok(), parts[1] + ": " + r.summary());
    }

    /** A rank's part of a mask is the slice of the whole mask at its offsets, and about p of the elements are dropped. */
    @Test
    void aRanksMaskIsASliceOfTheWholeMaskDroppingAboutP() {
        int[] global = {4, 50, 64};
        Tensor whole = Kernels.dropoutMask(0.1, global, global, new int[3], 42);
        Tensor part = Kernels.dropoutMask(0.1, new int[] {4, 25, 32}, global, new int[] {0, 25, 32}, 42);
        assertArrayEquals(whole.slice(1, 25, 25).slice(2, 32, 32).data, part.data);
        long dropped = 0;
        for (double v : whole.data) {
            assertTrue(v == 0 || v == 1);
            if (v == 0) dropped++;
        }
        assertEquals(0.1, (double) dropped / whole.data.length, 0.01);
    }

    /** The gradient of dropout is the output's gradient through the same mask, scaled by 1 / (1 - p). */
    @Test
    void theGradientGoesThroughTheSameMask() {
        Tensor mask = new Tensor(new int[] {4}, new double[] {1, 0, 1, 1}, null);
        Tensor dy = new Tensor(new int[] {4}, new double[] {1, 2, 3, 4}, null);
        assertArrayEquals(new double[] {2, 0, 6, 8}, Kernels.dropout(dy, mask, 0.5).data, 0);
    }
}
