package pdagc.sem;

import pdagc.ir.DType;
import pdagc.source.Span;

/**
 * One GPU's data-sheet figures in base units (FLOP/s, bytes, bytes/s, seconds) and the fractions of
 * peak that real kernels reach, which the kernel model uses.
 *
 * <p>{@code peakFlops} is the dense 16-bit (bf16 / fp16) tensor rate; {@code fp8Flops} the dense
 * fp8 tensor rate, or 0 for a GPU without fp8 tensor cores (fp8 then runs at the 16-bit rate);
 * {@code fp32Flops} the rate of fp32 matrix products (the non-tensor vector rate where the data
 * sheet gives it: frameworks do not use TF32 for fp32 products by default). {@code sm80Flops}: the
 * 16-bit tensor rate of kernels built for SM 80 (Ampere's warp-level {@code mma.sync}
 * instructions) where the GPU runs them slower than its own: on Hopper, whose doubled per-SM rate
 * belongs to its warp-group instructions ({@code wgmma}), half the dense rate; else
 * {@code peakFlops}. Only products an engine runs on such kernels use it
 * ({@link Execution#sm80Experts()}). {@code
 * multiprocessors}: streaming multiprocessors (compute units), over which a matrix product's
 * output tiles run in waves; 0 turns wave quantization off. {@code kernelOverhead}: what every
 * kernel costs the GPU beyond its work (start and tail); {@code launchOverhead}: the shortest
 * interval at which a host launches kernels one by one (without CUDA graphs). {@code
 * measuredOn}: null, or another GPU kind with the same chip whose microbenchmarks calibrate this
 * one's kernels: each measurement is read as an efficiency against that kind's data sheet and
 * applied to this one's.
 *
 * <p>{@code l2Bandwidth}: the rate at which the multiprocessors together read data the L2 cache
 * holds, as a microbenchmark attains it (not a peak); 0 where not stated. Only a kernel that
 * re-reads what its sibling thread blocks brought into the L2 uses it
 * ({@link Execution#kvPerQueryHead()}).
 *
 * <p>{@code nvlinkBandwidth}: the NVLink bandwidth of one GPU, both directions, 0 for a GPU
 * without NVLink; {@code pcieBandwidth}: its PCIe link, both directions (0 where not stated). GPUs
 * of one node talk over NVLink where they have it, else over PCIe ({@link #nodeLinkBandwidth()}).
 */
public record GpuSpec(
        String name,
        double peakFlops,
        double fp8Flops,
        double fp32Flops,
        double sm80Flops,
        int multiprocessors,
        double memoryBytes,
        double hbmBandwidth,
        double l2Bandwidth,
        double nvlinkBandwidth,
        double pcieBandwidth,
        double computeEfficiency,
        double bandwidthEfficiency,
        double kernelOverhead,
        double launchOverhead,
        GpuSpec measuredOn,
        Span span) {

    /** Default {@code kernel_overhead}; see {@code stdlib/calibration/SOURCES.md}. */
    public static final double KERNEL_OVERHEAD = 2e-6;
    /** Default {@code launch_overhead}; see {@code stdlib/calibration/SOURCES.md}. */
    public static final double LAUNCH_OVERHEAD = 2.7e-6;

    /** A GPU that runs kernels built for SM 80 at its own 16-bit rate. */
    public GpuSpec(String name, double peakFlops, double fp8Flops, double fp32Flops, int multiprocessors, double memoryBytes, double hbmBandwidth,
            double nvlinkBandwidth, double pcieBandwidth, double computeEfficiency, double bandwidthEfficiency, double kernelOverhead,
            double launchOverhead, GpuSpec measuredOn, Span span) {
        this(name, peakFlops, fp8Flops, fp32Flops, peakFlops, multiprocessors, memoryBytes, hbmBandwidth, 0, nvlinkBandwidth, pcieBandwidth,
                computeEfficiency, bandwidthEfficiency, kernelOverhead, launchOverhead, measuredOn, span);
    }

    /** A GPU with NVLink and no PCIe figure stated. */
    public GpuSpec(String name, double peakFlops, double fp8Flops, double fp32Flops, int multiprocessors, double memoryBytes, double hbmBandwidth,
            double nvlinkBandwidth, double computeEfficiency, double bandwidthEfficiency, double kernelOverhead, double launchOverhead,
            GpuSpec measuredOn, Span span) {
        this(name, peakFlops, fp8Flops, fp32Flops, multiprocessors, memoryBytes, hbmBandwidth, nvlinkBandwidth, 0, computeEfficiency,
                bandwidthEfficiency, kernelOverhead, launchOverhead, measuredOn, span);
    }

    /**
     * The share of a kernel's HBM-streaming time that reading the same bytes from the L2 cache
     * takes: the attainable HBM rate ({@code hbmBandwidth · bandwidthEfficiency}) over the L2's
     * attained rate; 1 where the L2's rate is not stated (no faster than HBM).
     */
    public double l2ShareOfHbm() {
        return l2Bandwidth > 0 ? Math.min(1, hbmBandwidth * bandwidthEfficiency / l2Bandwidth) : 1;
    }

    /** Whether the GPUs of a node are joined by NVLink (else by PCIe). */
    public boolean hasNvlink() {
        return nvlinkBandwidth > 0;
    }

    /** The bandwidth, both directions, of the link between GPUs of one node: NVLink's, else PCIe's. */
    public double nodeLinkBandwidth() {
        return hasNvlink() ? nvlinkBandwidth : pcieBandwidth;
    }

    /** The GPU kind whose measurements calibrate this one: {@code measuredOn}, else itself. */
    public GpuSpec measured() {
        return measuredOn != null ? measuredOn : this;
    }

    /**
     * The tensor rate in {@code dtype} of a product an engine runs on kernels built for SM 80: the
     * lower of {@link #peakFlops(DType)} and {@code sm80Flops}.
     */
    public double sm80PeakFlops(DType dtype) {
        return Math.min(peakFlops(dtype), sm80Flops);
    }

    /** Whether a product in {@code dtype} on kernels built for SM 80 runs below this GPU's own rate for it. */
    public boolean sm80Slower(DType dtype) {
        return sm80PeakFlops(dtype) < peakFlops(dtype);
    }

    /** The tensor rate of matrix products in {@code dtype}. */
    public double peakFlops(DType dtype) {
        return switch (dtype) {
            case BF16, FP16 -> peakFlops;
            case FP8 -> fp8Flops > 0 ? fp8Flops : peakFlops;
            case FP32 -> fp32Flops;
        };
    }
}
