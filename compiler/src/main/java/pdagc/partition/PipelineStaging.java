package pdagc.partition;

import java.util.List;
import pdagc.ir.Graph;
import pdagc.ir.Node;
import pdagc.mesh.Pipeline;

/**
 * pipeline-staging: assigns every op of the logical IR to a pipeline chunk. Layers are split into
 * contiguous chunks (balanced, the first chunks taking one more layer when they do not divide, or
 * as {@code stage_layers} says); ops before the first layer (input, embedding) go to chunk 0, ops
 * after the last layer (final norm, head, loss, output) to the last chunk. Chunk c runs on stage c % pp.
 * A training step's backward pass runs on the chunks of the ops it differentiates.
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
            if (graph.backwardStart() >= 0 && n.id() >= graph.backwardStart()) {
                // The backward pass runs where its forward ran: a gradient, its accumulation and the optimizer step on the
                // chunk of the op they differentiate. A sum of gradients runs on the earliest chunk of its terms, where the
                // gradient goes next (a residual's gradient passes down the layers: summed on a later chunk, it would be sent
                // back to a chunk of the same stage under interleaving).
                int f = graph.original(n.id()) != n.id() ? graph.original(n.id()) : forwardOf(n);
                if (f >= 0) {
                    out[n.id()] = out[f];
                } else {
                    int c = Integer.MAX_VALUE;
                    for (int i : n.inputs()) c = Math.min(c, out[i]);
                    out[n.id()] = c;
                }
            } else if (n.layer() >= 0) {
                seenLayer = true;
                out[n.id()] = chunkOfLayer[n.layer()];
            } else {
                out[n.id()] = seenLayer ? chunks - 1 : 0;
            }
        }
        return out;
    }

    /** The forward node a backward op belongs to, or -1. */
    private static int forwardOf(Node n) {
        if (n.op() instanceof pdagc.ir.Op.Grad g) return g.forwardNode();
        if (n.op() instanceof pdagc.ir.Op.Accumulate a) return a.forwardNode();
        if (n.op() instanceof pdagc.ir.Op.Update u) return u.forwardNode();
        if (n.op() instanceof pdagc.ir.Op.Updated u) return u.forwardNode();
        return -1;
    }
}
