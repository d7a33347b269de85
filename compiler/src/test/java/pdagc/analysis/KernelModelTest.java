package pdagc.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import pdagc.ir.DType;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.sem.Execution;
import pdagc.sem.GpuSpec;
import pdagc.source.Span;

/** The kernel model's rules, on a GPU kind without measurements so that the data-sheet rules apply. */
class KernelModelTest {
    static final GpuSpec GPU = new GpuSpec("sheet-only", 989e12, 1979e12, 67e12, 132, 80e9, 3.35e12, 900e9, 0.8, 0.9, 1e-6, 3e-6, null, Span.NONE);
    static final Execution GRAPHS = new Execution(true, true, true);

    private static double linear(long tokens, long in, long out, DType dtype, Execution ex) {
        Op op = new Op.Linear(in, out, 0);
        Shape x = new Shape(1, tokens, in), y = new Shape(1, tokens, out);
        OpCost work = OpCost.of(op, List.of(x), y, in * out, dtype);
        return KernelModel.seconds(op, KernelModel.Part.OWN, List.of(x), y, work, GPU, dtype, ex);
    }

    @Test
    void eachElementTypeRunsAtItsOwnPeak() {
        assertEquals(1979e12, GPU.peakFlops(DType.FP8));
        assertEquals(989e12, GPU.peakFlops(DType.BF16));
        assertEquals(67e12, GPU.peakFlops(DType.FP32));
        // A large compute-bound product: fp8 about twice as fast as bf16, fp32 about 15 times slower.
        double bf16 = linear(8192, 8192, 8192, DType.BF16, GRAPHS), fp8 = linear(8192, 8192, 8192, DType.FP8, GRAPHS);
        double fp32 = linear(8192, 8192, 8192, DType.FP32, GRAPHS);
        assertEquals(2.0, bf16 / fp8, 0.01);
        assertEquals(989.0 / 67, fp32 / bf16, 0.1);
        GpuSpec noFp8 = new GpuSpec("no-fp8", 312e12, 0, 19.5e12, 108, 80e9, 2.04e12, 600e9, 0.8, 0.9, 1e-6, 3e-6, null, Span.NONE);
        assertEquals(312e12, noFp8.peakFlops(DType.FP8), "no fp8 tensor cores: the 16-bit rate");
    }

    @Test
    void aSmallProductIsBoundByItsWeightsAndAFullOneByWholeWavesOfTiles() {
        // One token: the weight's bytes over the bandwidth, plus the kernel overhead.
        double gemv = linear(1, 8192, 8192, DType.BF16, GRAPHS);
        assertEquals(8192.0 * 8192 * 2 / (3.35e12 * 0.9), gemv - 1e-6, 1e-7);
        // 132 tiles of 128 x 128 fill the GPU once; 133 take two waves.
        double one = KernelModel.waves(1, 128, 132 * 128, 8192, GPU, DType.BF16);
        double two = KernelModel.waves(1, 128, 133 * 128, 8192, GPU, DType.BF16);
        assertEquals(2.0, two / one, 1e-9);
        // Few tiles split the reduction across the multiprocessors instead of idling them.
        double few = KernelModel.waves(1, 128, 128, 8192, GPU, DType.BF16);
        assertTrue(few < one, few + " < " + one);
    }

    @Test
    void withoutCudaGraphsAKernelTakesAtLeastTheLaunchInterval() {
        double eager = linear(1, 64, 64, DType.BF16, new Execution(true, false, true));
        double graphs = linear(1, 64, 64, DType.BF16, GRAPHS);
        assertEquals(3e-6, eager, 1e-12);
        assertTrue(graphs < 2e-6, "graphs: the overhead and the work only, " + graphs);
        // The overhead part: with graphs the kernel's own, eagerly all that the launch interval adds over the work.
        Op op = new Op.Linear(64, 64, 0);
        Shape x = new Shape(1, 1, 64);
        OpCost work = OpCost.of(op, List.of(x), x, 64 * 64, DType.BF16);
        KernelModel.Time g = KernelModel.time(op, KernelModel.Part.OWN, List.of(x), x, work, GPU, DType.BF16, GRAPHS);
        KernelModel.Time e = KernelModel.time(op, KernelModel.Part.OWN, List.of(x), x, work, GPU, DType.BF16, new Execution(true, false, true));
        assertEquals(1e-6, g.overhead(), 1e-15);
        assertEquals(e.seconds() - (g.seconds() - g.overhead()), e.overhead(), 1e-15);
    }

    @Test
    void fusedAttentionCountsTheCausalPairsOnceAndNoScoreMatrix() {
        assertEquals(1.0, KernelModel.causal(new Shape(1, 8, 1, 4096)));
        assertEquals((4096.0 * 4096 - 4096.0 * 4095 / 2) / (4096.0 * 4096), KernelModel.causal(new Shape(1, 8, 4096, 4096)), 1e-12);
        List<pdagc.spmd.SpmdNode> ops = List.of();
        assertEquals(0, KernelModel.parts(ops, GRAPHS).length);
        Op scores = new Op.AttnScores(8, 8, 128);
        Shape q = new Shape(1, 4096, 1024), scoresShape = new Shape(1, 8, 4096, 4096);
        OpCost work = OpCost.of(scores, List.of(q, q), scoresShape, 0, DType.BF16);
        double fused = KernelModel.seconds(scores, KernelModel.Part.ATTENTION_HEAD, List.of(q, q), scoresShape, work, GPU, DType.BF16, GRAPHS);
        double flops = 4.0 * 8 * 128 * (4096.0 * 4096 - 4096.0 * 4095 / 2);
        assertEquals(flops / (989e12 * 0.8) + 1e-6, fused, 1e-9);
        double unfused = KernelModel.seconds(scores, KernelModel.Part.OWN, List.of(q, q), scoresShape, work, GPU, DType.BF16, GRAPHS);
        assertTrue(unfused > fused / 2, "the unfused scores alone write the whole square");
    }

    @Test
    void fusedElementwiseOpsCostNoTime() {
        Op add = new Op.Binary(pdagc.ir.BinaryFn.ADD);
        Shape x = new Shape(1, 4096, 8192);
        OpCost work = OpCost.of(add, List.of(x, x), x, 0, DType.BF16);
        assertEquals(0, KernelModel.seconds(add, KernelModel.Part.EPILOGUE, List.of(x, x), x, work, GPU, DType.BF16, GRAPHS));
        assertTrue(KernelModel.seconds(add, KernelModel.Part.OWN, List.of(x, x), x, work, GPU, DType.BF16, GRAPHS) > 0);
    }

    @Test
    void fp8KeepsActivationsIn16Bits() {
        Op op = new Op.Linear(4096, 4096, 0);
        Shape x = new Shape(1, 16, 4096);
        OpCost work = OpCost.of(op, List.of(x), x, 4096L * 4096, DType.FP8);
        assertEquals(16L * 4096 * 2 + 4096L * 4096, work.bytesRead());
        assertEquals(16L * 4096 * 2, work.bytesWritten());
    }
}
