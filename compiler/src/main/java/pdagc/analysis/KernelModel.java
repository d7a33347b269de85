package pdagc.analysis;

import java.util.List;
import pdagc.ir.DType;
import pdagc.ir.Op;
import pdagc.ir.Shape;
import pdagc.sem.Execution;
import pdagc.sem.GpuSpec;

/**
 * The time of one computation on one GPU, as a serving engine runs it. The one home of the rules
 * that turn an op's work ({@link OpCost}: FLOPs and HBM bytes, counted as the IR computes) into
 * seconds:
 * <ul>
 *   <li><b>Roofline per kernel</b>: {@code max(F / (peak(dtype) · compute_efficiency), B /
 *       (bandwidth · bandwidth_efficiency))}; matrix products and attention run at the tensor rate
 *       of the workload's element type ({@link GpuSpec#peakFlops(DType)}), norms, softmax and the
 *       routing ops at the fp32 vector rate.
 *   <li><b>Waves</b>: a matrix product's output is computed in 128 x 128 tiles (the thread-block
 *       tile of cuBLAS's and CUTLASS's large kernels), one tile per multiprocessor at a time; when
 *       there are fewer tiles than multiprocessors the reduction is split (split-K) to fill
 *       them. The compute time is whole waves of tiles, so a small or ragged product does not reach
 *       peak (NVIDIA's "Matrix Multiplication Background" guide: tile and wave quantization).
 *   <li><b>Fusion</b> ({@link Execution#fused()}): attention is one FlashAttention kernel: the
 *       causal pairs of the score square only (the last S of T positions, {@code S·T - S(S-1)/2}
 *       pairs), queries, keys and values read once and the output written once, no score matrix
 *       in HBM; elementwise ops run in their neighbours' prologues and epilogues and cost no
 *       time of their own. Unfused, every IR op is a kernel with its own traffic.
 *   <li><b>Overheads</b>: every kernel costs the GPU's {@code kernel_overhead} on top of its work;
 *       without CUDA graphs the host launches kernels one by one, so a kernel takes at least
 *       {@code launch_overhead}.
 * </ul>
 */
public final class KernelModel {
    /** Rows and columns of an output tile of a matrix product. */
    static final int TILE = 128;

    private KernelModel() {}

    /** How a node takes part in fusion. */
    enum Part {
        /** A kernel of its own. */
        OWN,
        /** The first op of a fused attention kernel, which pays its launch. */
        ATTENTION_HEAD,
        /** Inside a fused attention kernel (its softmax): no time of its own. */
        ATTENTION_MIDDLE,
        /** The last op of a fused attention kernel (the weighted sum of values). */
        ATTENTION_TAIL,
        /** An elementwise op fused into a neighbour. */
        EPILOGUE
    }

    /** Each SPMD op's part under {@code execution}, by op id. */
    static Part[] parts(List<pdagc.spmd.SpmdNode> ops, Execution execution) {
        Part[] out = new Part[ops.size()];
        for (pdagc.spmd.SpmdNode n : ops) {
            Op op = n.op();
            Part p = Part.OWN;
            if (execution.fused() && !execution.fusedAttention()) {
                // Megatron-LM's kernels before FlashAttention: the scores, softmax and weighted sum are kernels of their own, and so is
                // the dropout of the probabilities (torch's); biases, activations and the residual branch's dropout and add are fused.
                // Torch's dropout kernel draws the mask as it writes the output: the mask op is in the dropout's kernel.
                boolean ofProbabilities = op instanceof Op.Dropout && ops.get(n.inputs().get(0)).op() instanceof Op.Softmax;
                if (!ofProbabilities && (op instanceof Op.Unary || op instanceof Op.Binary || op instanceof Op.Bias || op instanceof Op.Scale
                        || op instanceof Op.Dropout || op instanceof Op.DropoutMask)) {
                    p = Part.EPILOGUE;
                }
            } else if (execution.fused()) {
                if (op instanceof Op.AttnScores || op instanceof Op.MlaScores) {
                    p = Part.ATTENTION_HEAD;
                } else if (op instanceof Op.Softmax && isScores(ops.get(n.inputs().get(0)).op())) {
                    p = Part.ATTENTION_MIDDLE;
                } else if ((op instanceof Op.Dropout || op instanceof Op.DropoutMask) && out[n.inputs().get(0)] == Part.ATTENTION_MIDDLE) {
                    // The dropout of the probabilities, inside the kernel (FlashAttention draws its mask there).
                    p = Part.ATTENTION_MIDDLE;
                } else if ((op instanceof Op.AttnContext || op instanceof Op.MlaContext) && out[n.inputs().get(0)] == Part.ATTENTION_MIDDLE) {
                    p = Part.ATTENTION_TAIL;
                } else if (op instanceof Op.Unary || op instanceof Op.Binary || op instanceof Op.Bias || op instanceof Op.Scale || op instanceof Op.Dropout
                        || op instanceof Op.DropoutMask) {
                    p = Part.EPILOGUE;
                }
            }
            out[n.id()] = p;
        }
        return out;
    }

