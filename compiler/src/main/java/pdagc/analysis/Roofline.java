package pdagc.analysis;

import pdagc.sem.GpuSpec;

/**
 * The roofline time of a computation: it is bound either by arithmetic or by HBM traffic,
 * {@code t = max(F / (peak · compute_efficiency), B / (bandwidth · bandwidth_efficiency))}, with the
 * peak, bandwidth and efficiencies of the GPU's data sheet in {@code std.hardware} (or the cluster's
 * overrides). The one home of that formula.
 */
public final class Roofline {
    private Roofline() {}

    public static double seconds(long flops, long bytes, GpuSpec gpu) {
        double compute = flops / (gpu.peakFlops() * gpu.computeEfficiency());
        double memory = bytes / (gpu.hbmBandwidth() * gpu.bandwidthEfficiency());
        return Math.max(compute, memory);
    }
}
