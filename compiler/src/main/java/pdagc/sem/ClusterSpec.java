package pdagc.sem;

import java.util.Map;
import pdagc.source.Span;

/**
 * GPUs of one kind in nodes: {@code count} GPUs, {@code perNode} to a node joined by NVLink, nodes
 * joined by a network of {@code networkBandwidth} per GPU.
 */
public record ClusterSpec(
        String name,
        GpuSpec gpu,
        int count,
        int perNode,
        double networkBandwidth,
        double nvlinkLatency,
        double networkLatency,
        Map<String, Span> spans,
        Span span) {

    public int nodeOf(int gpu) {
        return gpu / perNode;
    }
}
