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
 *       time of their own. Unfused, every IR op is a kernel with its own traffic. Megatron-LM's
 *       kernels ({@code unfused_attention}): attention's ops each a kernel, each chain of
 *       elementwise ops one kernel of its own ({@link #elementwiseTraffic}).
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
        EPILOGUE,
        /**
         * The last op of a group of elementwise ops that run as one kernel of their own
         * ({@link #elementwiseTraffic}); the group's other ops are {@link #EPILOGUE}.
         */
        ELEMENTWISE
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
        if (execution.fused() && !execution.fusedAttention()) {
            // Megatron-LM's fused elementwise kernels are kernels of their own, each reading its inputs and writing its outputs
            // once: the last op of each group pays for it, unless the group is the affine part of a LayerNorm (apex's kernel).
            int[] group = elementwiseGroups(ops, out);
            int[] last = new int[ops.size()];
            boolean[] ofNorm = new boolean[ops.size()];
            java.util.Arrays.fill(last, -1);
            for (pdagc.spmd.SpmdNode n : ops) {
                if (group[n.id()] < 0) continue;
                int g = group[n.id()];
                last[g] = Math.max(last[g], n.id());
                for (int i : n.inputs()) if (ops.get(i).op() instanceof Op.Norm) ofNorm[g] = true;
            }
            for (int g = 0; g < last.length; g++) if (last[g] >= 0 && !ofNorm[g]) out[last[g]] = Part.ELEMENTWISE;
        }
        return out;
    }

    /**
     * Under {@code kernels unfused_attention}: each op's group of elementwise ops (the epilogue ops
     * joined by producer-consumer edges whose value no other op reads; a group's id is its smallest
     * op id), -1 for other ops.
     */
    private static int[] elementwiseGroups(List<pdagc.spmd.SpmdNode> ops, Part[] parts) {
        int[] parent = new int[ops.size()];
        for (int i = 0; i < parent.length; i++) parent[i] = parts[i] == Part.EPILOGUE || parts[i] == Part.ELEMENTWISE ? i : -1;
        // The probabilities' mask is drawn by torch's dropout kernel (its own, not a group's): that kernel's traffic holds it.
        for (pdagc.spmd.SpmdNode n : ops) {
            if (n.op() instanceof Op.DropoutMask && ops.get(n.inputs().get(0)).op() instanceof Op.Softmax) parent[n.id()] = -1;
        }
        // A value that an op outside the groups reads is written to HBM: the kernel that makes it ends there, and an elementwise op
        // reading it (the next branch's residual add) starts a kernel of its own. A bias's sum that only gradients read is not
        // (the backward kernel adds the bias again).
        boolean[] written = new boolean[ops.size()];
        for (pdagc.spmd.SpmdNode n : ops) {
            for (int i : n.inputs()) {
                if (parent[n.id()] < 0 && !(ops.get(i).op() instanceof Op.Bias && n.op() instanceof Op.Grad)) written[i] = true;
            }
        }
        for (pdagc.spmd.SpmdNode n : ops) {
            if (parent[n.id()] < 0) continue;
            for (int i : n.inputs()) {
                if (parent[i] < 0 || written[i]) continue;
                int a = root(parent, i), b = root(parent, n.id());
                if (a != b) parent[Math.max(a, b)] = Math.min(a, b);
            }
        }
        int[] group = new int[ops.size()];
        for (int i = 0; i < group.length; i++) group[i] = parent[i] < 0 ? -1 : root(parent, i);
        return group;
    }

    private static int root(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    /**
     * The HBM bytes that each {@link Part#ELEMENTWISE} op's kernel moves, per element of that op's
     * output (0 for other ops): Megatron-LM's GPT of 2022 runs its elementwise work as fused kernels
     * of its own, not in the matrix products' epilogues ({@code megatron/model/transformer.py}:
     * {@code bias_gelu_impl} after {@code dense_h_to_4h}, {@code bias_dropout_add_fused_train}
     * after each branch's row-parallel linear, both TorchScript-fused, the linears built with
     * {@code skip_bias_add}; {@code megatron/mpu/layers.py}: the query-key-value bias added as
     * {@code output = output + bias} after {@code torch.matmul}). A group's kernel reads each value
     * it takes from outside the group once (a dropout mask's input only gives its shape: the mask is
     * drawn, not read) and writes each value it gives outside the group (a dropout's mask that the
     * backward pass reads included), except a bias's sum that only gradients read: Megatron's fused
     * kernels save their inputs and the backward kernel adds the bias again ({@code bias_gelu_back}).
     * Memory-bound: FLOPs are not counted. {@code valueBytes} and {@code weight}: per op, the bytes
     * per element of its value and whether it is a weight (a bias's vector is not counted).
     */
    static double[] elementwiseTraffic(List<pdagc.spmd.SpmdNode> ops, Part[] parts, int[] valueBytes, boolean[] weight) {
        double[] out = new double[ops.size()];
        if (java.util.Arrays.stream(parts).noneMatch(p -> p == Part.ELEMENTWISE)) return out;
        int[] group = elementwiseGroups(ops, parts);
        List<List<Integer>> consumers = new java.util.ArrayList<>();
        for (int i = 0; i < ops.size(); i++) consumers.add(new java.util.ArrayList<>());
        for (pdagc.spmd.SpmdNode n : ops) for (int i : n.inputs()) consumers.get(i).add(n.id());
        double[] bytes = new double[ops.size()];
        java.util.Map<Integer, java.util.Set<Integer>> read = new java.util.HashMap<>();
        for (pdagc.spmd.SpmdNode n : ops) {
            int g = group[n.id()];
            if (g < 0) continue;
            if (!(n.op() instanceof Op.DropoutMask)) {
                for (int i : n.inputs()) {
                    if (group[i] == g || weight[i] || !read.computeIfAbsent(g, k -> new java.util.HashSet<>()).add(i)) continue;
                    bytes[g] += (double) ops.get(i).local().elements() * valueBytes[i];
                }
            }
            boolean written = parts[n.id()] == Part.ELEMENTWISE;
            for (int c : consumers.get(n.id())) {
                if (group[c] == g) continue;
                if (n.op() instanceof Op.Bias && ops.get(c).op() instanceof Op.Grad) continue;
                written = true;
            }
            if (written) bytes[g] += (double) n.local().elements() * valueBytes[n.id()];
        }
        for (pdagc.spmd.SpmdNode n : ops) {
            if (parts[n.id()] == Part.ELEMENTWISE) out[n.id()] = bytes[group[n.id()]] / n.local().elements();
        }
        return out;
    }

    /** A kernel of Megatron's fused elementwise ops that moves {@code bytes} through HBM: memory-bound, with its overheads. */
    static Time elementwise(double bytes, GpuSpec gpu, Execution execution) {
        double work = memory(bytes, gpu);
        double t = work + gpu.kernelOverhead();
        if (!execution.cudaGraphs()) t = Math.max(t, gpu.launchOverhead());
        return new Time(t, t - work);
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
            // Costed by its group's traffic (NodeCosts, elementwise); alone, as its own op.
            case ELEMENTWISE -> own(op, inputs, output, work, gpu, dtype);
            case ATTENTION_TAIL -> op instanceof Op.AttnContext ? null : new Work(tail(inputs, work, gpu, dtype), false);
            case ATTENTION_HEAD -> op instanceof Op.AttnScores a ? attention(a, inputs, output, gpu, dtype, execution)
                    : new Work(roofline(work.flops() * causal(output), work.bytesRead(), gpu.peakFlops(dtype), gpu), false);
            case OWN -> own(op, inputs, output, work, gpu, dtype);
        };
        if (w == null) return new Time(0, 0);
        if (part == Part.ATTENTION_TAIL) return new Time(w.seconds(), 0);
        return launched(w, gpu, execution);
    }

    /**
     * An expert product as its own kernel under the routing's {@code activity}: a grouped GEMM of
     * {@link ExpertActivity#active} products of {@link ExpertActivity#rowsPerExpert} tokens by the
     * expert's [in, out] weight ({@code work}: its FLOPs and bytes under the same activity); at the
     * efficiency of the nearest measured fused MoE layers where the GPU kind has them
     * ({@link Calibration#moeEfficiency}; under {@code routing power_law} those measured under it),
     * else as a dense product of the same shape (the balanced one: no measurement says what skew costs there).
     * Under {@code expert_kernels sm80} on a GPU that runs SM 80's kernels slower than its own
     * ({@link GpuSpec#sm80PeakFlops}), the kernel reaches the same share of its roofline as the
     * measured kernels at this shape, its roofline's compute ceiling the SM 80 rate: the time times
     * {@code max(F / sm80, B / bw) / max(F / peak, B / bw)} (1 for a product bound by its bytes).
     */
    static Time expert(ExpertActivity activity, long in, long out, OpCost work, GpuSpec gpu, DType dtype, Execution execution) {
        Time t = nativeExpert(activity, in, out, work, gpu, dtype, execution);
        if (!execution.sm80Experts() || !gpu.sm80Slower(dtype)) return t;
        double sm80 = gpu.sm80PeakFlops(dtype), peak = gpu.peakFlops(dtype);
        double streaming = work.bytes() / gpu.hbmBandwidth();
        double slower = Math.max(work.flops() / sm80, streaming) / Math.max(work.flops() / peak, streaming);
        return new Time(t.overhead() + (t.seconds() - t.overhead()) * slower, t.overhead());
    }

    /** An expert product on the GPU's own kernels ({@link #expert}). */
    private static Time nativeExpert(ExpertActivity activity, long in, long out, OpCost work, GpuSpec gpu, DType dtype, Execution execution) {
        java.util.OptionalDouble eta = Calibration.of(gpu.measured().name()).moeEfficiency(activity.experts(), activity.active() * activity.rowsPerExpert(),
                activity.perToken(), in, out, gpu.measured(), dtype, powerLaw(execution));
        if (eta.isPresent()) {
            double roofline = Calibration.expertRoofline(activity.active(), activity.rowsPerExpert(), in, out, 1, gpu, dtype);
            return launched(new Work(roofline / eta.getAsDouble(), true), gpu, execution);
        }
        return launched(product(activity.active(), activity.rowsPerExpert(), out, in, work, gpu, dtype), gpu, execution);
    }

    /**
     * Whether a GPU kind times expert products from fused MoE measurements for {@code dtype}: those
     * measurements hold the dispatch's permutation and the combine's weighted sum, which then cost
     * nothing of their own.
     */
    static boolean fusedMoe(GpuSpec gpu, DType dtype, Execution execution) {
        return Calibration.of(gpu.measured().name()).hasMoe(dtype, powerLaw(execution));
    }

    /** Whether expert products are timed from the MoE layers measured under power-law routing. */
    private static boolean powerLaw(Execution execution) {
        return execution.routing() == Execution.Routing.POWER_LAW;
    }

    /** A kernel's time with its overhead (a measured kernel's time holds its own) and, without CUDA graphs, the launch interval. */
    private static Time launched(Work w, GpuSpec gpu, Execution execution) {
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
        double heads = scores.dim(1), q = scores.dim(2);
        double kvHeads = inputs.get(1).last() / (double) a.headDim();
        if (q > 1 || !execution.kvPerQueryHead() || kvHeads >= heads) return attention(a, scores, kvHeads, gpu, dtype);
        // A decode kernel with a thread block per query head: each block streams its group's key/value head through the
        // multiprocessors, the work of multi-head attention (its measured kernels); the group's blocks run side by side, so
        // HBM delivers each key/value head once and the L2 cache serves the rest. The part of the kernel's time that grows
        // with the context reaches the same share of the rate feeding it, whichever is slower: HBM, moving the group's share
        // of the traffic, or the L2, moving each byte once in from HBM and once out to each of the group's blocks, at its
        // measured rate (GpuSpec.l2ShareOfHbm).
        Work perQueryHead = attention(a, scores, heads, gpu, dtype);
        double share = Math.max(kvHeads / heads, Math.min(1, (1 + kvHeads / heads) * gpu.l2ShareOfHbm()));
        // Only the traffic is shared: what the kernel spends per block (as many blocks as query heads either way) is not.
        double fixed = perBlock(a, scores, heads, gpu, dtype, perQueryHead.seconds());
        return new Work(fixed + (perQueryHead.seconds() - fixed) * share, perQueryHead.measured());
    }

    /**
     * The part of a measured decode kernel's time that does not grow with the context: the affine
     * line through its times at the two shortest measured contexts, at context 0 (launch, each
     * block's start, the queries read and the output written); at most {@code total}, 0 without
     * measurements.
     */
    private static double perBlock(Op.AttnScores a, Shape scores, double kvHeads, GpuSpec gpu, DType dtype, double total) {
        double[] grid = Calibration.of(gpu.measured().name()).decodeContexts();
        if (grid.length < 2) return 0;
        double t0 = attention(a, scores.with(3, (long) grid[0]), kvHeads, gpu, dtype).seconds();
        double t1 = attention(a, scores.with(3, (long) grid[1]), kvHeads, gpu, dtype).seconds();
        return Math.max(0, Math.min(total, t0 - grid[0] * (t1 - t0) / (grid[1] - grid[0])));
    }

    /** A fused attention kernel over {@code kvHeads} key/value heads, each read once. */
    private static Work attention(Op.AttnScores a, Shape scores, double kvHeads, GpuSpec gpu, DType dtype) {
        double batch = scores.dim(0), heads = scores.dim(1), q = scores.dim(2), kv = scores.dim(3);
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
                    return new Work(Math.max(t, achievable(batch, 1, kv, heads, kvHeads, a.headDim(), gpu, dtype)), true);
                }
            }
        }
        java.util.OptionalDouble eta = cal.attentionEfficiency(q > 1, batch, q, kv, heads, kvHeads, a.headDim(), gpu.measured(), dtype);
        if (eta.isPresent()) {
            double t = Calibration.attentionRoofline(batch, q, kv, heads, kvHeads, a.headDim(), gpu, dtype) / eta.getAsDouble();
            return new Work(Math.max(t, achievable(batch, q, kv, heads, kvHeads, a.headDim(), gpu, dtype)), true);
        }
        double[] w = Calibration.attentionWork(batch, q, kv, heads, kvHeads, a.headDim(), dtype);
        return new Work(roofline(w[0], w[1], gpu.peakFlops(dtype), gpu), false);
    }

    /**
     * The least time of a fused attention kernel: its FLOPs at the peak, its HBM bytes at the GPU's
     * achievable bandwidth ({@code bandwidth_efficiency}). A microbenchmark measured faster read its
     * keys and values from the L2 cache, which a model's step, streaming every layer's cache, does not.
     */
    private static double achievable(double batch, double q, double kv, double heads, double kvHeads, double headDim, GpuSpec gpu, DType dtype) {
        double[] w = Calibration.attentionWork(batch, q, kv, heads, kvHeads, headDim, dtype);
        return Math.max(w[0] / gpu.peakFlops(dtype), memory(w[1], gpu));
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
        // No faster than its bytes at the achievable bandwidth: a measurement above it read its weights from the L2 cache.
        if (eta.isPresent()) return new Work(Math.max(batch * Calibration.gemmRoofline(m, n, k, gpu, dtype) / eta.getAsDouble(), memory(work.bytes(), gpu)), true);
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
