package pdagc.ir;

import java.util.List;
import pdagc.source.Span;

/**
 * One operation of the logical IR (one model replica, global shapes). {@code layer} is -1 outside
 * the transformer layers; {@code span} is the block statement that produced the node.
 */
public record Node(int id, String name, Op op, List<Integer> inputs, Shape shape, int layer, List<Parallel> parallel, Span span) {

    public Parallel parallel(Parallel.Style style) {
        for (Parallel p : parallel) if (p.style() == style) return p;
        return null;
    }
}
