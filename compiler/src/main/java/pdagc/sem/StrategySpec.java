package pdagc.sem;

import java.util.List;
import java.util.Map;
import pdagc.mesh.Mesh;
import pdagc.mesh.MeshAxes;
import pdagc.mesh.Pipeline;
import pdagc.source.Span;

/**
 * A parallel strategy: the device mesh, how the experts fold the same GPUs (or null: by the same
 * mesh), sequence parallelism, the pipeline (micro-batches, schedule, virtual stages, optionally
 * the layers of each stage), the training options, with where each property was written.
 *
 * @param stageLayers layers per pipeline stage when given explicitly, else null (balanced)
 */
public record StrategySpec(
        String name,
        Mesh mesh,
        Mesh expertMesh,
        boolean sequenceParallel,
        Pipeline pipeline,
        List<Long> stageLayers,
        Map<String, Span> axisSpans,
        Map<String, Span> spans,
        Span meshSpan,
        Span span,
        Training training) {

    /** A strategy without training options. */
    public StrategySpec(String name, Mesh mesh, Mesh expertMesh, boolean sequenceParallel, Pipeline pipeline, List<Long> stageLayers,
            Map<String, Span> axisSpans, Map<String, Span> spans, Span meshSpan, Span span) {
        this(name, mesh, expertMesh, sequenceParallel, pipeline, stageLayers, axisSpans, spans, meshSpan, span, Training.NONE);
    }

    /** The size of a parallel axis wherever it is declared (the expert mesh for ep, etp, edp when there is one). */
    public int size(String axis) {
        if (expertMesh != null && expertMesh.has(axis)) return expertMesh.size(axis);
        if (axis.equals(MeshAxes.ETP)) return expertMesh != null ? 1 : mesh.size(MeshAxes.withoutExpertMesh(axis));
        return mesh.size(axis);
    }

    public Span axisSpan(String axis) {
        return axisSpans.getOrDefault(axis, meshSpan);
    }

    public Span spanOf(String property) {
        return spans.getOrDefault(property, span);
    }
}