    private static boolean isScores(Op op) {
        return op instanceof Op.AttnScores || op instanceof Op.MlaScores;
    }

    /** A kernel's time, and the part of it that is overhead (the kernel's own, or waiting for the host to launch it). */
    record Time(double seconds, double overhead) {}

    /** Seconds of one computation with local shapes {@code inputs} and {@code output}, whose IR work is {@code work}. */
    static double seconds(Op op, Part part, List<Shape> inputs, Shape output, OpCost work, GpuSpec gpu, DType dtype, Execution execution) {
        return time(op, part, inputs, output, work, gpu, dtype, execution).seconds();
    }

    static Time time(Op op, Part part, List<Shape> inputs, Shape output, OpCost work, GpuSpec gpu, DType dtype, Execution execution) {
        if (op instanceof Op.Input || op instanceof Op.Output) return new Time(0, 0);
        Work w = switch (part) {
            case EPILOGUE, ATTENTION_MIDDLE -> null;
            case ATTENTION_TAIL -> op instanceof Op.AttnContext ? null : new Work(tail(inputs, work, gpu, dtype), false);
            case ATTENTION_HEAD -> op instanceof Op.AttnScores a ? attention(a, inputs, output, gpu, dtype, execution)
                    : new Work(roofline(work.flops() * causal(output), work.bytesRead(), gpu.peakFlops(dtype), gpu), false);
            case OWN -> own(op, inputs, output, work, gpu, dtype);
        };
        if (w == null) return new Time(0, 0);
        if (part == Part.ATTENTION_TAIL) return new Time(w.seconds(), 0);
        // A measured kernel's time holds its own overhead.
        double t = w.measured() ? w.seconds() : w.seconds() + gpu.kernelOverhead();
        if (!execution.cudaGraphs()) t = Math.max(t, gpu.launchOverhead());
        return new Time(t, t - w.seconds());
    }

    /** A kernel's work in seconds, and whether microbenchmarks timed it (they include the kernel's overhead). */
    private record Work(double seconds, boolean measured) {}

    /** The weighted sum of a fused latent attention, after its scores: the causal pairs, no probabilities read from HBM. */
    private static double tail(List<Shape> inputs, OpCost work, GpuSpec gpu, DType dtype) {
        long probs = inputs.get(0).elements() * dtype.activationBytes();
        return roofline(work.flops() * causal(inputs.get(0)), work.bytesRead() - probs + work.bytesWritten(), gpu.peakFlops(dtype), gpu);
    }

