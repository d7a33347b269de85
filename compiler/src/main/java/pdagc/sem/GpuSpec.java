package pdagc.sem;

import pdagc.source.Span;

/**
 * One GPU's data-sheet figures in base units (FLOP/s, bytes, bytes/s) and the fractions of peak
 * that real kernels reach, which the roofline uses.
 */
public record GpuSpec(
        String name,
        double peakFlops,
        double memoryBytes,
        double hbmBandwidth,
        double nvlinkBandwidth,
        double computeEfficiency,
        double bandwidthEfficiency,
        Span span) {}
