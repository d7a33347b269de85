package pdagc.sem;

import java.util.List;
import java.util.Map;
import pdagc.mesh.Mesh;
import pdagc.mesh.Pipeline;
import pdagc.source.Span;

/**
 * A parallel strategy: the device mesh, the pipeline (micro-batches, schedule, virtual stages,
 * optionally the layers of each stage), with where each property was written.
 *
 * @param stageLayers layers per pipeline stage when given explicitly, else null (balanced)
 */
public record StrategySpec(
        String name, Mesh mesh, Pipeline pipeline, List<Long> stageLayers, Map<String, Span> axisSpans, Map<String, Span> spans, Span meshSpan,
        Span span) {

    public Span axisSpan(String axis) {
        return axisSpans.getOrDefault(axis, meshSpan);
    }

    public Span spanOf(String property) {
        return spans.getOrDefault(property, span);
    }
}
