package pdagc.spmd;

import java.util.List;
import pdagc.ir.Op;
import pdagc.mesh.Mesh;
import pdagc.mesh.Sharding;

/**
 * How an op's weight is split on the mesh, read off the shardings of its input and output: a
 * linear's input rows split as its input's last dimension and its columns as its output's; a
 * vocabulary-parallel embedding's rows over the axes its output is partial over; an expert
 * linear's experts as its output's first dimension; a bias as its output's last dimension; latent
 * attention's up-projections W_UK and W_UV by heads, as its output's head dimension. Memory
 * analysis and the reference evaluator both use this one definition.
 */
public final class WeightLayout {
    private WeightLayout() {}

    /** The weight's sharding (never partial), or null when the op has no weight. */
    public static Sharding of(SpmdNode n, SpmdProgram p) {
        if (n.op().weight() == null) return null;
        Sharding in = n.op().contraction() != null ? p.nodes().get(n.inputs().get(0)).sharding() : null;
        return of(n.op(), in, n.sharding());
    }

    /**
     * The weight's sharding for {@code op} whose first input arrives as {@code input} (read only by
     * contractions) and whose output is {@code output}; null when the op has no weight. The
     * partitioner reads a layout here before the SPMD program exists (the gradient of a weight is
     * laid out as the weight).
     */
    public static Sharding of(Op op, Sharding input, Sharding output) {
        if (op.weight() == null) return null;
        int rank = op.weight().rank();
        if (op.contraction() != null) {
            // The weight is the second operand: each dimension split as its factor is split in
            // the activation (a reduced factor, as under @row) or in the result (@column, experts).
            return new Sharding(op.contraction().operandAxes(1, input.dims(), output.dims()), List.of());
        }
        if (op instanceof Op.Embed) return new Sharding(List.of(output.partial(), List.of()), List.of());
        if (op instanceof Op.Bias) return new Sharding(List.of(output.axes(output.rank() - 1)), List.of());
        if (op instanceof Op.MlaScores) return new Sharding(List.of(List.of(), output.axes(1)), List.of());
        if (op instanceof Op.MlaContext) return new Sharding(List.of(List.of(), output.axes(2)), List.of());
        // Whole on every rank: a norm's scale (a column-split norm norms the whole width), the
        // router, a per-head norm's shared scale, learned positions.
        if (op instanceof Op.Norm || op instanceof Op.Router || op instanceof Op.HeadNorm || op instanceof Op.PosEmbed) return Sharding.replicated(rank);
        // An op with a weight and no layout here would silently be costed and verified as
        // replicated: name it above.
        throw new IllegalStateException("no weight layout for " + op.name());
    }

    /**
     * The block of the token-embedding table that a tied head whose output is laid out as
     * {@code output} reads: its vocabulary rows split as the head's output columns, the width
     * whole. The head holds no weight of its own (the table is counted on the embedding); its
     * weight gradient is laid out so before it is summed into the embedding's.
     */
    public static Sharding tiedTable(Sharding output) {
        return new Sharding(List.of(output.axes(output.rank() - 1), List.of()), List.of());
    }

    public static long localElements(SpmdNode n, SpmdProgram p, Mesh mesh) {
        Sharding s = of(n, p);
        return s == null ? 0 : s.local(n.op().weight(), mesh).elements();
    }
}
