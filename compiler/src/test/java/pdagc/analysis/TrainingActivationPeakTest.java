package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pdagc.driver.Compile;

/**
 * The activation peak of a training step (liveness along a GPU's schedule) holds activations only:
 * each micro-batch's weight gradients are added into the gradient buffer as they are made, and the
 * buffer, the optimizer states and the weights are the model states {@link Memory} counts beside
 * it. So with 1F1B on one stage (each micro-batch's backward right after its forward) four
 * micro-batches peak as high as one; GPipe, all forwards first, holds the four's stored activations
 * together.
 */
class TrainingActivationPeakTest {
    static long peak(int microBatches, String schedule) {
        String src = pdagc.verify.StrategyMatrixTest.deploy(
                "model M { vocab 256 hidden 64 heads 8 layers 4 ffn 256 norm layernorm act gelu dropout 0.1 layer gpt2_layer head layernorm_lm_head }", 2,
                "mesh [dp 2]  micro_batches " + microBatches + "  schedule " + schedule, "batch " + 4 * microBatches + " seq 32 phase train");
        Analysis a = Compile.source(src).analysis();
        Memory.PerGpu m = a.gpus().get(0).memory();
        assertTrue(m.gradientBytes() > 0);
        return m.activationBytes();
    }

    @Test
    void microBatchesRunOneAfterAnotherPeakAsOne() {
        assertEquals(peak(1, "1f1b"), peak(4, "1f1b"));
        assertTrue(peak(4, "gpipe") > peak(1, "gpipe"));
    }
}