    /**
     * A fused attention kernel, scores through weighted sum: both products over the causal pairs,
     * queries, keys, values and output moved once; at the efficiency measured for the nearest
     * kernels where there are measurements, else at {@code compute_efficiency}.
     */
    private static Work attention(Op.AttnScores a, List<Shape> inputs, Shape scores, GpuSpec gpu, DType dtype, Execution execution) {
        double batch = scores.dim(0), heads = scores.dim(1), q = scores.dim(2), kv = scores.dim(3);
        double kvHeads = inputs.get(1).last() / (double) a.headDim();
        // A decode kernel with a thread block per query head streams the group's key/value head once per query head: the
        // traffic, and the kernels measured, of multi-head attention.
        if (q <= 1 && execution.kvPerQueryHead()) kvHeads = heads;
        Calibration cal = Calibration.of(gpu.measured().name());
        if (q <= 1) {
            // Decode: the kernel's time at the measured contexts around this one, and linear in the context between them (beyond
            // the last, the last two's line), so that a step's time is piecewise affine in its context (Serving's exact mean).
            double[] grid = cal.decodeContexts();
            if (grid.length >= 2) {
                int hi = 1;
                while (hi < grid.length - 1 && grid[hi] < kv) hi++;
                double lo = grid[hi - 1], up = grid[hi];
                java.util.OptionalDouble etaLo = cal.attentionEfficiency(false, batch, 1, lo, heads, kvHeads, a.headDim(), gpu.measured(), dtype);
                java.util.OptionalDouble etaUp = cal.attentionEfficiency(false, batch, 1, up, heads, kvHeads, a.headDim(), gpu.measured(), dtype);
                if (etaLo.isPresent() && etaUp.isPresent()) {
                    double tLo = Calibration.attentionRoofline(batch, 1, lo, heads, kvHeads, a.headDim(), gpu, dtype) / etaLo.getAsDouble();
                    double tUp = Calibration.attentionRoofline(batch, 1, up, heads, kvHeads, a.headDim(), gpu, dtype) / etaUp.getAsDouble();
                    double t = tLo + (kv - lo) / (up - lo) * (tUp - tLo);
                    return new Work(Math.max(t, Calibration.attentionRoofline(batch, 1, kv, heads, kvHeads, a.headDim(), gpu, dtype)), true);
                }
            }
        }
        java.util.OptionalDouble eta = cal.attentionEfficiency(q > 1, batch, q, kv, heads, kvHeads, a.headDim(), gpu.measured(), dtype);
        if (eta.isPresent()) return new Work(Calibration.attentionRoofline(batch, q, kv, heads, kvHeads, a.headDim(), gpu, dtype) / eta.getAsDouble(), true);
        double[] w = Calibration.attentionWork(batch, q, kv, heads, kvHeads, a.headDim(), dtype);
        return new Work(roofline(w[0], w[1], gpu.peakFlops(dtype), gpu), false);
    }

    private static Work own(Op op, List<Shape> inputs, Shape output, OpCost work, GpuSpec gpu, DType dtype) {
        if (op.contraction() != null) {
            long[] bmnk = bmnk(op.contraction(), inputs.get(0), output);
            return product(bmnk[0], bmnk[1], bmnk[2], bmnk[3], work, gpu, dtype);
        }
        if (op instanceof Op.Grad g && g.product() != null) {
            // A contraction's gradient is a matrix product of its own: costed as one.
            long[] bmnk = bmnk(g.product(), inputs.get(0), output);
            return product(bmnk[0], bmnk[1], bmnk[2], bmnk[3], work, gpu, dtype);
        }
        if (op instanceof Op.TiedHead) {
            long n = output.last();
            return product(1, output.elements() / n, n, inputs.get(0).last(), work, gpu, dtype);
        }
        if (op instanceof Op.Grad g && g.forward() instanceof Op.TiedHead) {
            // dx = dy E: [rows, vocab] by [vocab, dim]; dE = dy^T x: [vocab, rows] by [rows, dim].
            Shape dy = inputs.get(g.reads().size());
            long vocab = dy.last(), rows = dy.elements() / vocab, dim = output.last();
            return g.ofWeight() ? product(1, vocab, dim, rows, work, gpu, dtype) : product(1, rows, dim, vocab, work, gpu, dtype);
        }
        Op of = op instanceof Op.Grad g ? g.forward() : op;
        boolean tensor = of instanceof Op.AttnScores || of instanceof Op.AttnContext || of instanceof Op.MlaScores || of instanceof Op.MlaContext
                || of instanceof Op.Router;
        return new Work(roofline(work.flops(), work.bytes(), tensor ? gpu.peakFlops(dtype) : gpu.fp32Flops(), gpu), false);
    }

