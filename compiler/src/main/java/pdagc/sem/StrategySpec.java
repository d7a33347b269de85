package pdagc.sem;

import java.util.Map;
import pdagc.mesh.Mesh;
import pdagc.source.Span;

/** A parallel strategy: the device mesh, with where each axis was written. */
public record StrategySpec(String name, Mesh mesh, Map<String, Span> axisSpans, Span meshSpan, Span span) {

    public Span axisSpan(String axis) {
        return axisSpans.getOrDefault(axis, meshSpan);
    }
}
