package pdagc.partition;

import java.util.List;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.mesh.Pipeline;

/**
 * pipeline-staging: assigns every op of the logical IR to a pipeline chunk. Layers are split into
 * contiguous chunks (balanced, the first chunks taking one more layer when they do not divide, or
 * as {@code stage_layers} says); ops before the first layer (input, embedding) go to chunk 0, ops
 * after the last layer (final norm, head, output) to the last chunk. Chunk c runs on stage c % pp.
 *
 * <pre>
 *   layers 8, pp 4:   chunk 0 = embedding + layers 0-1, ..., chunk 3 = layers 6-7 + head
 * </pre>
 */
public final class PipelineStaging {
    public static final String NAME = "pipeline-staging";

    private PipelineStaging() {}

    /** The chunk of every logical node, by id. */
    public static int[] run(Graph graph, Pipeline pipeline, long layers, List<Long> stageLayers) {
        int chunks = pipeline.chunks();
        int[] chunkOfLayer = new int[(int) layers];
        int layer = 0;
        for (int c = 0; c < chunks; c++) {
            long count = stageLayers != null ? stageLayers.get(c) : layers / chunks + (c < layers % chunks ? 1 : 0);
            for (long k = 0; k < count && layer < layers; k++) chunkOfLayer[layer++] = c;
        }
        int[] out = new int[graph.size()];
        boolean seenLayer = false;
        for (Node n : graph.nodes()) {
            if (n.layer() >= 0) {
                seenLayer = true;
                out[n.id()] = chunkOfLayer[n.layer()];
            } else {
                out[n.id()] = seenLayer ? chunks - 1 : 0;
            }
        }
        return out;
    }
}