    private static double roofline(double flops, double bytes, double peak, GpuSpec gpu) {
        return Math.max(flops / (peak * gpu.computeEfficiency()), memory(bytes, gpu));
    }

    private static double memory(double bytes, GpuSpec gpu) {
        return bytes / (gpu.hbmBandwidth() * gpu.bandwidthEfficiency());
    }

    /**
     * The share of the score square a causal kernel computes: the queries are the last S of the
     * T positions, so query i sees T - S + i + 1 keys. 1 for a decode step (S = 1).
     */
    static double causal(Shape scores) {
        double s = scores.dim(2), t = scores.dim(3);
        if (s <= 1 || t < s) return 1;
        return (s * t - s * (s - 1) / 2) / (s * t);
    }

    /**
     * {@code batch} matrix products [m, k] by [k, n]: at the efficiency measured for the nearest
     * shapes where the GPU kind has measurements, else the larger of the waves of tiles and the
     * HBM traffic.
     */
    private static Work product(long batch, long m, long n, long k, OpCost work, GpuSpec gpu, DType dtype) {
        // A batch of products (the experts' grouped GEMM) is one kernel with the FLOPs and weight bytes of one product [m, k] by
        // [k, batch·n]: its efficiency is that product's.
        java.util.OptionalDouble eta = Calibration.of(gpu.measured().name()).gemmEfficiency(m, batch * n, k, gpu.measured(), dtype);
        if (eta.isPresent()) return new Work(batch * Calibration.gemmRoofline(m, n, k, gpu, dtype) / eta.getAsDouble(), true);
        return new Work(Math.max(waves(batch, m, n, k, gpu, dtype), memory(work.bytes(), gpu)), false);
    }

    /** A contraction's batch, m, n and k from its factor spec and local shapes. */
    static long[] bmnk(pdagc.ir.Contraction spec, Shape activation, Shape out) {
        String a = spec.activation(), w = spec.operand(1), r = spec.result();
        long batch = 1, m = 1, n = 1, k = 1;
        for (int i = 0; i < r.length(); i++) {
            char f = r.charAt(i);
            boolean inA = a.indexOf(f) >= 0, inW = w.indexOf(f) >= 0;
            if (inA && inW) batch *= out.dim(i);
            else if (inA) m *= out.dim(i);
            else n *= out.dim(i);
        }
        for (char f : spec.reduced().toCharArray()) {
            int i = a.indexOf(f);
            if (i >= 0) k *= activation.dim(i);
        }
        return new long[] {batch, m, n, k};
    }

    /**
     * {@code batch} products of [m, k] by [k, n]: ceil(m/128)·ceil(n/128) tiles each; with fewer
     * tiles than multiprocessors the reduction is split to fill them. Without a multiprocessor count,
     * plain FLOPs over the peak.
     */
    static double waves(long batch, long m, long n, long k, GpuSpec gpu, DType dtype) {
        double peak = gpu.peakFlops(dtype) * gpu.computeEfficiency();
        int sms = gpu.multiprocessors();
        if (sms <= 0 || m == 0 || n == 0 || k == 0) return 2.0 * batch * m * n * k / peak;
        double tiles = (double) batch * Math.ceil((double) m / TILE) * Math.ceil((double) n / TILE);
        double split = tiles >= sms ? 1 : Math.max(1, Math.min(Math.floor(sms / tiles), Math.ceil((double) k / TILE)));
        double units = tiles * split;
        double waves = Math.ceil(units / sms);
        double unitFlops = 2.0 * TILE * TILE * Math.ceil(k / split);
        return waves * unitFlops / (peak / sms);
    }
}
